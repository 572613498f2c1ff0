import t from 'tap'
import { Registry } from 'prom-client'
import { createOrderMetrics, instrumentSidecar } from '../../src/order/metrics.js'
import { createSidecarMetrics } from '../../src/shared/metrics.js'
import { errors, fakeSidecar } from '../helpers/fake-sidecar.js'
import { sampleValue } from '../helpers/prom-text.js'

t.test('the order counters, registered on the given registry only', async (t) => {
  const registry = new Registry()
  const m = createOrderMetrics(registry)
  m.received.inc(3)
  m.persisted.inc()
  m.duplicates.inc()
  m.rejected.inc({ code: 'ORDER_ERR_CONFLICT' })
  m.failed.inc({ code: 'ORDER_ERR_STORE_UNAVAILABLE' })
  const text = await registry.metrics()
  t.equal(sampleValue(text, 'orders_received_total'), 3)
  t.equal(sampleValue(text, 'orders_persisted_total'), 1)
  t.equal(sampleValue(text, 'orders_duplicates_total'), 1)
  t.equal(sampleValue(text, 'orders_rejected_total', { code: 'ORDER_ERR_CONFLICT' }), 1)
  t.equal(sampleValue(text, 'orders_failed_total', { code: 'ORDER_ERR_STORE_UNAVAILABLE' }), 1)
  t.doesNotThrow(() => createOrderMetrics(new Registry()), 'a second app registers the same names elsewhere')
})

t.test('the instrumented port passes every argument through and times each operation', async (t) => {
  const registry = new Registry()
  const fake = fakeSidecar()
  const seen: unknown[] = []
  const { get, save } = fake.state
  fake.state.get = async (store, key, options?: unknown) => { seen.push(['get', store, key, options]); return get(store, key) }
  fake.state.save = async (store, items, options?: unknown) => { seen.push(['save', store, items, options]); return save(store, items) }
  const healthz = fake.healthzOutbound
  fake.healthzOutbound = async (options?: unknown) => { seen.push(['healthz', options]); return healthz() }
  const sidecar = instrumentSidecar(fake, createSidecarMetrics(registry))
  const traceContext = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }
  await sidecar.state.save('s', { key: 'k', value: 1 }, { traceContext })
  t.same(await sidecar.state.get('s', 'k', { traceContext }), { key: 'k', value: 1, etag: '1', metadata: {} })
  await sidecar.healthzOutbound({ timeoutMs: 5 })
  t.same(seen, [['save', 's', { key: 'k', value: 1 }, { traceContext }], ['get', 's', 'k', { traceContext }], ['healthz', { timeoutMs: 5 }]])
  fake.failWhen(() => errors.timeout())
  await t.rejects(sidecar.state.get('s', 'k'), { code: 'SIDECAR_ERR_TIMEOUT' })
  const text = await registry.metrics()
  t.equal(sampleValue(text, 'sidecar_call_duration_seconds_count', { operation: 'state.get' }), 2)
  t.equal(sampleValue(text, 'sidecar_call_duration_seconds_count', { operation: 'state.save' }), 1)
  t.equal(sampleValue(text, 'sidecar_call_duration_seconds_count', { operation: 'healthz.outbound' }), 1)
  t.equal(sampleValue(text, 'sidecar_call_errors_total', { operation: 'state.get', code: 'SIDECAR_ERR_TIMEOUT' }), 1)
})
