import t from 'tap'
import { Registry } from 'prom-client'
import { buildApp } from '../../src/generator/app.js'
import { errors, fakeSidecar } from '../helpers/fake-sidecar.js'
import { sampleValue } from '../helpers/prom-text.js'

t.test('probes: liveness always, readiness from the sidecar and the drain flag, 404 with a code otherwise', async (t) => {
  const sidecar = fakeSidecar()
  let draining = false
  const app = buildApp({ sidecar, isDraining: () => draining })
  t.teardown(() => app.close())
  t.same((await app.inject('/healthz')).json(), { status: 'ok' })
  t.same((await app.inject('/readyz')).json(), { status: 'ready' })
  sidecar.failWhen(() => errors.network())
  t.same((await app.inject('/readyz')).json(), { statusCode: 503, code: 'HEALTH_ERR_SIDECAR_UNAVAILABLE', message: 'Dapr sidecar is not ready' })
  draining = true
  t.equal((await app.inject('/readyz')).json().code, 'HEALTH_ERR_DRAINING')
  t.same((await app.inject({ method: 'POST', url: '/neworder' })).json(), { statusCode: 404, code: 'APP_ERR_ROUTE_NOT_FOUND', message: 'Route POST /neworder not found' })
})

t.test('defaults: not draining', async (t) => {
  const app = buildApp({ sidecar: fakeSidecar() })
  t.teardown(() => app.close())
  t.equal((await app.inject('/readyz')).statusCode, 200)
})

t.test('metrics: probe durations by route, /metrics here unless it has a port of its own', async (t) => {
  const registry = new Registry()
  const app = buildApp({ sidecar: fakeSidecar(), registry })
  t.teardown(() => app.close())
  await app.inject('/readyz')
  const res = await app.inject('/metrics')
  t.equal(res.statusCode, 200)
  t.equal(sampleValue(res.body, 'http_request_duration_seconds_count', { method: 'GET', route: '/readyz', status_code: '200' }), 1)
  const apart = buildApp({ sidecar: fakeSidecar(), metricsRoute: false })
  t.teardown(() => apart.close())
  t.equal((await apart.inject('/metrics')).statusCode, 404)
})
