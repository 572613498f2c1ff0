// The order routes plugin. Most cases drive it through buildApp, so it runs with its real
// dependencies (the store over a fake sidecar, the metrics) and the shared error plugin.
import t, { type Test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { Registry } from 'prom-client'
import { buildApp, type OrderAppOptions } from '../../src/order/app.js'
import { createOrderMetrics } from '../../src/order/metrics.js'
import { BODY_LIMIT, orderRoutes } from '../../src/order/routes.js'
import { errorHandling } from '../../src/shared/http.js'
import { createOrderStore, digestOf } from '../../src/order/store.js'
import type { OrderAccess } from '../../src/order/auth.js'
import { errors, fakeSidecar, type FakeSidecar } from '../helpers/fake-sidecar.js'
import { captureLogs } from '../helpers/log-capture.js'
import { sampleValue } from '../helpers/prom-text.js'

function build (t: Test, overrides: Partial<OrderAppOptions> = {}): { app: ReturnType<typeof buildApp>, sidecar: FakeSidecar } {
  const sidecar = fakeSidecar()
  const app = buildApp({ sidecar, stateStoreName: 'statestore', ...overrides })
  t.teardown(() => app.close())
  return { app, sidecar }
}

const post = (payload: unknown, headers: Record<string, string> = {}) => ({ method: 'POST' as const, url: '/neworder', payload: payload as Record<string, unknown>, headers })

t.test('POST /neworder stores the order under its key, then as the latest, and echoes its id', async (t) => {
  const { app, sidecar } = build(t)
  const res = await app.inject(post({ data: { orderId: '42', note: 'kept' } }))
  t.equal(res.statusCode, 200)
  t.same(res.json(), { orderId: '42' })
  t.same(sidecar.calls.filter((c) => c.op === 'save').map((c) => c.key), ['order-42', 'order'], 'order key first, then the pointer')
  t.same(sidecar.data.get('order-42')?.value, { data: { orderId: '42', note: 'kept' }, digest: digestOf({ orderId: '42', note: 'kept' }) })
  t.same(sidecar.data.get('order')?.value, { orderId: '42', note: 'kept' })
})

t.test('GET /order answers the latest order, GET /orders/:id any order', async (t) => {
  const { app } = build(t)
  t.equal((await app.inject(post({ data: { orderId: '1' } }))).statusCode, 200)
  t.equal((await app.inject(post({ data: { orderId: 2, extra: [1, { a: true }] } }))).statusCode, 200)
  const latest = await app.inject({ method: 'GET', url: '/order' })
  t.equal(latest.statusCode, 200)
  t.same(latest.json(), { orderId: 2, extra: [1, { a: true }] }, 'a numeric id and the extra fields come back as sent')
  const one = await app.inject({ method: 'GET', url: '/orders/1' })
  t.same(one.json(), { orderId: '1' })
  const numeric = await app.inject({ method: 'GET', url: '/orders/2' })
  t.same(numeric.json(), { orderId: 2, extra: [1, { a: true }] })
})

t.test('GET /order is a 404 with a code before any order', async (t) => {
  const { app } = build(t)
  const res = await app.inject({ method: 'GET', url: '/order' })
  t.equal(res.statusCode, 404)
  t.same(res.json(), { statusCode: 404, code: 'ORDER_ERR_NO_ORDER_YET', message: 'No order has been received yet' })
})

t.test('GET /orders/:id is a 404 for an unknown order and a 400 for an invalid id', async (t) => {
  const { app, sidecar } = build(t)
  const missing = await app.inject({ method: 'GET', url: '/orders/7' })
  t.equal(missing.statusCode, 404)
  t.equal(missing.json().code, 'ORDER_ERR_NOT_FOUND')
  for (const url of ['/orders/a%20b', `/orders/${'x'.repeat(65)}`, '/orders/%7C%7C']) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 400, url)
    t.equal(res.json().code, 'FST_ERR_VALIDATION')
  }
  t.same(sidecar.calls.map((c) => c.key), ['order-7'], 'invalid ids never reach the store')
})

t.test('the same order posted twice is stored once and answered the same way', async (t) => {
  const { app, sidecar } = build(t)
  const first = await app.inject(post({ data: { orderId: 'a-1', b: 1, a: 2 } }))
  const etags = [sidecar.data.get('order-a-1')?.etag, sidecar.data.get('order')?.etag]
  const again = await app.inject(post({ data: { a: 2, orderId: 'a-1', b: 1 } }))
  t.equal(again.statusCode, 200)
  t.equal(again.body, first.body, 'same answer; key order does not matter')
  t.same([sidecar.data.get('order-a-1')?.etag, sidecar.data.get('order')?.etag], etags, 'nothing rewritten')
})

t.test('a different order under an existing id is a 409 and changes nothing', async (t) => {
  const { app, sidecar } = build(t)
  await app.inject(post({ data: { orderId: '42', qty: 1 } }))
  const res = await app.inject(post({ data: { orderId: '42', qty: 2 } }))
  t.equal(res.statusCode, 409)
  t.same(res.json(), { statusCode: 409, code: 'ORDER_ERR_CONFLICT', message: 'Order 42 already exists with different data' })
  t.same(sidecar.data.get('order')?.value, { orderId: '42', qty: 1 })
})

t.test('42 and "42" name the same order, so the second of them is a conflict, not a silent overwrite', async (t) => {
  const { app } = build(t)
  t.equal((await app.inject(post({ data: { orderId: 42 } }))).statusCode, 200)
  const res = await app.inject(post({ data: { orderId: '42' } }))
  t.equal(res.statusCode, 409)
  t.same((await app.inject({ method: 'GET', url: '/orders/42' })).json(), { orderId: 42 })
})

t.test('invalid bodies are 400/413/415 with a code and store nothing', async (t) => {
  const { app, sidecar } = build(t)
  const json = { 'content-type': 'application/json' }
  const cases: Array<[string, number, string, ReturnType<typeof post>]> = [
    ['malformed JSON', 400, 'FST_ERR_CTP_INVALID_JSON_BODY', { ...post('{"data":', json) }],
    ['empty JSON body', 400, 'FST_ERR_CTP_EMPTY_JSON_BODY', { ...post('', json) }],
    ['no data', 400, 'FST_ERR_VALIDATION', post({ orderId: '42' })],
    ['data not an object', 400, 'FST_ERR_VALIDATION', post({ data: '42' })],
    ['no orderId', 400, 'FST_ERR_VALIDATION', post({ data: {} })],
    ['empty orderId', 400, 'FST_ERR_VALIDATION', post({ data: { orderId: '' } })],
    ['orderId too long', 400, 'FST_ERR_VALIDATION', post({ data: { orderId: 'x'.repeat(65) } })],
    ['orderId with a space', 400, 'FST_ERR_VALIDATION', post({ data: { orderId: 'a b' } })],
    ['orderId with ||', 400, 'FST_ERR_VALIDATION', post({ data: { orderId: 'a||b' } })],
    ['negative orderId', 400, 'FST_ERR_VALIDATION', post({ data: { orderId: -1 } })],
    ['fractional orderId', 400, 'FST_ERR_VALIDATION', post({ data: { orderId: 1.5 } })],
    ['unsafe integer orderId', 400, 'FST_ERR_VALIDATION', post({ data: { orderId: 2 ** 53 } })],
    ['boolean orderId', 400, 'FST_ERR_VALIDATION', post({ data: { orderId: true } })],
    ['text/plain', 415, 'FST_ERR_CTP_INVALID_MEDIA_TYPE', post('{"data":{"orderId":"1"}}', { 'content-type': 'text/plain' })],
    ['oversize', 413, 'FST_ERR_CTP_BODY_TOO_LARGE', post({ data: { orderId: '1', pad: 'x'.repeat(BODY_LIMIT) } })],
    // Found by test/reliability/hostile.test.ts: 20,000 levels overflowed the digest's recursion (a 500).
    ['data nested 20,000 levels', 400, 'ORDER_ERR_TOO_DEEP', post(`{"data":{"orderId":"1","x":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`, json)],
    ['orderId ..', 400, 'FST_ERR_VALIDATION', post({ data: { orderId: '..' } })]
  ]
  for (const [name, status, code, request] of cases) {
    const res = await app.inject(request)
    t.equal(res.statusCode, status, name)
    t.match(res.json(), { statusCode: status, code, message: String }, name)
  }
  t.same(sidecar.calls, [], 'nothing read or stored')
  const nested = await app.inject(post({ data: { orderId: 'n1', x: JSON.parse('['.repeat(30) + ']'.repeat(30)) } }))
  t.equal(nested.statusCode, 200, 'data nested 30 levels is an order like any other')
})

t.test('a sidecar or store that is down is a 503 with a code the generator retries on', async (t) => {
  const { app, sidecar } = build(t)
  sidecar.failWhen(() => errors.network())
  const res = await app.inject(post({ data: { orderId: '1' } }))
  t.equal(res.statusCode, 503)
  t.same(res.json(), { statusCode: 503, code: 'ORDER_ERR_STORE_UNAVAILABLE', message: 'State store unavailable, retry later' })
  for (const url of ['/order', '/orders/1']) {
    const read = await app.inject({ method: 'GET', url })
    t.equal(read.statusCode, 503, url)
    t.equal(read.json().code, 'ORDER_ERR_STORE_UNAVAILABLE')
  }
})

t.test('an unexpected failure is a 500 with a generic message and no stack', async (t) => {
  const logs = captureLogs('info')
  const { app, sidecar } = build(t, { logger: logs.logger })
  sidecar.failWhen(() => errors.storeNotFound())
  const res = await app.inject(post({ data: { orderId: '1' } }))
  t.equal(res.statusCode, 500)
  t.same(res.json(), { statusCode: 500, code: 'APP_ERR_INTERNAL', message: 'Internal Server Error' })
  const logged = logs.lines.find((l) => l.msg === 'request failed')
  t.match(logged, { level: 50, err: { type: 'SidecarHttpError', errorCode: 'ERR_STATE_STORE_NOT_FOUND' } }, 'the cause is logged, not sent')
})

t.test('with APP_API_TOKEN, writes need the token and reads and probes stay open', async (t) => {
  const { app, sidecar } = build(t, { appApiToken: 's3cret-token' })
  for (const headers of [{} as Record<string, string>, { 'dapr-api-token': 'wrong' }, { 'dapr-api-token': 's3cret-tokeN' }, { 'dapr-api-token': '' }]) {
    const res = await app.inject(post({ data: { orderId: '1' } }, headers))
    t.equal(res.statusCode, 401)
    t.same(res.json(), { statusCode: 401, code: 'ORDER_ERR_UNAUTHORIZED', message: 'Missing or invalid dapr-api-token' })
  }
  t.same(sidecar.calls, [], 'nothing read or stored without the token')
  t.equal((await app.inject(post({ data: { orderId: '1' } }, { 'dapr-api-token': 's3cret-token' }))).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/order' })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/orders/1' })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200)
})

const KEY = 'public-key-0123456789abcdef'

async function publicRoutes (t: Test, access: OrderAccess): Promise<{ app: FastifyInstance, sidecar: FakeSidecar }> {
  const sidecar = fakeSidecar()
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(errorHandling)
  await app.register(orderRoutes, { metrics: createOrderMetrics(new Registry()), store: createOrderStore({ sidecar, storeName: 'statestore' }), access })
  return { app, sidecar }
}

const reads = [{ method: 'GET' as const, url: '/order' }, { method: 'GET' as const, url: '/orders/1' }]

t.test('public listener: reads and writes need x-api-key; missing, wrong or the app token are 401 and touch nothing', async (t) => {
  const { app, sidecar } = await publicRoutes(t, { channel: 'public', apiKey: KEY, demoMode: 'off' })
  const refused: Array<Record<string, string>> = [{}, { 'x-api-key': 'wrong' }, { 'x-api-key': KEY.toUpperCase() }, { 'x-api-key': KEY.slice(0, -1) }, { 'x-api-key': `${KEY}x` }, { 'dapr-api-token': KEY }, { authorization: `Bearer ${KEY}` }]
  for (const headers of refused) {
    for (const req of [post({ data: { orderId: '1' } }, headers), ...reads.map((r) => ({ ...r, headers }))]) {
      const res = await app.inject(req)
      t.equal(res.statusCode, 401, `${req.method} ${req.url} ${JSON.stringify(Object.keys(headers))}`)
      t.same(res.json(), { statusCode: 401, code: 'ORDER_ERR_UNAUTHORIZED', message: 'Missing or invalid x-api-key' })
      t.notMatch(res.body, KEY.slice(0, 8), 'no detail of the key')
    }
  }
  t.same(sidecar.calls, [], 'nothing read or stored without the key')
  const auth = { 'x-api-key': KEY }
  t.equal((await app.inject(post({ data: { orderId: '1', note: 'x' } }, auth))).statusCode, 200)
  t.same((await app.inject({ method: 'GET', url: '/order', headers: auth })).json(), { orderId: '1', note: 'x' })
  t.same((await app.inject({ method: 'GET', url: '/orders/1', headers: auth })).json(), { orderId: '1', note: 'x' })
  t.equal((await app.inject({ method: 'GET', url: '/orders/2', headers: auth })).json().code, 'ORDER_ERR_NOT_FOUND')
})

t.test('public listener: the key is checked before the body is read or validated', async (t) => {
  const { app } = await publicRoutes(t, { channel: 'public', apiKey: KEY, demoMode: 'off' })
  t.equal((await app.inject(post('not json', { 'content-type': 'application/json' }))).statusCode, 401)
  t.equal((await app.inject(post({ data: { orderId: '1', pad: 'x'.repeat(BODY_LIMIT) } }))).statusCode, 401)
  t.equal((await app.inject({ method: 'GET', url: '/orders/..%2f' })).statusCode, 401, 'an invalid id is not even validated')
})

t.test('public listener, PUBLIC_DEMO_MODE=reads: reads open, writes still need the key', async (t) => {
  const { app } = await publicRoutes(t, { channel: 'public', apiKey: KEY, demoMode: 'reads' })
  t.equal((await app.inject(post({ data: { orderId: '1' } }))).statusCode, 401)
  t.equal((await app.inject(post({ data: { orderId: '1' } }, { 'x-api-key': KEY }))).statusCode, 200)
  for (const req of reads) t.equal((await app.inject(req)).statusCode, 200, req.url)
})

t.test('public listener, PUBLIC_DEMO_MODE=all: everything open', async (t) => {
  const { app } = await publicRoutes(t, { channel: 'public', demoMode: 'all' })
  t.equal((await app.inject(post({ data: { orderId: '1' } }))).statusCode, 200)
  for (const req of reads) t.equal((await app.inject(req)).statusCode, 200, req.url)
})

t.test('logs: structured orderId lines, and the token never appears', async (t) => {
  const logs = captureLogs('trace')
  const { app } = build(t, { logger: logs.logger, appApiToken: 'never-log-me' })
  await app.inject(post({ data: { orderId: '42' } }, { 'dapr-api-token': 'never-log-me' }))
  await app.inject(post({ data: { orderId: '42' } }, { 'dapr-api-token': 'never-log-me' }))
  await app.inject(post({ data: { orderId: '43' } }, { 'dapr-api-token': 'never-log-me-wrong' }))
  t.match(logs.lines.filter((l) => l.orderId !== undefined).map((l) => [l.orderId, l.msg]), [
    ['42', 'Got a new order! Order ID: 42'],
    ['42', 'Successfully persisted state for Order ID: 42'],
    ['42', 'Got a new order! Order ID: 42'],
    ['42', 'Order ID: 42 was already persisted; nothing written']
  ])
  // Fastify's request serializer drops headers; code that logged them anyway is redacted.
  app.log.info({ headers: { 'dapr-api-token': 'never-log-me', authorization: 'Bearer never-log-me' } }, 'headers')
  t.match(logs.lines.at(-1), { headers: { 'dapr-api-token': '[Redacted]', authorization: '[Redacted]' } })
  t.notMatch(logs.raw(), /never-log-me/)
})

t.test('trace context: state calls forward the incoming traceparent/tracestate, or a new trace, and every request line logs its traceId', async (t) => {
  const logs = captureLogs('info')
  const { app, sidecar } = build(t, { logger: logs.logger })
  const seen: unknown[] = []
  const { get, save } = sidecar.state
  sidecar.state.get = async (store, key, options?: { traceContext?: unknown }) => { seen.push(options?.traceContext); return get(store, key) }
  sidecar.state.save = async (store, item, options?: { traceContext?: unknown }) => { seen.push(options?.traceContext); return save(store, item) }
  const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
  await app.inject(post({ data: { orderId: '8' } }, { traceparent, tracestate: 'rojo=00f067aa0ba902b7' }))
  await app.inject({ method: 'GET', url: '/orders/8', headers: { traceparent } })
  await app.inject({ method: 'GET', url: '/order', headers: { traceparent } })
  t.equal(seen.length, 4)
  t.same(seen.slice(0, 2), [1, 2].map(() => ({ traceId: '0af7651916cd43dd8448eb211c80319c', traceparent, tracestate: 'rojo=00f067aa0ba902b7' })))
  t.same(seen.slice(2), [1, 2].map(() => ({ traceId: '0af7651916cd43dd8448eb211c80319c', traceparent })))
  const orderLines = logs.lines.filter((l) => l.orderId === '8')
  t.equal(orderLines.length, 2)
  t.ok(logs.lines.every((l) => l.traceId === '0af7651916cd43dd8448eb211c80319c'), 'every line of these requests')

  seen.length = 0
  logs.lines.length = 0
  await app.inject(post({ data: { orderId: '9' } }, { traceparent: '00-xyz-01', tracestate: 'rojo=1' }))
  const generated = seen[0] as { traceId: string, traceparent: string }
  t.match(generated, { traceId: /^[0-9a-f]{32}$/, traceparent: /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/ })
  t.notOk('tracestate' in generated, 'no tracestate without a valid traceparent')
  t.ok(seen.every((c) => c === generated), 'one generated trace for all calls of the request')
  t.ok(logs.lines.every((l) => l.traceId === generated.traceId), 'and the same id in its log lines')
})

t.test('the plugin takes its store and metrics as options: any store will do', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  const registry = new Registry()
  const created: unknown[] = []
  await app.register(errorHandling)
  await app.register(orderRoutes, {
    metrics: createOrderMetrics(registry),
    store: {
      create: async (data) => { created.push(data); return 'created' },
      get: async (orderId) => orderId === '5' ? { orderId: 5 } : undefined,
      latest: async () => undefined
    }
  })
  t.equal((await app.inject(post({ data: { orderId: 5 } }))).statusCode, 200)
  t.same(created, [{ orderId: 5 }])
  t.same((await app.inject({ method: 'GET', url: '/orders/5' })).json(), { orderId: 5 })
  t.equal((await app.inject({ method: 'GET', url: '/order' })).json().code, 'ORDER_ERR_NO_ORDER_YET')
  t.equal(sampleValue(await registry.metrics(), 'orders_persisted_total'), 1)
})

t.test('without the error plugin it refuses to load, naming what is missing', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  app.register(orderRoutes, { metrics: createOrderMetrics(new Registry()), store: { create: async () => 'created', get: async () => undefined, latest: async () => undefined } })
  await t.rejects(async () => { await app.ready() }, /app-errors/)
})
