// Long outages: the order service's Redis stopped, the order service frozen (SIGSTOP, then
// SIGCONT), the order service killed and started again only later, and a SIGTERM to the
// generator in the middle of an outage. Each lasts RELIABILITY_OUTAGE_MS (5 s in CI; 60 s in
// `node scripts/reliability.mjs`). The generator must create no order while delivery is
// paused, hold at most GENERATOR_CONCURRENCY, log one line when it pauses and one when it
// resumes, keep its memory flat, and give up on nothing: every id it created is stored once,
// with its data, and acknowledged.
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { assertAudit, audit, envCount, launchPipeline, recordFigures, redisResources, scrapeMetrics, until, type Pipeline } from '../helpers/reliability.js'
import { ownRedisServer, redisUrlOrSkip, type OwnRedisServer } from '../../local-dapr/test/helpers/redis.js'
import { freePort } from '../../local-dapr/src/runner/runner.js'

const OUTAGE_MS = envCount('RELIABILITY_OUTAGE_MS', 5_000)
/** Orders per scenario: a quarter before the outage, the rest after. */
const ORDERS = envCount('RELIABILITY_OUTAGE_ORDERS', 80)
const CONCURRENCY = 4
/** The generator's RSS may grow this much from before the outage to its end (GC noise, JIT). */
const RSS_SLACK_MB = 40

function generatorEnv (port: number, count: number | undefined): Record<string, string> {
  return {
    PORT: String(port),
    ...(count === undefined ? {} : { GENERATOR_COUNT: String(count) }),
    GENERATOR_CONCURRENCY: String(CONCURRENCY),
    GENERATOR_INTERVAL_MS: '50',
    GENERATOR_RETRY_BASE_MS: '100',
    GENERATOR_RETRY_MAX_MS: '2000',
    GENERATOR_REQUEST_TIMEOUT_MS: '2000',
    CLOSE_GRACE_DELAY_MS: '10000'
  }
}

interface Scenario { redis: OwnRedisServer, pipeline: Pipeline, metricsPort: number }

async function start (t: Test, count: number | undefined): Promise<Scenario | undefined> {
  if (redisUrlOrSkip(t) === undefined) return undefined
  const redis = await ownRedisServer(t, ['--appendonly', 'yes', '--appendfsync', 'always'])
  const metricsPort = await freePort()
  const pipeline = await launchPipeline(t, {
    resourcesPaths: await redisResources(`127.0.0.1:${redis.port}`, 0),
    generatorEnv: generatorEnv(metricsPort, count)
  })
  await until(async () => (await pipeline.acknowledged()).length >= ORDERS / 4, 120_000, `${ORDERS / 4} orders acknowledged`)
  return { redis, pipeline, metricsPort }
}

interface Watch {
  /** Orders created (generator_orders_sent_total) once the pause was seen, and at the end of the outage. */
  sentAtPause: number
  sentAtEnd: number
  mostPending: number
  oldestPendingAgeS: number
  pausedSamples: number
  samples: number
  rssMb: { before: number, most: number, end: number }
  heapMb: { before: number, most: number, end: number }
}

/**
 * Runs `outage` (which returns when the outage is over) while scraping the generator every
 * 500 ms: pending, paused, oldest age, orders created, memory.
 */
async function watchOutage (s: Scenario, outage: () => Promise<void>): Promise<Watch> {
  const before = await scrapeMetrics(s.metricsPort)
  const mb = (m: Map<string, number>, name: string) => Math.round((m.get(name) ?? 0) / 1e5) / 10
  const w: Watch = {
    sentAtPause: -1,
    sentAtEnd: -1,
    mostPending: 0,
    oldestPendingAgeS: 0,
    pausedSamples: 0,
    samples: 0,
    rssMb: { before: mb(before, 'process_resident_memory_bytes'), most: 0, end: 0 },
    heapMb: { before: mb(before, 'nodejs_heap_size_used_bytes'), most: 0, end: 0 }
  }
  const state = { done: false }
  const sampling = (async () => {
    while (!state.done) {
      const m = await scrapeMetrics(s.metricsPort)
      w.samples++
      w.mostPending = Math.max(w.mostPending, m.get('generator_orders_pending') ?? 0)
      w.oldestPendingAgeS = Math.max(w.oldestPendingAgeS, m.get('generator_oldest_pending_age_seconds') ?? 0)
      if (m.get('generator_delivery_paused') === 1) {
        w.pausedSamples++
        if (w.sentAtPause < 0) w.sentAtPause = m.get('generator_orders_sent_total') ?? 0
      }
      w.rssMb.most = Math.max(w.rssMb.most, mb(m, 'process_resident_memory_bytes'))
      w.heapMb.most = Math.max(w.heapMb.most, mb(m, 'nodejs_heap_size_used_bytes'))
      await sleep(500)
    }
  })()
  try {
    await outage()
  } finally {
    state.done = true
    await sampling
  }
  const end = await scrapeMetrics(s.metricsPort)
  w.sentAtEnd = w.sentAtPause < 0 ? -1 : (end.get('generator_orders_sent_total') ?? 0)
  w.rssMb.end = mb(end, 'process_resident_memory_bytes')
  w.heapMb.end = mb(end, 'nodejs_heap_size_used_bytes')
  return w
}

/** Holds the outage for OUTAGE_MS from `downAt`, once the generator has been seen paused. */
async function holdOutage (s: Scenario, downAt: number): Promise<void> {
  await until(async () => (await scrapeMetrics(s.metricsPort)).get('generator_delivery_paused') === 1, 30_000, 'the generator pausing')
  await sleep(Math.max(0, OUTAGE_MS - (Date.now() - downAt)))
}

async function finish (t: Test, name: string, s: Scenario, w: Watch, extra: Record<string, unknown>): Promise<void> {
  t.equal(await s.pipeline.generatorExit(OUTAGE_MS + 240_000), 0, 'the generator delivered every order it created and exited 0')
  const ids = await s.pipeline.acknowledged()
  const created = Array.from({ length: ORDERS }, (_, i) => String(i + 1))
  t.same([...ids].sort((a, b) => Number(a) - Number(b)), created, `every id created (1..${ORDERS}) acknowledged exactly once`)
  const result = await audit(`redis://127.0.0.1:${s.redis.port}`, 0, s.pipeline.base, ids)
  assertAudit(t, result)
  await s.pipeline.system.stop()
  const summary = s.pipeline.log.summary ?? {}
  t.match(summary, { sent: ORDERS, delivered: ORDERS, failed: 0 }, 'none given up')

  t.ok(w.pausedSamples > 0, `delivery was seen paused (${w.pausedSamples} of ${w.samples} scrapes)`)
  t.equal(w.sentAtEnd, w.sentAtPause, `no order created while paused (${w.sentAtPause} created at the pause, ${w.sentAtEnd} at the end of the outage)`)
  t.ok(w.mostPending <= CONCURRENCY, `at most GENERATOR_CONCURRENCY (${CONCURRENCY}) orders pending: ${w.mostPending}`)
  t.ok(w.oldestPendingAgeS >= OUTAGE_MS / 1000 / 2, `the oldest pending order's age shows the outage: ${w.oldestPendingAgeS} s`)
  t.ok(w.rssMb.end - w.rssMb.before < RSS_SLACK_MB, `generator memory flat: RSS ${w.rssMb.before} MB before, at most ${w.rssMb.most}, ${w.rssMb.end} at the end`)
  const paused = s.pipeline.log.generatorLines('Delivery paused')
  const resumed = s.pipeline.log.generatorLines('Delivery resumed')
  const warnings = s.pipeline.log.generatorEvents.filter((e) => e.level === 40).length
  t.ok(paused >= 1 && paused === resumed, `one line per pause (${paused}) and one per resume (${resumed})`)
  t.ok(warnings <= 3, `a handful of warnings for the whole outage, not one per retry: ${warnings}`)

  await recordFigures(t, name, {
    outageMs: OUTAGE_MS,
    sent: summary.sent,
    acknowledged: ids.length,
    stored: result.stored,
    lost: result.lost.length,
    givenUp: summary.failed,
    writtenTwice: result.writtenTwice.length,
    retries: summary.retried,
    pauseLines: paused,
    resumeLines: resumed,
    generatorWarnings: warnings,
    createdWhilePaused: w.sentAtEnd - w.sentAtPause,
    mostPending: w.mostPending,
    oldestPendingAgeS: w.oldestPendingAgeS,
    rssMb: w.rssMb,
    heapMb: w.heapMb,
    ...extra
  })
}

t.test(`Redis stopped for ${OUTAGE_MS} ms under the generator`, async (t) => {
  const s = await start(t, ORDERS)
  if (s === undefined) return
  const w = await watchOutage(s, async () => {
    await s.redis.stop()
    await holdOutage(s, Date.now())
    await s.redis.start()
  })
  await finish(t, 'outage-redis', s, w, { fault: 'redis-server killed, started again' })
})

t.test(`the order service frozen (SIGSTOP) for ${OUTAGE_MS} ms, then SIGCONT`, async (t) => {
  const s = await start(t, ORDERS)
  if (s === undefined) return
  const nodeapp = s.pipeline.system.apps.find((a) => a.appId === 'nodeapp')
  const w = await watchOutage(s, async () => {
    nodeapp?.app.child.kill('SIGSTOP')
    try {
      await holdOutage(s, Date.now())
    } finally {
      nodeapp?.app.child.kill('SIGCONT')
    }
  })
  await finish(t, 'outage-order-service-sigstop', s, w, { fault: 'SIGSTOP, SIGCONT' })
})

t.test(`the order service killed, and started again ${OUTAGE_MS} ms later`, async (t) => {
  const s = await start(t, ORDERS)
  if (s === undefined) return
  const w = await watchOutage(s, async () => {
    t.equal(await s.pipeline.system.restartApp('nodeapp', { signal: 'SIGKILL', downMs: OUTAGE_MS }), 'SIGKILL')
  })
  await finish(t, 'outage-order-service-killed', s, w, { fault: 'SIGKILL, started again later' })
})

t.test('SIGTERM to the generator during an outage: it exits within its grace period and names the ids never acknowledged', async (t) => {
  const s = await start(t, undefined)
  if (s === undefined) return
  await s.redis.stop()
  await holdOutage(s, Date.now())
  const generator = s.pipeline.system.apps.find((a) => a.appId === 'generator')
  const stoppedAt = Date.now()
  generator?.app.child.kill('SIGTERM')
  const code = await s.pipeline.generatorExit(15_000)
  const exitMs = Date.now() - stoppedAt
  t.ok(exitMs < 10_000, `exited ${exitMs} ms after SIGTERM, within CLOSE_GRACE_DELAY_MS (10 s)`)
  t.equal(code, 1, 'exit code 1: orders were left unacknowledged')
  await s.redis.start()
  const acked = await s.pipeline.acknowledged()
  const stopLine = s.pipeline.log.generatorEvents.find((e) => String(e.msg).startsWith('Stopped with'))
  const summary = s.pipeline.log.summary ?? {}
  const created = Array.from({ length: Number(summary.sent) }, (_, i) => String(i + 1))
  const expected = created.filter((id) => !acked.includes(id))
  t.ok(expected.length > 0 && expected.length <= CONCURRENCY, `${expected.length} orders pending at the stop`)
  t.same(stopLine?.unacknowledged, expected, 'the stop line names exactly the ids created and never acknowledged')
  t.match(stopLine?.msg, `Stopped with ${expected.length} orders created but never acknowledged: ${expected.join(', ')}`)
  t.same(summary.unacknowledged, expected, 'and so does the summary')
  await recordFigures(t, 'outage-generator-sigterm', { exitMs, unacknowledged: expected.length, acknowledged: acked.length })
})
