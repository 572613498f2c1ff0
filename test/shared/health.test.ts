import t from 'tap'
import Fastify from 'fastify'
import { health, healthErrors } from '../../src/shared/health.js'
import { errorHandling, HttpError } from '../../src/shared/http.js'

t.test('readyz passes the deadline to the sidecar check and maps failures to 503 codes', async (t) => {
  const seen: unknown[] = []
  let fail = false
  let draining = false
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(errorHandling)
  await app.register(health, {
    sidecar: { healthzOutbound: async (options?: unknown) => { seen.push(options); if (fail) throw new Error('down') } },
    isDraining: () => draining,
    readyTimeoutMs: 123
  })
  t.same((await app.inject('/healthz')).json(), { status: 'ok' })
  t.same((await app.inject('/readyz')).json(), { status: 'ready' })
  t.not((await app.inject('/healthz')).headers.connection, 'close')
  t.same(seen, [{ timeoutMs: 123 }])
  fail = true
  t.same((await app.inject('/readyz')).json(), { statusCode: 503, code: 'HEALTH_ERR_SIDECAR_UNAVAILABLE', message: 'Dapr sidecar is not ready' })
  draining = true
  t.same((await app.inject('/readyz')).json(), { statusCode: 503, code: 'HEALTH_ERR_DRAINING', message: 'Shutting down' })
  t.equal(seen.length, 2, 'a draining app does not ask the sidecar')
  t.equal((await app.inject('/healthz')).headers.connection, 'close', 'draining answers close their connection')
})

t.test('the draining header applies to every route of the app, not only the probes', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(errorHandling)
  await app.register(health, { sidecar: { healthzOutbound: async () => {} }, isDraining: () => true, readyTimeoutMs: 1 })
  app.get('/other', async () => ({}))
  t.equal((await app.inject('/other')).headers.connection, 'close')
})

t.test('without the error plugin it refuses to load, naming what is missing', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  app.register(health, { sidecar: { healthzOutbound: async () => {} }, isDraining: () => false, readyTimeoutMs: 1 })
  await t.rejects(async () => { await app.ready() }, /app-errors/)
})

t.test('its errors are HttpErrors with stable codes; the cause is kept', async (t) => {
  const cause = new Error('refused')
  const err = healthErrors.sidecarUnavailable({ cause })
  t.ok(err instanceof HttpError)
  t.match(err, { statusCode: 503, code: 'HEALTH_ERR_SIDECAR_UNAVAILABLE', cause })
  t.match(healthErrors.draining(), { statusCode: 503, code: 'HEALTH_ERR_DRAINING' })
})
