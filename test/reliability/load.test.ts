// Load: RELIABILITY_ORDERS orders (2,000 by default, which CI runs; `node scripts/reliability.mjs`
// runs 10,000) through the whole pipeline started as `npm start -- --redis` starts it, the
// generator at concurrency 32 and no pacing. Every acknowledged id must be stored once and
// readable, and the order service must not answer a single 5xx.
import t from 'tap'
import { assertAudit, audit, envCount, flushDb, launchPipeline, recordFigures, redisResources } from '../helpers/reliability.js'
import { redisHostOf, redisUrlOrSkip } from '../../local-dapr/test/helpers/redis.js'

const ORDERS = envCount('RELIABILITY_ORDERS', 2_000)
const CONCURRENCY = 32
// This file's own database of the shared Redis.
const DB = 9

t.test(`${ORDERS} orders at concurrency ${CONCURRENCY}: every acknowledged order stored once, no 5xx`, async (t) => {
  const url = redisUrlOrSkip(t)
  if (url === undefined) return
  await flushDb(url, DB)
  t.teardown(() => flushDb(url, DB))
  const pipeline = await launchPipeline(t, {
    resourcesPaths: await redisResources(redisHostOf(url), DB),
    generatorEnv: {
      GENERATOR_COUNT: String(ORDERS),
      GENERATOR_CONCURRENCY: String(CONCURRENCY),
      GENERATOR_INTERVAL_MS: '0'
    }
  })
  // A bound, not a speed check: on the 2-core CI machine 2,000 orders take well under a minute.
  const code = await pipeline.generatorExit(Math.max(240_000, ORDERS * 60))
  t.equal(code, 0, 'the generator delivered every order and exited 0')
  const ids = await pipeline.acknowledged()
  t.equal(ids.length, ORDERS, `${ORDERS} orders acknowledged`)
  const result = await audit(url, DB, pipeline.base, ids)
  assertAudit(t, result)
  // Stopped before counting, so every line the services wrote has been read.
  await pipeline.system.stop()
  const fiveXx = pipeline.log.count(500, 600)
  t.equal(fiveXx, 0, 'the order service answered no 5xx')
  t.equal(pipeline.log.count(200, 300), ORDERS + ids.length, 'one 200 per order posted and per order read back')
  const summary = pipeline.log.summary ?? {}
  t.equal(summary.failed, 0, 'the generator gave up on nothing')
  await recordFigures(t, 'load', {
    sent: summary.sent,
    acknowledged: ids.length,
    stored: result.stored,
    lost: result.lost.length,
    writtenTwice: result.writtenTwice.length,
    responses5xx: fiveXx,
    retries: summary.retried,
    concurrency: CONCURRENCY,
    p50LatencyMs: summary.p50LatencyMs,
    p99LatencyMs: summary.p99LatencyMs
  })
})
