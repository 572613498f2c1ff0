// Bundle loading: YAML parsing, kubectl's presence and failures, and loadBundle over a small
// tree written to a temporary directory (plus the committed tree, when kubectl is here).
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import t, { type Test } from 'tap'
import { kubectlStatus, loadBundle, parseYamlDocs, renderKustomize, ValidateError } from '../../../scripts/validate-deploy/bundle.js'
import { committed, withCommittedTree } from './helpers.js'

const { bundle: good, reason } = await committed()

/** Runs `fn` with an empty PATH, so kubectl cannot be found. */
async function withoutPath<T> (fn: () => Promise<T>): Promise<T> {
  const saved = process.env.PATH
  process.env.PATH = ''
  try {
    return await fn()
  } finally {
    process.env.PATH = saved
  }
}

t.test('parseYamlDocs', async (t) => {
  t.same(parseYamlDocs('a: 1\n---\n---\nb: 2\n', 'x.yaml'), [{ a: 1 }, { b: 2 }], 'empty documents are dropped')
  t.same(parseYamlDocs('', 'x.yaml'), [])
  t.throws(() => parseYamlDocs('a: 1\na: 2\n', 'dup.yaml'), { name: 'ValidateError', code: 'YAML_PARSE', message: /^dup\.yaml: .*unique/i }, 'duplicate keys are an error')
  t.throws(() => parseYamlDocs('ok: 1\n---\na: [1\n', 'bad.yaml'), { code: 'YAML_PARSE', message: /^bad\.yaml: / })
  const e = new ValidateError('KUBECTL_MISSING', 'no kubectl')
  t.ok(e instanceof Error)
  t.equal(e.name, 'ValidateError')
  t.equal(e.code, 'KUBECTL_MISSING')
})

t.test('kubectl missing', async (t) => {
  const status = await withoutPath(kubectlStatus)
  t.equal(status.ok, false)
  t.match(status, { reason: /^kubectl is not usable here \(kubectl version --client: .*ENOENT.*\); install it/ })
  await t.rejects(withoutPath(() => renderKustomize('.')), { code: 'KUBECTL_MISSING' })
})

withCommittedTree(good, reason, (good) => {
  t.test('kubectl present', async (t) => {
    t.same(await kubectlStatus(), { ok: true })
  })

  t.test('a kustomize failure carries kubectl\'s own message', async (t) => {
    const dir = t.testdir({ 'kustomization.yaml': 'resources:\n  - missing.yaml\n' })
    await t.rejects(renderKustomize(dir), { code: 'KUSTOMIZE_BUILD', message: /^kubectl kustomize .*missing\.yaml/ })
  })

  /** The smallest tree loadBundle reads, with `over` replacing or adding files. */
  async function tree (t: Test, over: Record<string, string> = {}): Promise<string> {
    const files: Record<string, string> = {
      'manifests/kustomization.yaml': 'namespace: orders\nresources:\n  - namespace.yaml\n',
      'manifests/namespace.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: orders\n',
      'manifests/cluster/cluster.yaml': 'apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata:\n  name: c\n',
      'manifests/cluster/dapr-values.yaml': 'global:\n  ha:\n    enabled: true\n',
      'manifests/cluster/aws-load-balancer-controller-values.yaml': 'clusterName: c\n',
      'manifests/cluster/storageclass.yaml': 'apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: gp3\n---\nreplicaCount: 1\n',
      'manifests/cluster/nested/notes.txt': 'not yaml',
      'manifests/secrets.example.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: t\n',
      'components/config.yaml': 'apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: local\n',
      'components/local/statestore.yml': 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: statestore\n---\nkind: NotDapr\n',
      'components/k8s/statestore.yaml': 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: eks-only\n',
      'dapr.yaml': 'version: 1\ncommon:\n  configFilePath: ./components/config.yaml\napps: []\n',
      Dockerfile: 'FROM node:24.21.0\n',
      '.dockerignore': '*\n',
      'docs/deploy-eks.md': '# Deploy\n',
      'README.md': '# Readme\n',
      ...over
    }
    const dir = t.testdir()
    for (const [file, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true })
      await writeFile(path.join(dir, file), text)
    }
    return dir
  }

  t.test('loadBundle reads a small tree', async (t) => {
    const b = await loadBundle(await tree(t))
    t.same(b.rendered, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'orders' } }])
    t.same(b.kustomization, { namespace: 'orders', resources: ['namespace.yaml'] })
    t.same(b.localDapr.map((d) => `${d.file} ${d.obj.metadata.name}`), [
      `${path.join('components', 'config.yaml')} local`,
      `${path.join('components', 'local', 'statestore.yml')} statestore`
    ], 'Dapr objects only, components/k8s left out')
    t.same(b.localConfigFile, { file: path.join('components', 'config.yaml'), obj: b.localDapr[0]?.obj }, 'configFilePath resolves')
    t.same(b.clusterObjects, [{ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'gp3' } }], 'eksctl and values files are not cluster objects')
    t.equal(b.cluster.kind, 'ClusterConfig')
    t.same(b.daprValues, { global: { ha: { enabled: true } } })
    t.same(b.lbcValues, { clusterName: 'c' })
    t.same(b.secretsExample.map((s) => s.metadata.name), ['s', 't'])
    t.equal(b.dockerfile, 'FROM node:24.21.0\n')
    t.equal(b.dockerignore, '*\n')
    t.equal(b.docs, '# Deploy\n')
    t.equal(b.readme, '# Readme\n')
  })

  t.test('loadBundle: a configFilePath that names no local Dapr file, or none at all', async (t) => {
    const missing = await loadBundle(await tree(t, { 'dapr.yaml': 'common:\n  configFilePath: ./components/nope.yaml\n' }))
    t.equal(missing.localConfigFile, null)
    const none = await loadBundle(await tree(t, { 'dapr.yaml': '' }))
    t.equal(none.runFile, null, 'an empty file parses to null')
    t.equal(none.localConfigFile, null)
  })

  t.test('loadBundle: YAML errors name the file', async (t) => {
    await t.rejects(loadBundle(await tree(t, { 'components/local/statestore.yml': 'a: 1\na: 2\n' })), { code: 'YAML_PARSE', message: new RegExp(`^${path.join('components', 'local', 'statestore.yml')}: `) })
    await t.rejects(loadBundle(await tree(t, { 'manifests/cluster/storageclass.yaml': 'a: [\n' })), { code: 'YAML_PARSE', message: /storageclass\.yaml: / })
  })

  t.test('the committed tree loads', async (t) => {
    t.ok(good.rendered.length > 10)
    t.equal(good.localConfigFile?.file, path.join('components', 'config.yaml'))
    t.ok(good.clusterObjects.some((o) => o.kind === 'StorageClass'))
  })
}, 'loading (needs kubectl)')
