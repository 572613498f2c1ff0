// The servers the service, sidecar and pipeline cells run against: a private redis-server,
// the local sidecar (built CLI), the order service (built) and the no-op Fastify route, each
// a child process pinned to the server CPU, each waited for before use.
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'
import type { Context } from './context.js'
import { spawnCommand, spawnNode, type Child, type Message } from './proc.js'

export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** Polls until `url` answers `status` (a fresh connection each time), or throws after timeoutMs. */
export async function waitForStatus (url: string, status: number, timeoutMs: number, child?: Child): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = 'no answer'
  while (Date.now() < deadline) {
    if (child !== undefined && child.proc.exitCode !== null) throw new Error(`${url}: the process exited (${child.proc.exitCode})\n${child.tail()}`)
    try {
      const res = await request(url, { reset: true, headersTimeout: 2000, bodyTimeout: 2000 })
      await res.body.dump()
      if (res.statusCode === status) return
      last = `status ${res.statusCode}`
    } catch (err) {
      last = (err as Error).message
    }
    await sleep(25)
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last: ${last})${child === undefined ? '' : `\n${child.tail()}`}`)
}

export function redisAvailable (): string | undefined {
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' })
  return probe.status === 0 ? undefined : 'redis-server is not installed (or not on PATH)'
}

export interface RedisServer { port: number, child: Child, url: string, flush (): Promise<void>, stop (): Promise<void> }

export async function startRedis (ctx: Context): Promise<RedisServer> {
  const port = await freePort()
  const child = spawnCommand(['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], { cpu: ctx.cpus.server })
  const { Redis } = await import('ioredis')
  const admin = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 50 })
  // Refused connects while redis-server starts are expected; connect() below reports the last one.
  admin.on('error', () => {})
  const deadline = Date.now() + 10_000
  for (;;) {
    try {
      await admin.connect()
      await admin.ping()
      break
    } catch (err) {
      admin.disconnect()
      if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not start: ${(err as Error).message}\n${child.tail()}`)
      await sleep(50)
    }
  }
  return {
    port,
    child,
    url: `redis://127.0.0.1:${port}`,
    flush: async () => { await admin.flushall() },
    stop: async () => {
      admin.disconnect()
      await child.stop()
    }
  }
}

export type StoreKind = 'in-memory' | 'redis'

/** A resources folder with one `statestore` component of the given kind. */
export async function resourcesFor (kind: StoreKind, redisPort?: number): Promise<{ dir: string, remove (): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'orders-bench-'))
  const spec = kind === 'in-memory'
    ? 'type: state.in-memory\n  version: v1\n  metadata: []'
    : `type: state.redis\n  version: v1\n  metadata:\n    - name: redisHost\n      value: 127.0.0.1:${redisPort ?? 6379}\n    - name: redisPassword\n      value: ""`
  await writeFile(join(dir, 'statestore.yaml'), `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: statestore\nspec:\n  ${spec}\n`)
  return { dir, remove: async () => { await rm(dir, { recursive: true, force: true }) } }
}

export interface Sidecar { port: number, child: Child }

/** The local sidecar's built CLI with daprd's flags, ready when /v1.0/healthz/outbound says 204. */
export async function startSidecar (ctx: Context, options: { appId: string, resourcesDir: string, appPort?: number | undefined }): Promise<Sidecar> {
  const port = await freePort()
  const flags = ['--app-id', options.appId, '--dapr-http-port', String(port), '--resources-path', options.resourcesDir, '--log-level', 'warn']
  if (options.appPort !== undefined) flags.push('--app-port', String(options.appPort))
  const child = spawnNode(ctx.built('local-dapr/src/main.js'), ['sidecar', ...flags], { cpu: ctx.cpus.server, cwd: ctx.root })
  await waitForStatus(`http://127.0.0.1:${port}/v1.0/healthz/outbound`, 204, 20_000, child)
  return { port, child }
}

/** The order service as the image runs it (the esbuild bundle's main.js), ready when /healthz says 200. */
export async function startOrderService (ctx: Context, options: { daprHttpPort: number, port?: number }): Promise<{ port: number, child: Child }> {
  const port = options.port ?? await freePort()
  const child = spawnNode(ctx.bundled('order'), [], {
    cpu: ctx.cpus.server,
    cwd: ctx.root,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), DAPR_HTTP_PORT: String(options.daprHttpPort), LOG_LEVEL: 'warn', APP_API_TOKEN: undefined, DAPR_API_TOKEN: undefined }
  })
  await waitForStatus(`http://127.0.0.1:${port}/healthz`, 200, 20_000, child)
  return { port, child }
}

/** The zero-work stub daprd (bench/stub-daprd.ts) on the given CPU. */
export async function startStub (ctx: Context, cpu: string | undefined): Promise<{ port: number, child: Child }> {
  const child = spawnNode(ctx.built('bench/stub-daprd.js'), [], { cpu, ipc: true })
  const { port } = await child.next<Message & { port: number }>('ready', 20_000)
  return { port, child }
}

/** The thin reference route (bench/cells/thin-server.ts) in front of a stub daprd. */
export async function startThin (ctx: Context, stubPort: number): Promise<{ port: number, child: Child }> {
  const child = spawnNode(ctx.built('bench/cells/thin-server.js'), [], { cpu: ctx.cpus.server, ipc: true, env: { ...process.env, STUB_PORT: String(stubPort) } })
  const { port } = await child.next<Message & { port: number }>('ready', 20_000)
  return { port, child }
}

/** The ceiling: a Fastify app with one no-op JSON route, in its own process. */
export async function startNoop (ctx: Context): Promise<{ port: number, child: Child }> {
  const child = spawnNode(ctx.built('bench/cells/noop-server.js'), [], { cpu: ctx.cpus.server, ipc: true })
  const { port } = await child.next<Message & { port: number }>('ready', 20_000)
  return { port, child }
}
