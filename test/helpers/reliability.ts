// What the reliability tests share: the system started through the runner (as `npm start`
// does) against a Redis of the test's choosing, a log sink that counts instead of keeping
// everything, the audit "acknowledged ⊆ stored", and the figures each scenario records.
import { existsSync } from 'node:fs'
import { appendFile, cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Test } from 'tap'
import { Redis } from 'ioredis'
import { Pool } from 'undici'
import { loadRunFile, type ResolvedApp } from '../../local-dapr/src/runner/run-file.js'
import { freePort, startSystem, type RunningSystem } from '../../local-dapr/src/runner/runner.js'

export const repo = resolve(import.meta.dirname, '../..')

/** A Redis component folder like `components/redis`, pointed at `host:port` and one database. */
export async function redisResources (host: string, db: number): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'reliability-components-'))
  await mkdir(join(dir, 'redis'))
  const component = (await readFile(join(repo, 'components/redis/statestore.yaml'), 'utf8'))
    .replace('value: localhost:6379', `value: ${host}`)
    .replace(/(- name: keyPrefix)/, `- name: redisDB\n      value: "${db}"\n    $1`)
  if (!component.includes(`value: ${host}`)) throw new Error('components/redis/statestore.yaml no longer names localhost:6379')
  await writeFile(join(dir, 'redis/statestore.yaml'), component)
  await cp(join(repo, 'components/common'), join(dir, 'common'), { recursive: true })
  return [join(dir, 'common'), join(dir, 'redis')]
}

/** One response the order service logged (Fastify's `request completed`). */
interface Completed { statusCode: number }

/**
 * The runner's output, parsed line by line and counted: a 10,000-order run writes tens of
 * thousands of lines, so only counts, warnings and a tail are kept.
 */
export class SystemLog extends Writable {
  /** Responses of the order service by status code. */
  readonly statuses = new Map<number, number>()
  /** Lines at warn level or above, per prefix (bounded). */
  readonly problems: string[] = []
  readonly tail: string[] = []
  /** The generator's final summary, once logged. */
  summary: Record<string, unknown> | undefined
  /**
   * The generator's pause, resume and stop lines and its warnings and errors, in order (the
   * first 500): what an operator would read during an outage.
   */
  readonly generatorEvents: Array<Record<string, any>> = []
  /** Lines seen in total. */
  lines = 0
  private rest = ''
  private readonly needles: string[]
  /** For each needle: the first line it was found in. */
  readonly found = new Map<string, string>()

  constructor (needles: string[] = []) {
    super()
    this.needles = needles
  }

  override _write (chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    const text = this.rest + chunk.toString('utf8')
    const parts = text.split('\n')
    this.rest = parts.pop() as string
    for (const line of parts) this.line(line)
    done()
  }

  private line (line: string): void {
    this.lines++
    this.tail.push(line)
    if (this.tail.length > 300) this.tail.shift()
    for (const n of this.needles) if (!this.found.has(n) && line.includes(n)) this.found.set(n, line)
    const json = line.indexOf('{')
    if (json < 0) return
    let entry: Record<string, any>
    try {
      entry = JSON.parse(line.slice(json)) as Record<string, any>
    } catch {
      return
    }
    if (line.startsWith('== APP - nodeapp ==') && entry.msg === 'request completed') {
      const status = (entry.res as Completed | undefined)?.statusCode ?? 0
      this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1)
    }
    if (line.startsWith('== APP - generator ==') && typeof entry.msg === 'string') {
      if (entry.msg.startsWith('Generator stopped')) this.summary = entry
      const event = /^(Delivery (paused|resumed)|Order ids|Stopped with)/.test(entry.msg) || (typeof entry.level === 'number' && entry.level >= 40)
      if (event && this.generatorEvents.length < 500) this.generatorEvents.push(entry)
    }
    if (typeof entry.level === 'number' && entry.level >= 40 && this.problems.length < 200) this.problems.push(line)
  }

  /** How many generator lines (of those kept) have a message starting with `prefix`. */
  generatorLines (prefix: string): number {
    return this.generatorEvents.filter((e) => String(e.msg).startsWith(prefix)).length
  }

  /** Order-service answers with a status in [from, to). */
  count (from: number, to: number): number {
    let n = 0
    for (const [status, c] of this.statuses) if (status >= from && status < to) n += c
    return n
  }
}

export interface Pipeline {
  system: RunningSystem
  log: SystemLog
  orderPort: number
  base: string
  deliveredFile: string
  /** The order service's sidecar API. */
  sidecarUrl: string
  /** Ids the generator has written to GENERATOR_DELIVERED_FILE so far. */
  acknowledged: () => Promise<string[]>
  /** Resolves once the generator has exited, or rejects after `timeoutMs`. */
  generatorExit: (timeoutMs: number) => Promise<number | string>
}

export interface PipelineOptions {
  resourcesPaths: string[]
  /** Extra env for the order service (DRAIN_DELAY_MS, APP_API_TOKEN, ...). */
  orderEnv?: Record<string, string>
  /** Env for the generator; undefined starts the order service alone. */
  generatorEnv?: Record<string, string> | undefined
  /** Extra env for every process, sidecars included (DAPR_API_TOKEN, APP_API_TOKEN). */
  env?: Record<string, string>
  /** Strings to look for in every output line (tokens that must never be logged). */
  needles?: string[]
  stopGraceMs?: number
}

/**
 * dapr.yaml through the runner, as `npm start -- --redis` runs it, with the test's own
 * ports, name-resolution folder, resources and environment.
 */
export async function launchPipeline (t: Test, options: PipelineOptions): Promise<Pipeline> {
  const orderPort = await freePort()
  const work = await mkdtemp(join(tmpdir(), 'reliability-'))
  const deliveredFile = join(work, 'delivered')
  const apps: ResolvedApp[] = (await loadRunFile(repo))
    .filter((app) => app.appId === 'nodeapp' || options.generatorEnv !== undefined)
    .map((app) => app.appId === 'nodeapp'
      // Debug: the order service's access lines ("request completed"), which the audit counts, are at debug.
      ? { ...app, appPort: orderPort, env: { ...app.env, PORT: String(orderPort), LOG_LEVEL: 'debug', ...options.orderEnv } }
      : { ...app, env: { ...app.env, PORT: '0', GENERATOR_DELIVERED_FILE: deliveredFile, ...options.generatorEnv } })
  const log = new SystemLog(options.needles)
  const system = await startSystem({
    apps,
    output: log,
    env: { ...process.env, LOCAL_DAPR_REGISTRY_DIR: join(work, 'registry'), LOG_LEVEL: 'info', ...options.env },
    resourcesPaths: options.resourcesPaths,
    stopGraceMs: options.stopGraceMs ?? 15_000,
    appReadyTimeoutMs: 120_000,
    sidecarReadyTimeoutMs: 60_000
  })
  t.teardown(async () => {
    await system.stop()
    if (t.passing()) return
    t.comment(`last output lines:\n${log.tail.slice(-60).join('\n')}`)
  })
  const nodeapp = system.apps.find((a) => a.appId === 'nodeapp')
  return {
    system,
    log,
    orderPort,
    base: `http://127.0.0.1:${orderPort}`,
    deliveredFile,
    sidecarUrl: `http://127.0.0.1:${nodeapp?.daprHttpPort ?? 0}`,
    acknowledged: async () => existsSync(deliveredFile) ? (await readFile(deliveredFile, 'utf8')).split('\n').filter(Boolean) : [],
    generatorExit: async (timeoutMs) => {
      const generator = system.apps.find((a) => a.appId === 'generator')
      if (generator === undefined) throw new Error('no generator in this pipeline')
      // The runner may replace the process (restartApp); wait for whichever runs at the end.
      const exited = (async () => {
        for (;;) {
          const proc = generator.app
          const code = await proc.exited
          if (generator.app === proc) return code
        }
      })()
      return await bounded(exited, timeoutMs, 'the generator did not finish')
    }
  }
}

/** `promise`, or a rejection naming `what` after `ms`. */
export async function bounded<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms) })])
  } finally {
    clearTimeout(timer)
  }
}

/** Polls `check` every 50 ms until it returns true; throws after `ms`. */
export async function until (check: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`)
    await sleep(50)
  }
}

/** True when something accepts TCP connections on the port. */
export async function accepts (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

export interface Audit {
  acknowledged: number
  /** Acknowledged ids listed more than once. */
  duplicateAcks: number
  /** Order keys in the store (acknowledged or not). */
  stored: number
  /** Acknowledged ids whose key is missing or holds another order: must be 0. */
  lost: string[]
  /** Acknowledged orders whose key was written more than once (Redis `version` above 1). */
  writtenTwice: string[]
  /** Acknowledged orders stored with other data than the generator sent (`{ orderId }` only). */
  wrongData: string[]
  /** Acknowledged ids that `GET /orders/:id` did not return as stored. */
  unreadable: string[]
}

/**
 * acknowledged ⊆ stored, checked twice: in Redis (daprd's layout: one hash per key with
 * `data` and `version`) and through the order service's own `GET /orders/:id`.
 */
export async function audit (redisUrl: string, db: number, base: string | undefined, ids: readonly string[]): Promise<Audit> {
  const redis = new Redis(redisUrl, { db, lazyConnect: true, maxRetriesPerRequest: 3 })
  await redis.connect()
  try {
    const lost: string[] = []
    const writtenTwice: string[] = []
    const wrongData: string[] = []
    for (let i = 0; i < ids.length; i += 500) {
      const batch = ids.slice(i, i + 500)
      const pipe = redis.pipeline()
      for (const id of batch) pipe.hmget(`nodeapp||order-${id}`, 'data', 'version')
      const results = await pipe.exec() ?? []
      batch.forEach((id, j) => {
        const [err, value] = results[j] as [Error | null, [string | null, string | null]]
        const [data, version] = err === null ? value : [null, null]
        let stored: Record<string, unknown> | undefined
        try { stored = data === null ? undefined : (JSON.parse(data) as { data?: Record<string, unknown> }).data } catch {}
        if (stored?.orderId !== id) lost.push(id)
        else if (version !== '1') writtenTwice.push(id)
        // The generator sends `{ orderId }` and nothing else.
        if (stored?.orderId === id && JSON.stringify(stored) !== JSON.stringify({ orderId: id })) wrongData.push(id)
      })
    }
    let stored = 0
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', 'nodeapp||order-*', 'COUNT', 1000)
      cursor = next
      stored += keys.length
    } while (cursor !== '0')
    const unreadable = base === undefined ? [] : await readBack(base, ids)
    return { acknowledged: ids.length, duplicateAcks: ids.length - new Set(ids).size, stored, lost, writtenTwice, wrongData, unreadable }
  } finally {
    redis.disconnect()
  }
}

async function readBack (base: string, ids: readonly string[]): Promise<string[]> {
  const pool = new Pool(base, { connections: 16 })
  const unreadable: string[] = []
  let next = 0
  const worker = async (): Promise<void> => {
    for (let i = next++; i < ids.length; i = next++) {
      const id = ids[i] as string
      const res = await pool.request({ method: 'GET', path: `/orders/${encodeURIComponent(id)}` })
      const body = await res.body.text()
      if (res.statusCode !== 200 || (JSON.parse(body) as { orderId?: unknown }).orderId !== id) unreadable.push(id)
    }
  }
  try {
    await Promise.all(Array.from({ length: 16 }, worker))
  } finally {
    await pool.close()
  }
  return unreadable
}

/** The audit's assertions, the same for every scenario. */
export function assertAudit (t: Test, a: Audit): void {
  t.equal(a.duplicateAcks, 0, 'no id was acknowledged twice')
  t.same(a.lost, [], `acknowledged ⊆ stored: ${a.lost.length} of ${a.acknowledged} acknowledged orders lost`)
  t.same(a.writtenTwice, [], 'every acknowledged order was written exactly once (version 1)')
  t.same(a.wrongData, [], 'every acknowledged order is stored with the data sent')
  t.same(a.unreadable, [], 'every acknowledged order is readable through GET /orders/:id')
  t.ok(a.stored >= a.acknowledged - a.lost.length, 'the store holds at least the acknowledged orders')
}

/**
 * Appends one scenario's figures to `$RELIABILITY_FIGURES_FILE` (JSON lines; the full run's
 * script turns them into the table in docs/reliability.md) and prints them as a comment.
 */
export async function recordFigures (t: Test, scenario: string, figures: Record<string, unknown>): Promise<void> {
  t.comment(`figures ${scenario}: ${JSON.stringify(figures)}`)
  const file = process.env.RELIABILITY_FIGURES_FILE
  if (file !== undefined && file !== '') await appendFile(file, JSON.stringify({ scenario, ...figures }) + '\n')
}

/** A positive integer from the environment, else `fallback`. */
export function envCount (name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`)
  return n
}

/** Flushes one database of the shared Redis this test file owns. */
export async function flushDb (url: string, db: number): Promise<void> {
  const redis = new Redis(url, { db })
  try {
    await redis.flushdb()
  } finally {
    await redis.quit()
  }
}

/** The samples of a `/metrics` endpoint, by name (labels ignored: the gauges read here have none). */
export async function scrapeMetrics (port: number): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) })
  const samples = new Map<string, number>()
  for (const line of (await res.text()).split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)$/.exec(line)
    if (m !== null) samples.set(m[1] as string, Number(m[2]))
  }
  return samples
}
