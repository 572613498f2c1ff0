// Faults during a run: Redis killed and started again, the order service killed with SIGKILL
// and restarted, its sidecar killed and restarted, and SIGTERM to the order service under
// load. Each runs RELIABILITY_FAULT_ORDERS orders (400 by default) through the system started
// as `npm start -- --redis` starts it, against a redis-server of the test's own (append-only
// file, fsync on every write: Redis's own durability is not what is under test), and ends
// with the same audit: acknowledged ⊆ stored, lost = 0.
import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { accepts, assertAudit, audit, bounded, envCount, launchPipeline, recordFigures, redisResources, until, type Pipeline } from '../helpers/reliability.js'
import { ownRedisServer, redisUrlOrSkip, type OwnRedisServer } from '../../local-dapr/test/helpers/redis.js'

const ORDERS = envCount('RELIABILITY_FAULT_ORDERS', 400)
/** The fault starts once this many orders are acknowledged, so it hits a run in progress. */
const FAULT_AFTER = Math.floor(ORDERS / 4)
const OUTAGE_MS = 4_000

// Backoff up to 500 ms apart while delivery is paused (orders are retried until delivered).
const generatorEnv = {
  GENERATOR_COUNT: String(ORDERS),
  GENERATOR_CONCURRENCY: '8',
  GENERATOR_INTERVAL_MS: '5',
  GENERATOR_RETRY_BASE_MS: '50',
  GENERATOR_RETRY_MAX_MS: '500',
  GENERATOR_REQUEST_TIMEOUT_MS: '5000'
}

interface Scenario {
  redis: OwnRedisServer
  pipeline: Pipeline
}

async function start (t: Test, orderEnv: Record<string, string> = {}): Promise<Scenario | undefined> {
  // The rule for Redis tests: without Redis they skip, under CI they fail.
  if (redisUrlOrSkip(t) === undefined) return undefined
  const redis = await ownRedisServer(t, ['--appendonly', 'yes', '--appendfsync', 'always'])
  const pipeline = await launchPipeline(t, {
    resourcesPaths: await redisResources(`127.0.0.1:${redis.port}`, 0),
    orderEnv,
    generatorEnv
  })
  await until(async () => (await pipeline.acknowledged()).length >= FAULT_AFTER, 120_000, `${FAULT_AFTER} orders acknowledged`)
  return { redis, pipeline }
}

/** Waits for the generator, audits, asserts and records the figures; `extra` goes with them. */
async function finish (t: Test, name: string, { redis, pipeline }: Scenario, extra: Record<string, unknown>): Promise<void> {
  t.equal(await pipeline.generatorExit(240_000), 0, 'the generator delivered every order and exited 0')
  const ids = await pipeline.acknowledged()
  t.equal(ids.length, ORDERS, `all ${ORDERS} orders acknowledged in the end`)
  const result = await audit(`redis://127.0.0.1:${redis.port}`, 0, pipeline.base, ids)
  assertAudit(t, result)
  await pipeline.system.stop()
  const summary = pipeline.log.summary ?? {}
  t.equal(pipeline.log.count(500, 503) + pipeline.log.count(504, 600), 0, 'no 5xx but 503 from the order service')
  await recordFigures(t, name, {
    sent: summary.sent,
    acknowledged: ids.length,
    stored: result.stored,
    lost: result.lost.length,
    writtenTwice: result.writtenTwice.length,
    retries: summary.retried,
    responses503: pipeline.log.count(503, 504),
    ...extra
  })
}

async function post (base: string, orderId: string): Promise<{ status: number, body: any }> {
  const res = await fetch(`${base}/neworder`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: { orderId } }) })
  return { status: res.status, body: await res.json() }
}

async function readyz (base: string): Promise<{ status: number, body: any }> {
  const res = await fetch(`${base}/readyz`)
  return { status: res.status, body: await res.json() }
}

t.test('Redis down for several seconds, then back', async (t) => {
  const s = await start(t)
  if (s === undefined) return
  const { pipeline, redis } = s
  await redis.stop()
  const downAt = Date.now()
  const ackedAtStop = (await pipeline.acknowledged()).length

  let refused = { status: 0, body: undefined as any }
  await until(async () => { refused = await post(pipeline.base, `outage-probe-${Date.now()}`); return refused.status === 503 }, 10_000, 'a 503 while Redis is down')
  t.match(refused.body, { statusCode: 503, code: 'ORDER_ERR_STORE_UNAVAILABLE' }, 'a new order is refused with 503 and a code')
  t.notMatch(JSON.stringify(refused.body), /\bat .*:\d+:\d+|ECONNREFUSED|127\.0\.0\.1/, 'the body names neither a stack nor the store address')
  let notReady = { status: 0, body: undefined as any }
  await until(async () => { notReady = await readyz(pipeline.base); return notReady.status === 503 }, 10_000, '/readyz failing')
  t.match(notReady.body, { statusCode: 503, code: 'HEALTH_ERR_SIDECAR_UNAVAILABLE' }, '/readyz says the sidecar (its store) is not ready')
  t.equal((await fetch(`${pipeline.base}/healthz`)).status, 200, '/healthz (liveness) stays 200: an outage is no reason to restart the app')

  await sleep(Math.max(0, OUTAGE_MS - (Date.now() - downAt)))
  const ackedWhileDown = (await pipeline.acknowledged()).length - ackedAtStop
  await redis.start()
  const outageMs = Date.now() - downAt
  await until(async () => (await readyz(pipeline.base)).status === 200, 30_000, '/readyz ready again')
  t.pass('/readyz is 200 again once Redis is back')
  await finish(t, 'redis-outage', s, { outageMs, ackedWhileDown })
  t.ok((pipeline.log.summary?.retried as number) > 0, 'the generator retried during the outage')
  t.ok(pipeline.log.count(503, 504) > 0, 'the order service answered 503 while Redis was down')
})

t.test('the order service killed with SIGKILL and restarted', async (t) => {
  const s = await start(t)
  if (s === undefined) return
  const code = await s.pipeline.system.restartApp('nodeapp', { signal: 'SIGKILL' })
  t.equal(code, 'SIGKILL', 'the order service was killed')
  t.equal((await readyz(s.pipeline.base)).status, 200, 'the restarted order service is ready')
  await finish(t, 'order-service-sigkill', s, { fault: 'SIGKILL + restart of the order service' })
  t.ok((s.pipeline.log.summary?.retried as number) > 0, 'the generator retried while the order service was down')
})

t.test('the order service\'s sidecar killed and restarted', async (t) => {
  const s = await start(t)
  if (s === undefined) return
  const code = await s.pipeline.system.restartSidecar('nodeapp', { signal: 'SIGKILL' })
  t.equal(code, 'SIGKILL', 'the sidecar was killed')
  await until(async () => (await readyz(s.pipeline.base)).status === 200, 30_000, '/readyz ready again')
  t.pass('the order service is ready again with the new sidecar')
  await finish(t, 'sidecar-restart', s, { fault: 'SIGKILL + restart of the order service\'s sidecar' })
})

t.test('SIGTERM to the order service under load: drains, finishes in-flight requests, exits 0', async (t) => {
  const s = await start(t, { DRAIN_DELAY_MS: '1000', CLOSE_GRACE_DELAY_MS: '10000' })
  if (s === undefined) return
  const { pipeline } = s
  const nodeapp = pipeline.system.apps.find((a) => a.appId === 'nodeapp')
  const old = nodeapp?.app

  // A request in flight across the SIGTERM: headers and half the body now, the rest later.
  const inflightId = 'sigterm-inflight-1'
  const body = JSON.stringify({ data: { orderId: inflightId } })
  const socket = connect(pipeline.orderPort, '127.0.0.1')
  await new Promise((resolve) => socket.once('connect', resolve))
  let answer = ''
  socket.on('data', (chunk: Buffer) => { answer += chunk.toString('utf8') })
  const closed = new Promise((resolve) => socket.once('close', resolve))
  socket.write(`POST /neworder HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`)
  await sleep(100)

  const restarted = pipeline.system.restartApp('nodeapp')
  let draining = { status: 0, body: undefined as any }
  await until(async () => { draining = await readyz(pipeline.base).catch(() => ({ status: -1, body: undefined })); return draining.status === 503 }, 10_000, '/readyz draining')
  t.match(draining.body, { code: 'HEALTH_ERR_DRAINING' }, 'draining: /readyz answers 503 HEALTH_ERR_DRAINING')
  await until(async () => !await accepts(pipeline.orderPort), 15_000, 'the listener closing')
  t.pass('after the drain delay, new connections are refused')
  t.notOk(old?.hasExited(), 'the old process waits for the request in flight')

  // write, not end: a client that half-closes its side gets no answer from node:http.
  socket.write(body.slice(10))
  await bounded(closed, 10_000, 'the in-flight request was not answered')
  t.match(answer, /^HTTP\/1\.1 200 /, 'the request in flight when SIGTERM arrived is answered 200')
  t.match(answer, /\r\nconnection: close\r\n/i, 'with Connection: close, as the server is closing')
  t.match(answer, `{"orderId":"${inflightId}"}`)
  t.equal(await restarted, 0, 'the order service exited 0, within CLOSE_GRACE_DELAY_MS (close-with-grace exits 1 past it)')
  const stored = await fetch(`${pipeline.base}/orders/${inflightId}`)
  t.equal(stored.status, 200, 'the order answered during the drain is stored')

  await finish(t, 'order-service-sigterm', s, { fault: 'SIGTERM under load, then restart', inflightAnswered: 1 })
})
