import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import type { DeployBundle } from '../../../scripts/validate-deploy/bundle.js'
import { applyFixture, FixtureError, loadFixture } from '../../../scripts/validate-deploy/fixture.js'

function bundle (): DeployBundle {
  return {
    rendered: [{ kind: 'Deployment', metadata: { name: 'nodeapp', annotations: { 'a/b': 'x' } }, spec: { list: [1, 2, 3] } }],
    kustomization: {},
    runFile: {},
    localDapr: [],
    localConfigFile: null,
    cluster: { vpc: { cidr: '10.0.0.0/16' } },
    daprValues: {},
    lbcValues: {},
    clusterObjects: [{ kind: 'StorageClass', metadata: { name: 'gp3' }, provisioner: 'x' }],
    secretsExample: [],
    dockerfile: 'FROM a\n',
    dockerignore: '*\n',
    docs: 'hello',
    readme: 'readme'
  }
}

const dir = await mkdtemp(path.join(tmpdir(), 'fixtures-'))
async function write (name: string, text: string): Promise<string> {
  const file = path.join(dir, name)
  await writeFile(file, text)
  return file
}

t.test('loadFixture reads why, code, message and patch', async (t) => {
  const f = await loadFixture(await write('ok.yaml', 'why: w\ncode: NETPOL\nmessage: "a.b"\npatch:\n  - target: cluster\n    path: /vpc/cidr\n    value: x\n'))
  t.equal(f.code, 'NETPOL')
  t.ok(f.message.test('aXb'))
  t.equal(f.patch.length, 1)
})

t.test('loadFixture refuses a malformed fixture', async (t) => {
  await t.rejects(loadFixture(await write('no-code.yaml', 'why: w\nmessage: m\npatch: [{target: cluster}]\n')), { code: 'FIXTURE_INVALID', message: /why, code and message/ })
  await t.rejects(loadFixture(await write('no-patch.yaml', 'why: w\ncode: X\nmessage: m\npatch: []\n')), { code: 'FIXTURE_INVALID', message: /non-empty patch/ })
  await t.rejects(loadFixture(await write('empty.yaml', '')), FixtureError)
})

t.test('applyFixture sets, removes, pushes and replaces', async (t) => {
  const b = bundle()
  applyFixture(b, {
    patch: [
      { target: 'Deployment/nodeapp', path: '/metadata/annotations/a~1b', value: 'y' },
      { target: 'Deployment/nodeapp', path: '/metadata/annotations/c~0d', value: 'z' },
      { target: 'Deployment/nodeapp', path: '/spec/list/0', remove: true },
      { target: 'Deployment/nodeapp', path: '/spec/list', push: 4 },
      { target: 'cluster', path: '/vpc/cidr', remove: true },
      { target: 'clusterObjects:StorageClass/gp3', path: '/provisioner', value: 'ebs' },
      { target: 'docs', replace: ['hello', 'bye'] }
    ]
  })
  const d = b.rendered[0]
  t.same(d.metadata.annotations, { 'a/b': 'y', 'c~d': 'z' })
  t.same(d.spec.list, [2, 3, 4])
  t.same(b.cluster.vpc, {})
  t.equal(b.clusterObjects[0].provisioner, 'ebs')
  t.equal(b.docs, 'bye')
})

t.test('applyFixture refuses an op that changes nothing or cannot apply', async (t) => {
  const cases: Array<[string, object, RegExp]> = [
    ['text without replace', { target: 'docs', value: 1 }, /replace: \[from, to\]/],
    ['text that is absent', { target: 'readme', replace: ['nope', 'x'] }, /"nope" is not in the text/],
    ['unknown target', { target: 'Deployment/other', path: '/a', value: 1 }, /matches nothing/],
    ['unknown list field', { target: 'rendred:Deployment/nodeapp', path: '/a', value: 1 }, /matches nothing/],
    ['bare word target', { target: 'nothing', path: '/a', value: 1 }, /matches nothing/],
    ['missing parent', { target: 'cluster', path: '/nope/x', value: 1 }, /nope does not exist/],
    ['no path', { target: 'cluster', value: 1 }, /needs a path/],
    ['path through a scalar', { target: 'cluster', path: '/vpc/cidr/x', value: 1 }, /needs a path inside/],
    ['remove nothing', { target: 'cluster', path: '/vpc/none', remove: true }, /nothing to remove/],
    ['push onto a non-list', { target: 'cluster', path: '/vpc', push: 1 }, /push needs a list/],
    ['no operation', { target: 'cluster', path: '/vpc/cidr' }, /needs value, remove or push/]
  ]
  for (const [name, op, message] of cases) {
    t.throws(() => applyFixture(bundle(), { patch: [op as never] }), { code: 'FIXTURE_INVALID', message }, name)
  }
})
