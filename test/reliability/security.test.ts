// Security of the running system, started through the runner with both tokens set as
// `dapr run` passes them (DAPR_API_TOKEN and APP_API_TOKEN to sidecars and apps alike):
// writes need APP_API_TOKEN, the sidecar API needs DAPR_API_TOKEN, neither token nor a
// wrong one ever shows up in a log line or an error body, and no answer carries a stack.
// Constant time: both comparisons must go through crypto.timingSafeEqual on equal-length
// digests, whatever the given token's length; checked in-process by watching the function.
import crypto from 'node:crypto'
import { syncBuiltinESMExports } from 'node:module'
import t from 'tap'
import { pino } from 'pino'
import { tokenMatches } from '../../src/order/auth.js'
import { buildApiServer } from '../../local-dapr/src/sidecar/http/server.js'
import { flushDb, launchPipeline, recordFigures, redisResources } from '../helpers/reliability.js'
import { call } from '../../local-dapr/test/helpers/http-call.js'
import { redisHostOf, redisUrlOrSkip } from '../../local-dapr/test/helpers/redis.js'

const DB = 8
const APP_TOKEN = 'app-token-9f1c2b7e5d'
const API_TOKEN = 'api-token-4a8e0c3f6b'
const WRONG = 'wrong-token-77d1e2'
const STACK = /\bat [^\s]+ \(|\.(?:ts|js|mjs):\d+|node:internal|node_modules/

t.test('tokens enforced end to end, never logged or echoed, no stacks', async (t) => {
  const url = redisUrlOrSkip(t)
  if (url === undefined) return
  await flushDb(url, DB)
  t.teardown(() => flushDb(url, DB))
  const pipeline = await launchPipeline(t, {
    resourcesPaths: await redisResources(redisHostOf(url), DB),
    env: { APP_API_TOKEN: APP_TOKEN, DAPR_API_TOKEN: API_TOKEN, LOG_LEVEL: 'debug' },
    orderEnv: { LOG_LEVEL: 'debug' },
    needles: [APP_TOKEN, API_TOKEN, WRONG]
  })
  const json = { 'content-type': 'application/json' }
  const body = (id: string): string => JSON.stringify({ data: { orderId: id } })
  const bodies: string[] = []
  const check = async (label: string, status: number, p: Promise<{ status: number, body: string }>): Promise<void> => {
    const r = await p
    bodies.push(r.body)
    t.equal(r.status, status, label)
  }

  // The order service: writes need APP_API_TOKEN, reads and probes do not.
  await check('POST /neworder without a token: 401', 401, call(pipeline.base, 'POST', '/neworder', { headers: json, body: body('s1') }))
  await check('POST /neworder with a wrong token: 401', 401, call(pipeline.base, 'POST', '/neworder', { headers: { ...json, 'dapr-api-token': WRONG }, body: body('s2') }))
  await check('POST /neworder with the API token instead of the app token: 401', 401, call(pipeline.base, 'POST', '/neworder', { headers: { ...json, 'dapr-api-token': API_TOKEN }, body: body('s3') }))
  await check('POST /neworder with a token one character short: 401', 401, call(pipeline.base, 'POST', '/neworder', { headers: { ...json, 'dapr-api-token': APP_TOKEN.slice(0, -1) }, body: body('s4') }))
  await check('POST /neworder with APP_API_TOKEN: 200', 200, call(pipeline.base, 'POST', '/neworder', { headers: { ...json, 'dapr-api-token': APP_TOKEN }, body: body('s5') }))
  await check('GET /orders/s5 needs no token', 200, call(pipeline.base, 'GET', '/orders/s5'))
  await check('the refused writes stored nothing', 404, call(pipeline.base, 'GET', '/orders/s2'))
  t.match(JSON.parse(bodies[0] as string), { statusCode: 401, code: 'ORDER_ERR_UNAUTHORIZED' }, '401 with a code')

  // The sidecar: every API call but GET healthz needs DAPR_API_TOKEN.
  const state = '/v1.0/state/statestore'
  await check('sidecar state read without a token: 401', 401, call(pipeline.sidecarUrl, 'GET', `${state}/order`))
  await check('sidecar state read with a wrong token: 401', 401, call(pipeline.sidecarUrl, 'GET', `${state}/order`, { headers: { 'dapr-api-token': WRONG } }))
  await check('sidecar state read with the app token: 401', 401, call(pipeline.sidecarUrl, 'GET', `${state}/order`, { headers: { 'dapr-api-token': APP_TOKEN } }))
  await check('sidecar state write with a wrong token: 401', 401, call(pipeline.sidecarUrl, 'POST', state, { headers: { ...json, 'dapr-api-token': WRONG }, body: '[{"key":"x","value":1}]' }))
  await check('sidecar invoke with a wrong token: 401', 401, call(pipeline.sidecarUrl, 'POST', '/v1.0/invoke/nodeapp/method/neworder', { headers: { ...json, 'dapr-api-token': WRONG }, body: body('s6') }))
  await check('sidecar state read with DAPR_API_TOKEN: 200', 200, call(pipeline.sidecarUrl, 'GET', `${state}/order`, { headers: { 'dapr-api-token': API_TOKEN } }))
  await check('sidecar healthz needs no token', 204, call(pipeline.sidecarUrl, 'GET', '/v1.0/healthz'))
  // Through the sidecar, the app token is added by the sidecar itself: the caller never holds it.
  await check('invoke with DAPR_API_TOKEN: the sidecar adds APP_API_TOKEN, 200', 200, call(pipeline.sidecarUrl, 'POST', '/v1.0/invoke/nodeapp/method/neworder', { headers: { ...json, 'dapr-api-token': API_TOKEN }, body: body('s7') }))
  // Errors that name a dependency: a 500 from the order service must not carry a stack.
  await check('an unknown route: 404', 404, call(pipeline.base, 'GET', '/nope'))

  await pipeline.system.stop()
  for (const b of bodies) {
    t.notMatch(b, STACK, 'no stack trace in an answer')
    for (const token of [APP_TOKEN, API_TOKEN, WRONG]) t.notOk(b.includes(token), 'no token in an answer')
  }
  t.ok(pipeline.log.lines > 20, `${pipeline.log.lines} log lines captured (debug level)`)
  t.same([...pipeline.log.found.entries()], [], 'neither token, nor a wrong one, appears in any log line of any process')
  await recordFigures(t, 'security', { requests: bodies.length, logLinesScanned: pipeline.log.lines, tokensInLogs: pipeline.log.found.size })
})

t.test('both token comparisons go through timingSafeEqual on equal-length digests', async (t) => {
  const original = crypto.timingSafeEqual
  const seen: Array<[number, number]> = []
  crypto.timingSafeEqual = (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
    seen.push([a.byteLength, b.byteLength])
    return original(a, b)
  }
  // ESM named imports of builtins follow the module object only after this call.
  syncBuiltinESMExports()
  t.teardown(() => { crypto.timingSafeEqual = original; syncBuiltinESMExports() })

  for (const given of ['', 'x', APP_TOKEN.slice(0, -1), APP_TOKEN, APP_TOKEN + 'x'.repeat(1000)]) {
    seen.length = 0
    t.equal(tokenMatches(APP_TOKEN, given), given === APP_TOKEN)
    t.same(seen, [[32, 32]], `order service: one timingSafeEqual on two 32-byte digests for a ${given.length}-character token`)
  }

  const server = buildApiServer({
    state: { appId: 'sec', keyNamespace: '', stores: new Map() },
    runtime: { appId: 'sec', unreadyTargets: () => [], outboundReady: async () => true, metadata: async () => ({}), setExtended: () => {}, shutdown: () => {} },
    invoke: async (ctx) => { ctx.res.statusCode = 204; ctx.res.end() },
    apiToken: API_TOKEN,
    logger: pino({ level: 'silent' })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  for (const given of ['x', API_TOKEN.slice(0, -1), API_TOKEN, API_TOKEN + 'x'.repeat(1000)]) {
    seen.length = 0
    const r = await call(base, 'GET', '/v1.0/metadata', { headers: { 'dapr-api-token': given } })
    t.equal(r.status, given === API_TOKEN ? 200 : 401)
    t.same(seen, [[32, 32]], `sidecar: one timingSafeEqual on two 32-byte digests for a ${given.length}-character token`)
  }
})
