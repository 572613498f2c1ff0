// Part 3, the services: POST /neworder through the local sidecar (service invocation into
// the order service, which stores through the same sidecar) with the in-memory and the Redis
// store, vs a no-op Fastify route: the ceiling for a Node HTTP service on this machine. And
// issue 14's comparison: the order service (production build) against a zero-work stub
// daprd, vs the thin reference route (bench/cells/thin-server.ts) against the same stub.
// All servers share the server CPU; the load and the stub run on the client CPU; the targets
// take turns. Each target's server CPU per request is read from /proc/<pid>/stat around
// every measured window (what the load generator does cannot distort it), and RSS idle and loaded.
import { setTimeout as sleep } from 'node:timers/promises'
import { rotate, slowWindows, type Context } from '../lib/context.js'
import { interleave } from '../lib/interleave.js'
import type { LoadSummary } from '../lib/loop.js'
import { cpuUsOf, rssOf, spawnNode, type Child } from '../lib/proc.js'
import { freePort, redisAvailable, resourcesFor, startNoop, startOrderService, startRedis, startSidecar, startStub, startThin, type RedisServer } from '../lib/servers.js'
import { spread, type Spread } from '../lib/stats.js'

export const SERVICE_TARGETS = ['noop', 'thin-stub', 'order-stub', 'inmem', 'redis', 'inmem-direct'] as const
export type ServiceTarget = typeof SERVICE_TARGETS[number]

export interface ServiceRun extends LoadSummary {
  rep: number
  connections: number
  /** Sum over the target's server processes (sidecar + order service, or the no-op app). */
  rssIdleBytes: number
  rssLoadedBytes: number
  /** Server CPU (all the target's processes) over every call completed in the measured windows. */
  serverCpuUsPerRequest: number
  /** The same by process, in the order of the target's processes. */
  serverCpuUsPerRequestByProcess: number[]
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
  serverCpuUsPerRequest: Spread
  /** Median by process (names in `processes`). */
  serverCpuUsPerRequestByProcess: Spread[]
  processes: string[]
}

export interface ServicesSection {
  cells: ServiceCell[]
  /** Idle RSS of the processes of one stack, by process. */
  rssIdleByProcess: Record<string, Spread>
  notes: string[]
}

interface Stack {
  url: string
  pids: number[]
  /** What each pid is, e.g. ['local sidecar', 'order service']. */
  names: string[]
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
          const cpuStart = new Map<string, number[]>()
          const cpuUsed = new Map<string, { us: number[], calls: number }>()
          const order = rotate(targets, rep)
          const children = order.map((target) => ({
            name: target,
            child: spawnNode(ctx.built('bench/cells/http-load.js'), [JSON.stringify({ url: (stacks.get(target) as Stack).url, concurrency, idPrefix: `${target}-r${rep}-c${concurrency}` })], { cpu: ctx.cpus.client, ipc: true })
          }))
          try {
            const results = await interleave(children, {
              ...slowWindows(ctx.mode),
              before: async (name, measured) => {
                if (measured) cpuStart.set(name, (stacks.get(name as ServiceTarget) as Stack).pids.map((pid) => cpuUsOf(pid) ?? NaN))
              },
              // Each window's end is still under load: sample the servers' RSS there.
              after: async (name, measured, ran) => {
                if (!measured) return
                const stack = stacks.get(name as ServiceTarget) as Stack
                const rss = stack.pids.reduce((a, pid) => a + (rssOf(pid) ?? NaN), 0)
                loaded.set(name, Math.max(loaded.get(name) ?? 0, rss))
                // Every call completed in the window (lead-in included) against the CPU the
                // servers used from just before the window's first call to just after its last.
                const start = cpuStart.get(name) ?? []
                const used = cpuUsed.get(name) ?? { us: stack.pids.map(() => 0), calls: 0 }
                stack.pids.forEach((pid, i) => { used.us[i] = (used.us[i] as number) + (cpuUsOf(pid) ?? NaN) - (start[i] ?? NaN) })
                used.calls += ran.calls
                cpuUsed.set(name, used)
              }
            })
            for (const target of order) {
              const r = results.get(target) as unknown as LoadSummary & { connections: number }
              const used = cpuUsed.get(target) ?? { us: [], calls: 0 }
              const byProcess = used.us.map((us) => used.calls > 0 ? us / used.calls : NaN)
              const run: ServiceRun = {
                ...r,
                rep,
                rssIdleBytes: idle.get(target) ?? NaN,
                rssLoadedBytes: loaded.get(target) ?? NaN,
                serverCpuUsPerRequest: byProcess.reduce((a, b) => a + b, 0),
                serverCpuUsPerRequestByProcess: byProcess
              }
              runs.set(`${target}/${concurrency}`, [...(runs.get(`${target}/${concurrency}`) ?? []), run])
              ctx.log(`services ${target.padEnd(12)} c=${concurrency} rep ${rep + 1}: ${Math.round(r.opsPerSec)} req/s, server CPU ${run.serverCpuUsPerRequest.toFixed(0)} µs/req (${byProcess.map((x) => x.toFixed(0)).join(' + ')}), p50 ${r.p50Us.toFixed(0)} µs, p99 ${r.p99Us.toFixed(0)} µs, ${r.connections} conn(s), RSS ${(run.rssIdleBytes / 1e6).toFixed(0)} → ${(run.rssLoadedBytes / 1e6).toFixed(0)} MB${r.errors > 0 ? `, ${r.errors} errors (${r.firstError})` : ''}`)
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
      const processes = namesOf.get(target) ?? []
      cells.push({
        target,
        concurrency,
        runs: list,
        opsPerSec: spread(list.map((r) => r.opsPerSec)),
        p50Us: spread(list.map((r) => r.p50Us)),
        p99Us: spread(list.map((r) => r.p99Us)),
        rssIdleBytes: spread(list.map((r) => r.rssIdleBytes)),
        rssLoadedBytes: spread(list.map((r) => r.rssLoadedBytes)),
        serverCpuUsPerRequest: spread(list.map((r) => r.serverCpuUsPerRequest)),
        serverCpuUsPerRequestByProcess: processes.map((_, i) => spread(list.map((r) => r.serverCpuUsPerRequestByProcess[i] ?? NaN))),
        processes
      })
    }
  }
  notes.push('The order service and the sidecars run with LOG_LEVEL / --log-level warn: no per-order log lines. The order service is the production build (scripts/build.mjs: the esbuild bundle, started through its main.js).')
  notes.push('Server CPU per request: run time of the target\'s processes (/proc/<pid>/task/*/schedstat, all threads, ns) from just before to just after each measured window, over every call completed in it; the stub daprd runs on the load\'s CPU and is not counted.')
  return {
    cells,
    rssIdleByProcess: Object.fromEntries([...rssByProcess].map(([k, v]) => [k, spread(v)])),
    notes
  }
}

/** What the processes of each target are, for the report. */
const namesOf = new Map<ServiceTarget, string[]>()

async function startStacks (ctx: Context, targets: readonly ServiceTarget[], redis: RedisServer | undefined): Promise<Map<ServiceTarget, Stack>> {
  const stacks = new Map<ServiceTarget, Stack>()
  const noop = await startNoop(ctx)
  stacks.set('noop', { url: `http://127.0.0.1:${noop.port}/neworder`, pids: [noop.child.pid], names: ['no-op app'], stop: async () => { await noop.child.stop() } })
  // The stub daprd shares the load's CPU: only the server under test runs on the server CPU.
  const stub = await startStub(ctx, ctx.cpus.client)
  const thin = await startThin(ctx, stub.port)
  stacks.set('thin-stub', { url: `http://127.0.0.1:${thin.port}/neworder`, pids: [thin.child.pid], names: ['thin route'], stop: async () => { await thin.child.stop() } })
  const ours = await startOrderService(ctx, { daprHttpPort: stub.port })
  stacks.set('order-stub', {
    url: `http://127.0.0.1:${ours.port}/neworder`,
    pids: [ours.child.pid],
    names: ['order service'],
    stop: async () => { await ours.child.stop(); await stub.child.stop() }
  })
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
    stacks.set(name, { url: `http://127.0.0.1:${sidecar.port}/v1.0/invoke/nodeapp/method/neworder`, pids: [sidecar.child.pid, app.child.pid], names: ['local sidecar', 'order service'], stop })
    if (name === 'inmem') stacks.set('inmem-direct', { url: `http://127.0.0.1:${app.port}/neworder`, pids: [sidecar.child.pid, app.child.pid], names: ['local sidecar', 'order service'], stop: async () => {} })
  }
  for (const [name, stack] of stacks) namesOf.set(name, stack.names)
  return stacks
}
