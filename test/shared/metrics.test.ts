import t from 'tap'
import Fastify from 'fastify'
import { Registry } from 'prom-client'
import { buildMetricsApp, createSidecarMetrics, httpMetrics, UNMATCHED_ROUTE } from '../../src/shared/metrics.js'
import { captureLogs } from '../helpers/log-capture.js'
import { sampleValue } from '../helpers/prom-text.js'

t.test('request durations by method, route pattern and status; unknown URLs share one label', async (t) => {
  const registry = new Registry()
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(httpMetrics, { registry })
  app.get('/orders/:id', async (request, reply) => reply.code((request.params as { id: string }).id === 'x' ? 404 : 200).send({}))
  await app.inject('/orders/1')
  await app.inject('/orders/2')
  await app.inject('/orders/x')
  await app.inject('/no/such/path')
  await app.inject('/another/one')
  const res = await app.inject('/metrics')
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], registry.contentType)
  const text = res.body
  const count = (route: string, status: string): number | undefined =>
    sampleValue(text, 'http_request_duration_seconds_count', { method: 'GET', route, status_code: status })
  t.equal(count('/orders/:id', '200'), 2)
  t.equal(count('/orders/:id', '404'), 1)
  t.equal(count(UNMATCHED_ROUTE, '404'), 2)
  t.notMatch(text, /no\/such\/path/, 'raw URLs never become labels')
  t.equal(sampleValue(text, 'http_request_duration_seconds_bucket', { route: '/orders/:id', status_code: '200', le: '+Inf' }), 2)
})

t.test('route: false observes requests but leaves /metrics to another listener', async (t) => {
  const registry = new Registry()
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(httpMetrics, { registry, route: false })
  app.get('/x', async () => ({}))
  t.equal((await app.inject('/metrics')).statusCode, 404)
  await app.inject('/x')
  t.equal(sampleValue(await registry.metrics(), 'http_request_duration_seconds_count', { method: 'GET', route: '/x', status_code: '200' }), 1)
})

t.test('a metrics app serves only /metrics and logs no scrapes', async (t) => {
  const registry = new Registry()
  createSidecarMetrics(registry)
  const logs = captureLogs('trace')
  const app = buildMetricsApp({ registry, logger: logs.logger })
  t.teardown(() => app.close())
  const res = await app.inject('/metrics')
  t.equal(res.statusCode, 200)
  t.match(res.body, /# TYPE sidecar_call_duration_seconds histogram/)
  t.equal((await app.inject('/orders')).statusCode, 404)
  t.same(logs.lines, [], 'no request logs')
  const quiet = buildMetricsApp({ registry })
  t.teardown(() => quiet.close())
  t.equal((await quiet.inject('/metrics')).statusCode, 200, 'a logger is optional')
})

t.test('sidecar calls: every call timed by operation, failures counted by code and rethrown', async (t) => {
  const registry = new Registry()
  const m = createSidecarMetrics(registry)
  t.equal(await m.observe('state.get', async () => 'value'), 'value')
  const coded = Object.assign(new Error('down'), { code: 'SIDECAR_ERR_NETWORK' })
  await t.rejects(m.observe('state.get', async () => { throw coded }), coded)
  await t.rejects(m.observe('invoke', async () => { throw new Error('no code') }), /no code/)
  await t.rejects(m.observe('invoke', async () => { throw Object.assign(new Error('odd'), { code: 42 }) }), /odd/)
  const text = await registry.metrics()
  t.equal(sampleValue(text, 'sidecar_call_duration_seconds_count', { operation: 'state.get' }), 2)
  t.equal(sampleValue(text, 'sidecar_call_duration_seconds_count', { operation: 'invoke' }), 2)
  t.equal(sampleValue(text, 'sidecar_call_errors_total', { operation: 'state.get', code: 'SIDECAR_ERR_NETWORK' }), 1)
  t.equal(sampleValue(text, 'sidecar_call_errors_total', { operation: 'invoke', code: 'UNKNOWN' }), 2)
})
