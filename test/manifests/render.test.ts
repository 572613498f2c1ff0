// The committed deploy tree renders with kustomize and passes every check; the loaders
// themselves reject what cannot be rendered or parsed.
import { spawnSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import t from 'tap'
import {
  CHECKS,
  ValidateError,
  kubectlStatus,
  loadBundle,
  parseYamlDocs,
  renderKustomize,
  repoRoot,
  validateBundle
} from '../../scripts/validate-deploy/index.js'

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'manifests')
const status = await kubectlStatus()

if (!status.ok) {
  // CI must have kubectl (.ci/run says so); elsewhere say why nothing ran.
  if (process.env.CI) t.fail(status.reason)
  else t.plan(0, `skipped: ${status.reason}`)
} else {
  t.test('the committed tree renders and passes every check', async (t) => {
    const started = Date.now()
    const bundle = await loadBundle()
    const issues = validateBundle(bundle)
    t.same(issues, [], 'no issues')
    const kinds = bundle.rendered.map((o) => `${o.kind}/${o.metadata?.name}`).sort()
    t.same(kinds, [
      'Component/statestore',
      'Configuration/generator-config',
      'Configuration/nodeapp-config',
      'Deployment/generator',
      'Deployment/nodeapp',
      'HorizontalPodAutoscaler/nodeapp',
      'Namespace/orders',
      'NetworkPolicy/dapr-egress',
      'NetworkPolicy/default-deny',
      'NetworkPolicy/generator-egress-invoke',
      'NetworkPolicy/generator-ingress',
      'NetworkPolicy/nodeapp-ingress',
      'PodDisruptionBudget/generator',
      'PodDisruptionBudget/nodeapp',
      'Resiliency/resiliency',
      'Service/nodeapp-public',
      'ServiceAccount/generator',
      'ServiceAccount/nodeapp'
    ], 'exactly the objects the walkthrough describes')
    t.comment(`load + ${Object.keys(CHECKS).length} checks: ${Date.now() - started} ms`)
  })

  t.test('a kustomization that does not build is KUSTOMIZE_BUILD', async (t) => {
    await t.rejects(renderKustomize(path.join(fixtures, 'broken-kustomization')), { code: 'KUSTOMIZE_BUILD', message: /deployment\.yaml/ })
  })

  t.test('the CLI exits 0 on the committed tree', async (t) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'scripts', 'validate-deploy', 'bin.ts')], { encoding: 'utf8', timeout: 60_000 })
    t.equal(r.status, 0, r.stderr)
    t.match(r.stdout, /^0 issue\(s\), \d+ checks/)
  })
}

t.test('kubectlStatus explains a missing kubectl', async (t) => {
  const saved = process.env.PATH
  process.env.PATH = path.join(fixtures, 'no-such-dir')
  t.teardown(() => { process.env.PATH = saved })
  const s = await kubectlStatus()
  t.equal(s.ok, false)
  t.match(!s.ok && s.reason, /kubectl is not usable here/)
})

t.test('renderKustomize without kubectl is KUBECTL_MISSING', async (t) => {
  const saved = process.env.PATH
  process.env.PATH = path.join(fixtures, 'no-such-dir')
  t.teardown(() => { process.env.PATH = saved })
  await t.rejects(renderKustomize(fixtures), { code: 'KUBECTL_MISSING' })
})

t.test('duplicate keys and syntax errors are YAML_PARSE', async (t) => {
  const dup = await readFile(path.join(fixtures, 'duplicate-key.yaml'), 'utf8')
  t.throws(() => parseYamlDocs(dup, 'duplicate-key.yaml'), { code: 'YAML_PARSE', message: /duplicate-key\.yaml: .*unique/i })
  t.throws(() => parseYamlDocs('a: [1, 2\n', 'bad.yaml'), ValidateError)
  t.same(parseYamlDocs('---\n# only a comment\n---\na: 1\n', 'ok.yaml'), [{ a: 1 }], 'empty documents are dropped')
})
