import t from 'tap'
import { Registry } from 'prom-client'
import { createGeneratorMetrics, instrumentSidecar } from '../../src/generator/metrics.js'
import { createSidecarMetrics } from '../../src/shared/metrics.js'
import { errors, fakeSidecar } from '../helpers/fake-sidecar.js'
import { sampleValue } from '../helpers/prom-text.js'

t.test('the delivery counters and the latency histogram', async (t) => {
  const registry = new Registry()
  const m = createGeneratorMetrics(registry)
  m.sent(); m.sent(); m.sent()
  m.retried()
  m.delivered(40)
  m.delivered(3000)
  m.gaveUp('rejected')
  const text = await registry.metrics()
  t.equal(sampleValue(text, 'generator_orders_sent_total'), 3)
  t.equal(sampleValue(text, 'generator_orders_delivered_total'), 2)
  t.equal(sampleValue(text, 'generator_retries_total'), 1)
  t.equal(sampleValue(text, 'generator_orders_given_up_total', { reason: 'rejected' }), 1)
  t.equal(sampleValue(text, 'generator_delivery_duration_seconds_count'), 2)
  t.equal(sampleValue(text, 'generator_delivery_duration_seconds_sum'), 3.04, 'observed in seconds')
  t.equal(sampleValue(text, 'generator_delivery_duration_seconds_bucket', { le: '0.05' }), 1)
  t.equal(sampleValue(text, 'generator_delivery_duration_seconds_bucket', { le: '5' }), 2)
})

t.test('the instrumented port passes every argument through and times each operation', async (t) => {
  const registry = new Registry()
  const fake = fakeSidecar()
  const sidecar = instrumentSidecar(fake, createSidecarMetrics(registry))
  let invoked: unknown
  fake.onInvoke((appId, method, options) => { invoked = { appId, method, options }; return { statusCode: 200 } as never })
  const options = { httpMethod: 'POST' as const, body: { data: { orderId: '1' } }, traceContext: { traceparent: 'tp' } }
  await sidecar.invoke('nodeapp', 'neworder', options)
  t.same(invoked, { appId: 'nodeapp', method: 'neworder', options })
  t.same(await sidecar.state.update<number>('s', 'counter', (n) => (n ?? 0) + 100, { maxAttempts: 2 }), { value: 100, attempts: 1 })
  fake.failWhen((op) => op === 'invoke' ? errors.invoke(500) : undefined)
  await t.rejects(sidecar.invoke('nodeapp', 'neworder'), { code: 'SIDECAR_ERR_INVOKE' })
  const text = await registry.metrics()
  t.equal(sampleValue(text, 'sidecar_call_duration_seconds_count', { operation: 'invoke' }), 2)
  t.equal(sampleValue(text, 'sidecar_call_duration_seconds_count', { operation: 'state.update' }), 1)
  t.equal(sampleValue(text, 'sidecar_call_errors_total', { operation: 'invoke', code: 'SIDECAR_ERR_INVOKE' }), 1)
})

t.test('the backlog gauges read the loop at every scrape: pending, oldest pending age, paused', async (t) => {
  const registry = new Registry()
  const m = createGeneratorMetrics(registry)
  t.equal(sampleValue(await registry.metrics(), 'generator_orders_pending'), undefined, 'absent until the loop is watched')
  let status = { pending: 0, oldestPendingMs: 0, paused: false }
  m.watch?.(() => status)
  const before = await registry.metrics()
  t.equal(sampleValue(before, 'generator_orders_pending'), 0)
  t.equal(sampleValue(before, 'generator_oldest_pending_age_seconds'), 0)
  t.equal(sampleValue(before, 'generator_delivery_paused'), 0)
  status = { pending: 3, oldestPendingMs: 41_500, paused: true }
  const during = await registry.metrics()
  t.equal(sampleValue(during, 'generator_orders_pending'), 3)
  t.equal(sampleValue(during, 'generator_oldest_pending_age_seconds'), 41.5)
  t.equal(sampleValue(during, 'generator_delivery_paused'), 1)
})
