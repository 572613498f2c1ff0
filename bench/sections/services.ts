// Part 3, the services: POST /neworder through the local sidecar (service invocation into
// the order service, which stores through the same sidecar) with the in-memory and the Redis
// store, vs a no-op Fastify route: the ceiling for a Node HTTP service on this machine. All
// servers share the server CPU, the load runs on the client CPU; the targets take turns.
// Then the built order service's start time against `node -e ''`, and RSS idle and loaded.
import { setTimeout as sleep } from 'node:timers/promises'
import { rotate, slowWindows, type Context } from '../lib/context.js'
import { interleave } from '../lib/interleave.js'
import type { LoadSummary } from '../lib/loop.js'
import { rssOf, spawnNode, type Child } from '../lib/proc.js'
import { freePort, redisAvailable, resourcesFor, startNoop, startOrderService, startRedis, startSidecar, type RedisServer } from '../lib/servers.js'
import { spread, type Spread } from '../lib/stats.js'

export const SERVICE_TARGETS = ['noop', 'inmem', 'redis', 'inmem-direct'] as const
export type ServiceTarget = typeof SERVICE_TARGETS[number]

export interface ServiceRun extends LoadSummary {
  rep: number
  connections: number
  /** Sum over the target's server processes (sidecar + order service, or the no-op app). */
  rssIdleBytes: number
  rssLoadedBytes: number
}

export interface ServiceCell {
  target: ServiceTarget
  concurrency: number
  runs: ServiceRun[]
  opsPerSec: Spread
  p50Us: Spread
  p99Us: Spread
  rssIdleBytes: Spread
  rssLoadedBytes: Spread
}

export interface StartupCell {
  what: 'node-floor' | 'order-service'
  runsMs: number[]
  ms: Spread
}

export interface ServicesSection {
  cells: ServiceCell[]
  startup: StartupCell[]
  /** Idle RSS of the processes of one stack, by process. */
  rssIdleByProcess: Record<string, Spread>
  notes: string[]
}

interface Stack {
  url: string
  pids: number[]
  stop (): Promise<void>
}

export async function servicesSection (ctx: Context, skipped: string[]): Promise<ServicesSection> {
  const notes: string[] = []
  const missing = redisAvailable()
  const targets = SERVICE_TARGETS.filter((t) => t !== 'redis' || missing === undefined)
  if (missing !== undefined) {
    skipped.push(`POST /neworder with the Redis store: ${missing}`)
    ctx.log(`skipping the Redis service cells: ${missing}`)
  }
  const redis = missing === undefined ? await startRedis(ctx) : undefined
  const runs = new Map<string, ServiceRun[]>()
  const rssByProcess = new Map<string, number[]>()
  try {
    for (let rep = 0; rep < ctx.mode.reps; rep++) {
      for (const concurrency of [1, 32]) {
        await redis?.flush()
        const stacks = await startStacks(ctx, targets, redis)
        try {
          await sleep(300)
          const idle = new Map<string, number>()
          for (const [name, stack] of stacks) {
            const each = stack.pids.map((pid) => rssOf(pid) ?? NaN)
            idle.set(name, each.reduce((a, b) => a + b, 0))
            if (name === 'noop') rssByProcess.set('no-op Fastify app', [...(rssByProcess.get('no-op Fastify app') ?? []), each[0] as number])
            if (name === 'inmem') {
              rssByProcess.set('local sidecar (in-memory)', [...(rssByProcess.get('local sidecar (in-memory)') ?? []), each[0] as number])
              rssByProcess.set('order service', [...(rssByProcess.get('order service') ?? []), each[1] as number])
            }
          }
          const loaded = new Map<string, number>()
          const order = rotate(targets, rep)
          const children = order.map((target) => ({
            name: target,
            child: spawnNode(ctx.built('bench/cells/http-load.js'), [JSON.stringify({ url: (stacks.get(target) as Stack).url, concurrency, idPrefix: `${target}-r${rep}-c${concurrency}` })], { cpu: ctx.cpus.client, ipc: true })
          }))
          try {
            const results = await interleave(children, {
              ...slowWindows(ctx.mode),
              // Each window's end is still under load: sample the servers' RSS there.
              after: async (name, measured) => {
                if (!measured) return
                const rss = (stacks.get(name as ServiceTarget) as Stack).pids.reduce((a, pid) => a + (rssOf(pid) ?? NaN), 0)
                loaded.set(name, Math.max(loaded.get(name) ?? 0, rss))
              }
            })
            for (const target of order) {
              const r = results.get(target) as unknown as LoadSummary & { connections: number }
              const run: ServiceRun = { ...r, rep, rssIdleBytes: idle.get(target) ?? NaN, rssLoadedBytes: loaded.get(target) ?? NaN }
              runs.set(`${target}/${concurrency}`, [...(runs.get(`${target}/${concurrency}`) ?? []), run])
              ctx.log(`services ${target.padEnd(12)} c=${concurrency} rep ${rep + 1}: ${Math.round(r.opsPerSec)} req/s, p50 ${r.p50Us.toFixed(0)} µs, p99 ${r.p99Us.toFixed(0)} µs, ${r.connections} conn(s), RSS ${(run.rssIdleBytes / 1e6).toFixed(0)} → ${(run.rssLoadedBytes / 1e6).toFixed(0)} MB${r.errors > 0 ? `, ${r.errors} errors (${r.firstError})` : ''}`)
            }
          } finally {
            await Promise.all(children.map(async ({ child }) => { await Promise.race([child.exited, sleep(5000)]); await child.stop() }))
          }
        } finally {
          await Promise.all([...stacks.values()].map(async (s) => await s.stop()))
        }
      }
    }
  } finally {
    await redis?.stop()
  }
  const cells: ServiceCell[] = []
  for (const concurrency of [1, 32]) {
    for (const target of targets) {
      const list = runs.get(`${target}/${concurrency}`) ?? []
      cells.push({
        target,
        concurrency,
        runs: list,
        opsPerSec: spread(list.map((r) => r.opsPerSec)),
        p50Us: spread(list.map((r) => r.p50Us)),
        p99Us: spread(list.map((r) => r.p99Us)),
        rssIdleBytes: spread(list.map((r) => r.rssIdleBytes)),
        rssLoadedBytes: spread(list.map((r) => r.rssLoadedBytes))
      })
    }
  }
  const startup = await startupCells(ctx)
  notes.push('The order service and the sidecars run with LOG_LEVEL / --log-level warn: no per-order log lines.')
  return {
    cells,
    startup,
    rssIdleByProcess: Object.fromEntries([...rssByProcess].map(([k, v]) => [k, spread(v)])),
    notes
  }
}

async function startStacks (ctx: Context, targets: readonly ServiceTarget[], redis: RedisServer | undefined): Promise<Map<ServiceTarget, Stack>> {
  const stacks = new Map<ServiceTarget, Stack>()
  const noop = await startNoop(ctx)
  stacks.set('noop', { url: `http://127.0.0.1:${noop.port}/neworder`, pids: [noop.child.pid], stop: async () => { await noop.child.stop() } })
  const kinds: Array<['inmem' | 'redis', 'in-memory' | 'redis']> = [['inmem', 'in-memory']]
  if (targets.includes('redis') && redis !== undefined) kinds.push(['redis', 'redis'])
  for (const [name, kind] of kinds) {
    const resources = await resourcesFor(kind, redis?.port)
    const appPort = await freePort()
    const sidecar = await startSidecar(ctx, { appId: 'nodeapp', resourcesDir: resources.dir, appPort })
    let app: { port: number, child: Child }
    try {
      app = await startOrderService(ctx, { daprHttpPort: sidecar.port, port: appPort })
    } catch (err) {
      await sidecar.child.stop()
      throw err
    }
    const stop = async (): Promise<void> => {
      await app.child.stop()
      await sidecar.child.stop()
      await resources.remove()
    }
    stacks.set(name, { url: `http://127.0.0.1:${sidecar.port}/v1.0/invoke/nodeapp/method/neworder`, pids: [sidecar.child.pid, app.child.pid], stop })
    if (name === 'inmem') stacks.set('inmem-direct', { url: `http://127.0.0.1:${app.port}/neworder`, pids: [sidecar.child.pid, app.child.pid], stop: async () => {} })
  }
  return stacks
}

/** Process start to the first 200 on /healthz of the built order service, and `node -e ''` start to exit. */
async function startupCells (ctx: Context): Promise<StartupCell[]> {
  const reps = ctx.mode.name === 'quick' ? 1 : 7
  const floor: number[] = []
  const service: number[] = []
  const whats = ['node-floor', 'order-service'] as const
  for (let rep = -1; rep < reps; rep++) {
    for (const what of rotate(whats, rep + 1)) {
      let ms: number
      if (what === 'node-floor') {
        const t0 = performance.now()
        const child = spawnNode('-e', [''], { cpu: ctx.cpus.server })
        await child.exited
        ms = performance.now() - t0
      } else {
        ms = await timeToHealthy(ctx)
      }
      if (rep >= 0) (what === 'node-floor' ? floor : service).push(ms)
    }
  }
  ctx.log(`startup: node -e '' ${spread(floor).median.toFixed(0)} ms, order service to first 200 ${spread(service).median.toFixed(0)} ms`)
  return [{ what: 'node-floor', runsMs: floor, ms: spread(floor) }, { what: 'order-service', runsMs: service, ms: spread(service) }]
}

async function timeToHealthy (ctx: Context): Promise<number> {
  const port = await freePort()
  const unused = await freePort() // no sidecar: liveness does not need one
  const { request } = await import('undici')
  const t0 = performance.now()
  const child = spawnNode(ctx.built('src/order/server.js'), [], {
    cpu: ctx.cpus.server,
    cwd: ctx.root,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), DAPR_HTTP_PORT: String(unused), LOG_LEVEL: 'warn', APP_API_TOKEN: undefined, DAPR_API_TOKEN: undefined }
  })
  try {
    const deadline = t0 + 20_000
    while (performance.now() < deadline) {
      if (child.proc.exitCode !== null) throw new Error(`the order service exited (${child.proc.exitCode})\n${child.tail()}`)
      try {
        const res = await request(`http://127.0.0.1:${port}/healthz`, { reset: true })
        await res.body.dump()
        if (res.statusCode === 200) return performance.now() - t0
      } catch {}
      await sleep(2)
    }
    throw new Error(`the order service did not answer /healthz within 20 s\n${child.tail()}`)
  } finally {
    await child.stop()
  }
}
