// The order service's wiring: the shared plugins and the routes in one app, with its own
// metrics registry. What the routes do is in routes.test.ts.
import t, { type Test } from 'tap'
import { Registry } from 'prom-client'
import { buildApp, buildApps, BODY_LIMIT, type OrderAppOptions } from '../../src/order/app.js'
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

t.test('the app is the shared plugins plus the order routes, each loaded once by name', async (t) => {
  const { app } = build(t)
  await app.ready()
  for (const name of ['app-errors', 'app-metrics', 'app-health', 'order-routes']) t.ok(app.hasPlugin(name), name)
  t.equal((await app.inject({ method: 'POST', url: '/neworder', payload: 'x', headers: { 'content-type': 'text/plain' } })).statusCode, 415, 'JSON only')
})

t.test('unknown routes are 404 with a code', async (t) => {
  const { app } = build(t)
  const res = await app.inject({ method: 'GET', url: '/ports?x=1' })
  t.same(res.json(), { statusCode: 404, code: 'APP_ERR_ROUTE_NOT_FOUND', message: 'Route GET /ports not found' })
})

t.test('health: liveness is the process only, readiness asks the sidecar and the drain flag', async (t) => {
  let draining = false
  const { app, sidecar } = build(t, { isDraining: () => draining })
  t.same((await app.inject({ method: 'GET', url: '/healthz' })).json(), { status: 'ok' })
  t.same((await app.inject({ method: 'GET', url: '/readyz' })).json(), { status: 'ready' })
  sidecar.failWhen((op) => op === 'healthz' ? errors.network() : undefined)
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'a sidecar outage does not fail liveness')
  const notReady = await app.inject({ method: 'GET', url: '/readyz' })
  t.equal(notReady.statusCode, 503)
  t.equal(notReady.json().code, 'HEALTH_ERR_SIDECAR_UNAVAILABLE')
  draining = true
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).json().code, 'HEALTH_ERR_DRAINING')
})

t.test('readiness defaults to not draining', async (t) => {
  const { app } = build(t)
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200)
})

t.test('metrics: after a known mix of orders, every counter says what happened', async (t) => {
  const registry = new Registry()
  const { app, sidecar } = build(t, { appApiToken: 'tok', registry })
  const auth = { 'dapr-api-token': 'tok' }
  for (const orderId of ['1', '2', '3']) t.equal((await app.inject(post({ data: { orderId } }, auth))).statusCode, 200)
  t.equal((await app.inject(post({ data: { orderId: '1' } }, auth))).statusCode, 200, 'duplicate')
  t.equal((await app.inject(post({ data: { orderId: '1', qty: 2 } }, auth))).statusCode, 409)
  t.equal((await app.inject(post({ data: {} }, auth))).statusCode, 400)
  t.equal((await app.inject(post({ data: { orderId: '4' } }, { 'dapr-api-token': 'nope' }))).statusCode, 401)
  t.equal((await app.inject(post('x', { ...auth, 'content-type': 'text/plain' }))).statusCode, 415)
  t.equal((await app.inject(post({ data: { orderId: '5', pad: 'x'.repeat(BODY_LIMIT) } }, auth))).statusCode, 413)
  sidecar.failWhen((op) => op === 'save' ? errors.network() : undefined)
  t.equal((await app.inject(post({ data: { orderId: '6' } }, auth))).statusCode, 503)
  sidecar.failWhen(() => errors.storeNotFound())
  t.equal((await app.inject(post({ data: { orderId: '7' } }, auth))).statusCode, 500)
  await app.inject({ method: 'GET', url: '/orders/2' })

  const res = await app.inject({ method: 'GET', url: '/metrics' })
  t.equal(res.statusCode, 200, '/metrics needs no token')
  const text = res.body
  const value = (name: string, labels?: Record<string, string>): number | undefined => sampleValue(text, name, labels)
  t.equal(value('orders_received_total'), 11)
  t.equal(value('orders_persisted_total'), 3)
  t.equal(value('orders_duplicates_total'), 1)
  t.equal(value('orders_rejected_total', { code: 'ORDER_ERR_CONFLICT' }), 1)
  t.equal(value('orders_rejected_total', { code: 'FST_ERR_VALIDATION' }), 1)
  t.equal(value('orders_rejected_total', { code: 'ORDER_ERR_UNAUTHORIZED' }), 1)
  t.equal(value('orders_rejected_total', { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' }), 1)
  t.equal(value('orders_rejected_total', { code: 'FST_ERR_CTP_BODY_TOO_LARGE' }), 1)
  t.equal(value('orders_failed_total', { code: 'ORDER_ERR_STORE_UNAVAILABLE' }), 1)
  t.equal(value('orders_failed_total', { code: 'APP_ERR_INTERNAL' }), 1)
  t.equal(value('http_request_duration_seconds_count', { method: 'POST', route: '/neworder', status_code: '200' }), 4)
  t.equal(value('http_request_duration_seconds_count', { method: 'GET', route: '/orders/:orderId', status_code: '500' }), 1)
  // 3 new orders: get + 2 saves each; the duplicate and the conflict: one get each; then 2 failed gets and the read.
  // 3 new orders: 2 saves each, no read; the duplicate, the conflict and the two failures:
  // one refused or failed save and one re-read each; then the failed read of GET /orders/2.
  t.equal(value('sidecar_call_duration_seconds_count', { operation: 'state.save' }), 6 + 4)
  t.equal(value('sidecar_call_duration_seconds_count', { operation: 'state.get' }), 4 + 1)
  t.equal(value('sidecar_call_errors_total', { operation: 'state.save', code: 'SIDECAR_ERR_ETAG_MISMATCH' }), 2)
  t.equal(value('sidecar_call_errors_total', { operation: 'state.save', code: 'SIDECAR_ERR_NETWORK' }), 1)
  t.equal(value('sidecar_call_errors_total', { operation: 'state.save', code: 'SIDECAR_ERR_HTTP' }), 1)
  t.equal(value('sidecar_call_errors_total', { operation: 'state.get', code: 'SIDECAR_ERR_HTTP' }), 2)
  t.equal(value('process_cpu_seconds_total'), undefined, 'process metrics are server.ts\'s choice, not the app\'s')
})

t.test('metrics: each app has its own registry, and /metrics can move to another listener', async (t) => {
  const a = build(t)
  const b = build(t, { metricsRoute: false })
  await a.app.inject(post({ data: { orderId: '1' } }))
  t.equal(sampleValue((await a.app.inject({ method: 'GET', url: '/metrics' })).body, 'orders_received_total'), 1)
  t.equal((await b.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 404)
  const registry = new Registry()
  const c = build(t, { registry })
  await c.app.inject({ method: 'GET', url: '/readyz' })
  t.equal(sampleValue(await registry.metrics(), 'orders_received_total'), 0, 'a fresh app counts from zero')
  t.equal(sampleValue(await registry.metrics(), 'sidecar_call_duration_seconds_count', { operation: 'healthz.outbound' }), 1, 'the readiness check is a timed sidecar call')
})

t.test('a number JSON.parse would change is a 400 ORDER_ERR_INEXACT_NUMBER, and nothing is read or stored', async (t) => {
  const { app, sidecar } = build(t)
  const json = { 'content-type': 'application/json' }
  const bodies = [
    '{"data":{"orderId":"1","qty":1e400}}',
    '{"data":{"orderId":"1","qty":-1e400}}',
    '{"data":{"orderId":"1","qty":9007199254740993}}',
    '{"data":{"orderId":9007199254740993}}',
    '{"data":{"orderId":1e400}}',
    '{"data":{"orderId":"1"},"x":[1e-400]}'
  ]
  for (const body of bodies) {
    const res = await app.inject(post(body, json))
    t.equal(res.statusCode, 400, body)
    t.match(res.json(), { statusCode: 400, code: 'ORDER_ERR_INEXACT_NUMBER', message: /^The number \S+ cannot be stored exactly/ }, body)
  }
  const long = await app.inject(post(`{"data":{"orderId":"1","qty":${'9'.repeat(5000)}}}`, json))
  t.match(long.json(), { code: 'ORDER_ERR_INEXACT_NUMBER', message: /^The number 9{37}\.\.\. cannot/ }, 'a long number is cut short in the message')
  t.same(sidecar.calls, [], 'nothing read or stored')
})

t.test('numbers that hold exactly are stored as sent, whatever their spelling', async (t) => {
  const { app, sidecar } = build(t)
  const body = '{"data":{"orderId":"x1","a":0.1,"b":9007199254740991,"c":-1.50,"d":1E2,"e":5e-324,"f":"1e400 in a string","g":-0}}'
  const res = await app.inject({ method: 'POST', url: '/neworder', headers: { 'content-type': 'application/json; charset=utf-8' }, payload: body })
  t.equal(res.statusCode, 200)
  t.same((sidecar.data.get('order-x1')?.value as { data: unknown }).data, { orderId: 'x1', a: 0.1, b: 9007199254740991, c: -1.5, d: 100, e: 5e-324, f: '1e400 in a string', g: -0 })
  const proto = await app.inject({ method: 'POST', url: '/neworder', headers: { 'content-type': 'application/json' }, payload: '{"data":{"orderId":"p","__proto__":{"x":1}}}' })
  t.match(proto.json(), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' }, 'Fastify\'s own parser (prototype poisoning refused) still runs first')
})

t.test('buildApps: without public options there is only the app channel', async (t) => {
  const { app, publicApp } = buildApps({ sidecar: fakeSidecar(), stateStoreName: 'statestore' })
  t.teardown(() => app.close())
  t.equal(publicApp, undefined)
  t.equal((await app.inject({ method: 'GET', url: '/order' })).json().code, 'ORDER_ERR_NO_ORDER_YET', 'reads on the app channel need nothing')
})

t.test('buildApps: two listeners from the same routes, one store and one set of metrics, each with its own credential', async (t) => {
  const registry = new Registry()
  const sidecar = fakeSidecar()
  const logs = captureLogs('info')
  const key = 'public-key-0123456789abcdef'
  const { app, publicApp } = buildApps({ sidecar, stateStoreName: 'statestore', appApiToken: 'app-tok', registry, logger: logs.logger, public: { apiKey: key, demoMode: 'off' } })
  t.teardown(() => app.close())
  t.teardown(() => publicApp!.close())
  await publicApp!.ready()
  for (const name of ['app-errors', 'app-metrics', 'app-health', 'order-routes']) t.ok(publicApp!.hasPlugin(name), name)

  // Written through daprd's channel, read through the public one, and the other way round.
  t.equal((await app.inject(post({ data: { orderId: '1' } }, { 'dapr-api-token': 'app-tok' }))).statusCode, 200)
  t.same((await publicApp!.inject({ method: 'GET', url: '/orders/1', headers: { 'x-api-key': key } })).json(), { orderId: '1' })
  t.equal((await publicApp!.inject(post({ data: { orderId: '2' } }, { 'x-api-key': key }))).statusCode, 200)
  t.same((await app.inject({ method: 'GET', url: '/order' })).json(), { orderId: '2' })

  // Each side accepts its own credential only.
  t.equal((await publicApp!.inject(post({ data: { orderId: '3' } }, { 'dapr-api-token': 'app-tok' }))).statusCode, 401, 'the app token is worthless on the public side')
  t.equal((await publicApp!.inject({ method: 'GET', url: '/order', headers: { 'dapr-api-token': 'app-tok' } })).statusCode, 401)
  t.equal((await app.inject(post({ data: { orderId: '3' } }, { 'x-api-key': key }))).statusCode, 401, 'and the public key on the app channel')

  // Probes answer without a key (kubelet and the NLB health check send none); /metrics is never public.
  t.equal((await publicApp!.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
  t.equal((await publicApp!.inject({ method: 'GET', url: '/readyz' })).statusCode, 200)
  t.equal((await publicApp!.inject({ method: 'GET', url: '/metrics', headers: { 'x-api-key': key } })).statusCode, 404)
  t.equal((await publicApp!.inject({ method: 'POST', url: '/neworder', payload: 'x', headers: { 'content-type': 'text/plain', 'x-api-key': key } })).statusCode, 415, 'JSON only there too')

  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body
  t.equal(sampleValue(text, 'orders_persisted_total'), 2, 'both listeners count into one registry')
  t.equal(sampleValue(text, 'orders_rejected_total', { code: 'ORDER_ERR_UNAUTHORIZED' }), 2)
  t.equal(sampleValue(text, 'http_request_duration_seconds_count', { method: 'GET', route: '/order', status_code: '401' }), 1)
  t.ok(logs.lines.some((l) => l.listener === 'public' && l.reqId !== undefined), 'public request lines say which listener')
  t.notMatch(logs.raw(), key)
  t.notMatch(logs.raw(), 'app-tok')
})

t.test('buildApps: a public demo mode opens what it names, the app channel is unchanged', async (t) => {
  const { app, publicApp } = buildApps({ sidecar: fakeSidecar(), stateStoreName: 'statestore', appApiToken: 'app-tok', public: { demoMode: 'reads' } })
  t.teardown(() => app.close())
  t.teardown(() => publicApp!.close())
  t.equal((await app.inject(post({ data: { orderId: '1' } }, { 'dapr-api-token': 'app-tok' }))).statusCode, 200)
  t.equal((await publicApp!.inject({ method: 'GET', url: '/orders/1' })).statusCode, 200)
  t.equal((await publicApp!.inject(post({ data: { orderId: '2' } }))).statusCode, 401, 'no key configured: public writes refused')
  t.equal((await app.inject(post({ data: { orderId: '2' } }))).statusCode, 401)
})
