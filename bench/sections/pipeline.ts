// Part 5, the pipeline end to end: generator → its sidecar → the order service's sidecar →
// order service → sidecar → store, started by the project's runner (local-dapr/src/runner/runner.ts)
// from dapr.yaml with the built apps, generator concurrency 1 and 32. Orders per second are
// taken from the generator's delivered-ids file between 10 % and 90 % of the count (start-up
// and tail excluded); the share stored is read back through the order service's sidecar.
import { readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import type { ResolvedApp } from '../../local-dapr/src/runner/run-file.js'
import type { RunOptions, RunningSystem } from '../../local-dapr/src/runner/runner.js'
import type { SidecarClientOptions, SidecarClient } from '../../src/sidecar/index.js'
import { rotate, type Context } from '../lib/context.js'
import { cpuUsOf } from '../lib/proc.js'
import { freePort, redisAvailable, resourcesFor, startRedis, type RedisServer, type StoreKind } from '../lib/servers.js'
import { spread, type Spread } from '../lib/stats.js'

export interface PipelineRun {
  rep: number
  count: number
  delivered: number
  stored: number
  ordersPerSec: number
  /** Whole run: from the generator's first delivery to its last. */
  totalMs: number
  timedOut: boolean
  /** CPU per order of each process between 10 % and 90 % of the count (µs), by PROCESSES. */
  cpuUsPerOrder: number[]
  /** From the order service's own metrics over the whole run (ms, means). */
  appRequestMs: number
  stateSaveMs: number
  stateSavesPerOrder: number
}

/** The pipeline's processes, in the order an order crosses them. */
export const PROCESSES = ['generator', 'generator\'s sidecar', 'nodeapp\'s sidecar', 'order service'] as const

export interface PipelineCell {
  store: StoreKind
  concurrency: number
  runs: PipelineRun[]
  ordersPerSec: Spread
  storedShare: Spread
  cpuUsPerOrder: Spread[]
  appRequestMs: Spread
  stateSaveMs: Spread
  stateSavesPerOrder: Spread
}

export interface PipelineSection {
  cells: PipelineCell[]
  notes: string[]
}

export async function pipelineSection (ctx: Context, skipped: string[], withRedis = false): Promise<PipelineSection> {
  const { startSystem } = await import(pathToFileURL(ctx.built('local-dapr/src/runner/runner.js')).href) as { startSystem: (o: RunOptions) => Promise<RunningSystem> }
  const { loadRunFile } = await import(pathToFileURL(ctx.built('local-dapr/src/runner/run-file.js')).href) as { loadRunFile: (p: string) => Promise<ResolvedApp[]> }
  const { createSidecarClient } = await import(pathToFileURL(ctx.built('src/sidecar/index.js')).href) as { createSidecarClient: (o: SidecarClientOptions) => SidecarClient }
  // The in-memory store only (the Redis store's cost is measured in parts 3 and 4): each run
  // starts four processes, which dominates the time of this part. `--pipeline-redis` adds it.
  const missing = redisAvailable()
  const stores: StoreKind[] = withRedis && missing === undefined ? ['in-memory', 'redis'] : ['in-memory']
  if (withRedis && missing !== undefined) skipped.push(`pipeline with the Redis store: ${missing}`)
  const redis: RedisServer | undefined = stores.includes('redis') ? await startRedis(ctx) : undefined
  const counts: Record<number, number> = ctx.mode.name === 'quick' ? { 1: 100, 32: 300 } : { 1: 300, 32: 1200 }
  const runs = new Map<string, PipelineRun[]>()
  try {
    for (let rep = 0; rep < ctx.mode.reps; rep++) {
      for (const concurrency of [1, 32]) {
        for (const store of rotate(stores, rep)) {
          await redis?.flush()
          const run = await pipelineRun(ctx, { startSystem, loadRunFile, createSidecarClient, store, redis, concurrency, count: counts[concurrency] as number, rep })
          runs.set(`${store}/${concurrency}`, [...(runs.get(`${store}/${concurrency}`) ?? []), run])
          ctx.log(`pipeline ${store} c=${concurrency} rep ${rep + 1}: ${Math.round(run.ordersPerSec)} orders/s, ${run.delivered}/${run.count} delivered, ${run.stored}/${run.count} stored${run.timedOut ? ' (timed out)' : ''}`)
        }
      }
    }
  } finally {
    await redis?.stop()
  }
  const cells: PipelineCell[] = []
  for (const concurrency of [1, 32]) {
    for (const store of stores) {
      const list = runs.get(`${store}/${concurrency}`) ?? []
      cells.push({
        store,
        concurrency,
        runs: list,
        ordersPerSec: spread(list.map((r) => r.ordersPerSec)),
        storedShare: spread(list.map((r) => r.stored / r.count)),
        cpuUsPerOrder: PROCESSES.map((_, i) => spread(list.map((r) => r.cpuUsPerOrder[i] ?? NaN))),
        appRequestMs: spread(list.map((r) => r.appRequestMs)),
        stateSaveMs: spread(list.map((r) => r.stateSaveMs)),
        stateSavesPerOrder: spread(list.map((r) => r.stateSavesPerOrder))
      })
    }
  }
  return {
    cells,
    notes: [
      `Orders per run: ${counts[1]} at concurrency 1, ${counts[32]} at 32. Processes not pinned: generator, two sidecars and the order service share both CPUs with the driver.`,
      'GENERATOR_INTERVAL_MS=0, LOG_LEVEL=warn for the apps and --log-level warn for the sidecars; the generator appends each delivered id to a file (appendFileSync), which is part of the measured path.',
      'CPU per order by process: run time (/proc/<pid>/task/*/schedstat) between the samples at 10 % and 90 % of the count over the orders delivered in between. Time in the order service and per state save: its own Prometheus histograms (http_request_duration_seconds for POST /neworder, sidecar_call_duration_seconds for state.save), means over the run.'
    ]
  }
}

interface RunInput {
  startSystem: (o: RunOptions) => Promise<RunningSystem>
  loadRunFile: (p: string) => Promise<ResolvedApp[]>
  createSidecarClient: (o: SidecarClientOptions) => SidecarClient
  store: StoreKind
  redis: RedisServer | undefined
  concurrency: number
  count: number
  rep: number
}

async function pipelineRun (ctx: Context, input: RunInput): Promise<PipelineRun> {
  const deliveredFile = join(tmpdir(), `orders-bench-delivered-${process.pid}-${Date.now()}.txt`)
  const resources = await resourcesFor(input.store, input.redis?.port)
  const appPort = await freePort()
  // dapr.yaml's apps, run from the build on plain node instead of through tsx.
  const apps = (await input.loadRunFile(ctx.root)).map((app) => {
    const script = app.command.find((a) => a.endsWith('.ts'))
    const command = script === undefined ? app.command : [process.execPath, ctx.built(script.replace(/\.ts$/, '.js'))]
    const ownPort = app.appPort === undefined ? {} : { appPort, env: { ...app.env, PORT: String(appPort) } }
    return { ...app, command, logLevel: 'warn', ...ownPort }
  })
  let output = ''
  const sink = new Writable({ write (chunk: Buffer, _enc, done) { output = (output + chunk.toString('utf8')).slice(-8192); done() } })
  const started = performance.now()
  const system = await input.startSystem({
    apps,
    output: sink,
    resourcesPaths: [resources.dir],
    appEnv: {
      GENERATOR_COUNT: String(input.count),
      GENERATOR_CONCURRENCY: String(input.concurrency),
      GENERATOR_INTERVAL_MS: '0',
      GENERATOR_DELIVERED_FILE: deliveredFile,
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1'
    },
    stopGraceMs: 5000
  })
  try {
    const generator = system.apps.find((a) => a.appId === 'generator')
    const nodeapp = system.apps.find((a) => a.appId === 'nodeapp')
    if (generator === undefined || nodeapp === undefined) throw new Error('dapr.yaml has no generator or no nodeapp app')
    // Sample the delivered count; the rate is taken between 10 % and 90 % of the count. Each
    // sample also reads the four processes' CPU time (/proc), for the CPU per order by hop.
    const pids = [generator.app.child.pid, generator.sidecar.child.pid, nodeapp.sidecar.child.pid, nodeapp.app.child.pid]
    const cpuNow = (): number[] => pids.map((pid) => pid === undefined ? NaN : cpuUsOf(pid) ?? NaN)
    const samples: Array<{ t: number, n: number, cpu: number[] }> = []
    const deadline = started + (ctx.mode.name === 'quick' ? 20_000 : 40_000)
    let timedOut = false
    while (!generator.app.hasExited()) {
      samples.push({ t: performance.now(), n: await lines(deliveredFile), cpu: cpuNow() })
      if (performance.now() > deadline) {
        timedOut = true
        break
      }
      await sleep(25)
    }
    samples.push({ t: performance.now(), n: await lines(deliveredFile), cpu: cpuNow() })
    const ids = (await readFile(deliveredFile, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '')
    const total = samples.at(-1)?.n ?? 0
    const at = (share: number) => samples.find((s) => s.n >= share * total)
    const a = at(0.1)
    const b = at(0.9)
    const first = samples.find((s) => s.n > 0)
    const ordersPerSec = a !== undefined && b !== undefined && b.t > a.t ? (b.n - a.n) / ((b.t - a.t) / 1000) : NaN
    const cpuUsPerOrder = pids.map((_, i) => a !== undefined && b !== undefined && b.n > a.n ? ((b.cpu[i] ?? NaN) - (a.cpu[i] ?? NaN)) / (b.n - a.n) : NaN)
    // The order service's view of each order, from its own metrics (the same histograms
    // Prometheus scrapes): time inside the service per request, and per state call.
    const metrics = await scrapeMetrics(`http://127.0.0.1:${appPort}/metrics`)
    const reqSum = metric(metrics, 'http_request_duration_seconds_sum', 'route="/neworder"')
    const reqCount = metric(metrics, 'http_request_duration_seconds_count', 'route="/neworder"')
    const saveSum = metric(metrics, 'sidecar_call_duration_seconds_sum', 'operation="state.save"')
    const saveCount = metric(metrics, 'sidecar_call_duration_seconds_count', 'operation="state.save"')
    const stored = await countStored(input.createSidecarClient, nodeapp.daprHttpPort, ids)
    if (ids.length === 0) throw new Error(`no order delivered; last output:\n${output}`)
    return {
      rep: input.rep,
      count: input.count,
      delivered: ids.length,
      stored,
      ordersPerSec,
      totalMs: first === undefined ? NaN : (samples.at(-1)?.t ?? NaN) - first.t,
      timedOut,
      cpuUsPerOrder,
      appRequestMs: reqSum / reqCount * 1000,
      stateSaveMs: saveSum / saveCount * 1000,
      stateSavesPerOrder: saveCount / reqCount
    }
  } finally {
    await system.stop()
    await resources.remove()
    await rm(deliveredFile, { force: true })
  }
}

async function scrapeMetrics (url: string): Promise<string> {
  const { request } = await import('undici')
  const res = await request(url)
  return await res.body.text()
}

/** Sum of the samples of `name` whose labels contain `label` (NaN when there is none). */
function metric (text: string, name: string, label: string): number {
  let sum = NaN
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || !line.includes(label)) continue
    const value = Number(line.slice(line.lastIndexOf(' ') + 1))
    sum = Number.isNaN(sum) ? value : sum + value
  }
  return sum
}

async function lines (file: string): Promise<number> {
  try {
    const buf = await readFile(file)
    let n = 0
    for (const byte of buf) if (byte === 10) n++
    return n
  } catch {
    return 0
  }
}

/** Reads every delivered order's key back through the order service's sidecar. */
async function countStored (create: RunInput['createSidecarClient'], port: number, ids: readonly string[]): Promise<number> {
  const client = create({ endpoint: `http://127.0.0.1:${port}` })
  try {
    let stored = 0
    for (let i = 0; i < ids.length; i += 500) {
      const items = await client.state.getBulk('statestore', ids.slice(i, i + 500).map((id) => `order-${id}`))
      stored += items.filter((x) => x.found).length
    }
    return stored
  } finally {
    await client.close()
  }
}
