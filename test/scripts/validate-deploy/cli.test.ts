import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { kubectlStatus, ValidateError, type DeployBundle } from '../../../scripts/validate-deploy/bundle.js'
import { main } from '../../../scripts/validate-deploy/cli.js'
import { empty } from './helpers.js'

/** A bundle that fails: only a Namespace, nothing else the checks expect. */
const broken = (): DeployBundle => ({
  ...empty(),
  rendered: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'orders' } }],
  kustomization: {},
  runFile: {},
  cluster: {},
  daprValues: {},
  lbcValues: {}
})

function io (load: () => Promise<DeployBundle>): { out: string[], err: string[], load: () => Promise<DeployBundle>, o: (l: string) => void } {
  const out: string[] = []
  const err: string[] = []
  return { out, err, load, o: (l) => out.push(l) }
}

t.test('one line per issue on stderr, a summary on stdout, exit 1', async (t) => {
  const x = io(async () => broken())
  const code = await main([], { out: x.o, err: (l) => x.err.push(l), load: x.load })
  t.equal(code, 1)
  t.ok(x.err.length > 10)
  for (const line of x.err) t.match(line, /^[A-Z0-9_]+ \S.*: /)
  t.match(x.out[0], /^\d+ issue\(s\), \d+ checks, \d+ ms$/)
})

t.test('a load failure is reported with its code', async (t) => {
  const x = io(async () => { throw new ValidateError('KUBECTL_MISSING', 'kubectl is missing') })
  t.equal(await main([], { out: x.o, err: (l) => x.err.push(l), load: x.load }), 1)
  t.same(x.err, ['KUBECTL_MISSING: kubectl is missing'])
})

const status = await kubectlStatus()
if (!status.ok && process.env.CI) t.fail(status.reason)
t.test('the committed tree exits 0 (default loader; needs kubectl)', { skip: status.ok ? false : status.reason }, async (t) => {
  const out: string[] = []
  const err: string[] = []
  t.equal(await main([], { out: (l) => out.push(l), err: (l) => err.push(l) }), 0, err.join('\n'))
  t.match(out[0], /^0 issue\(s\)/)
})

t.test('--fixture applies a fixture; a broken fixture is reported with its code', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'cli-'))
  const bad = path.join(dir, 'bad.yaml')
  await writeFile(bad, 'why: w\ncode: X\nmessage: m\npatch:\n  - target: Deployment/none\n    path: /a\n    value: 1\n')
  const x = io(async () => broken())
  t.equal(await main(['--fixture', bad], { out: x.o, err: (l) => x.err.push(l), load: x.load }), 1)
  t.match(x.err, [/^FIXTURE_INVALID: target Deployment\/none matches nothing/])
  const good = path.join(dir, 'good.yaml')
  await writeFile(good, 'why: w\ncode: X\nmessage: m\npatch:\n  - target: Namespace/orders\n    path: /metadata/labels\n    value: {}\n')
  const y = io(async () => broken())
  t.equal(await main(['--fixture', good], { out: y.o, err: (l) => y.err.push(l), load: y.load }), 1)
  t.match(y.out[0], /issue\(s\)/)
})

t.test('an unexpected error is ERROR; an unknown argument is a usage error', async (t) => {
  const x = io(async () => { throw new Error('boom') })
  t.equal(await main([], { out: x.o, err: (l) => x.err.push(l), load: x.load }), 1)
  t.same(x.err, ['ERROR: boom'])
  const y = io(async () => broken())
  t.equal(await main(['--fixtur'], { out: y.o, err: (l) => y.err.push(l), load: y.load }), 1)
  t.match(y.err[0], /^USAGE: unknown argument --fixtur/)
  t.equal(await main(['--fixture'], { out: y.o, err: (l) => y.err.push(l), load: y.load }), 1, '--fixture without a file')
})
