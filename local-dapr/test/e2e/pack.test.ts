// The package as a user gets it: `npm pack`, installed into an empty folder, its bin answers
// both verbs' --help and `sidecar` serves the state API from a component folder.
import t from 'tap'
import { execFile, spawn } from 'node:child_process'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { request } from 'undici'

const run = promisify(execFile)
const pkgDir = resolve(import.meta.dirname, '../..')

async function unusedPort (): Promise<number> {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const { port } = s.address() as { port: number }
  await new Promise((resolve) => s.close(resolve))
  return port
}

t.test('npm pack gives a tarball that installs and runs', { timeout: 300_000 }, async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'local-dapr-pack-'))
  t.teardown(() => rm(work, { recursive: true, force: true }))
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: pkgDir, maxBuffer: 16 << 20 })
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ filename: string, files: Array<{ path: string }> }>
  const files = packed?.files.map((f) => f.path) ?? []
  t.ok(files.includes('dist/main.js') && files.includes('dist/index.d.ts') && files.includes('README.md'), 'bin, types and README are in it')
  t.notOk(files.some((f) => f.startsWith('src/') || f.startsWith('test/')), 'no sources or tests')

  const app = join(work, 'app')
  await mkdir(app)
  await writeFile(join(app, 'package.json'), '{"name":"consumer","version":"1.0.0","private":true}')
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, packed?.filename as string)], { cwd: app })
  const bin = join(app, 'node_modules', '.bin', 'local-dapr')
  t.match((await run(bin, ['sidecar', '--help'])).stdout, /^usage: local-dapr sidecar/)
  t.match((await run(bin, ['run', '--help'])).stdout, /^usage: local-dapr run/)
  t.notOk((await readdir(join(app, 'node_modules'))).includes('fastify'), 'none of the product\'s dependencies come along')

  const components = join(app, 'components')
  await mkdir(components)
  await writeFile(join(components, 'statestore.yaml'), 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: statestore\nspec:\n  type: state.in-memory\n  version: v1\n  metadata: []\n')
  const port = await unusedPort()
  const sidecar = spawn(bin, ['sidecar', '--app-id', 'consumer', '--dapr-http-port', String(port), '--resources-path', components],
    { cwd: app, stdio: 'ignore', env: { ...process.env, LOCAL_DAPR_REGISTRY_DIR: join(work, 'registry') } })
  const exited = new Promise((resolve) => sidecar.on('exit', resolve))
  t.teardown(() => { sidecar.kill('SIGKILL') })
  const base = `http://127.0.0.1:${port}`
  let ready = false
  for (let i = 0; i < 300 && !ready; i++) {
    ready = await request(`${base}/v1.0/healthz/outbound`).then(async (r) => { await r.body.dump(); return r.statusCode === 204 }, () => false)
    if (!ready) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.ok(ready, 'the sidecar answers its health check')
  const save = await request(`${base}/v1.0/state/statestore`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ key: 'k', value: { a: 1 } }]) })
  await save.body.dump()
  t.equal(save.statusCode, 204)
  const got = await request(`${base}/v1.0/state/statestore/k`)
  t.same([got.statusCode, await got.body.json()], [200, { a: 1 }])
  const stop = await request(`${base}/v1.0/shutdown`, { method: 'POST' })
  await stop.body.dump()
  t.equal(await exited, 0, 'a graceful shutdown exits 0')
})
