import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import { call } from '../helpers/http-call.js'
import { unusedPort } from '../helpers/conformance.js'

function run (args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../../src/main.ts', import.meta.url)), 'sidecar', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  createInterface({ input: child.stdout }).on('line', (l) => lines.push(l))
  let stderr = ''
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, lines, exit, stderr: () => stderr }
}

async function started (lines: string[]): Promise<void> {
  for (let i = 0; i < 300 && !lines.some((l) => l.includes('local sidecar started')); i++) await new Promise((resolve) => setTimeout(resolve, 50))
}

t.test('bad flags exit 1 with a message', async (t) => {
  const p = run(['--bogus'])
  t.equal(await p.exit, 1)
  t.match(p.stderr(), 'local-dapr sidecar: flag provided but not defined: -bogus')
})

t.test('a failing start exits 1', async (t) => {
  const p = run(['--app-id', 'x', '--dapr-http-port', '0', '--resources-path', 'does-not-exist'])
  t.equal(await p.exit, 1)
  t.ok(p.lines.some((l) => l.includes('failed to start')))
})

t.test('serves, closes on SIGTERM with exit 0; API shutdown exits too', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'main-test-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const port = await unusedPort()
  const p = run(['--app-id', 'm', '--dapr-http-port', String(port), '--dapr-grpc-port', '1', '--log-level', 'info'], { LOCAL_DAPR_REGISTRY_DIR: dir, DAPR_API_TOKEN: 'tok' })
  await started(p.lines)
  t.equal((await call(`http://127.0.0.1:${port}`, 'GET', '/v1.0/metadata')).status, 401)
  p.child.kill('SIGTERM')
  t.equal(await p.exit, 0)
  t.ok(p.lines.some((l) => l.includes('accepted and ignored')))
  for (const [force, code] of [['false', 0], ['true', 1]] as const) {
    const port2 = await unusedPort()
    const q = run(['--app-id', 'n', '--dapr-http-port', String(port2)], { LOCAL_DAPR_REGISTRY_DIR: dir })
    await started(q.lines)
    t.equal((await call(`http://127.0.0.1:${port2}`, 'POST', '/v1.0/shutdown', { headers: { 'dapr-force-shutdown': force } })).status, 204)
    t.equal(await q.exit, code)
  }
})
