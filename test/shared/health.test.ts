import t from 'tap'
import Fastify from 'fastify'
import { registerHealthRoutes } from '../../src/shared/health.js'
import { installErrorHandlers } from '../../src/shared/http.js'

t.test('readyz passes the deadline to the sidecar check and maps failures to 503 codes', async (t) => {
  const seen: unknown[] = []
  let fail = false
  let draining = false
  const app = Fastify()
  t.teardown(() => app.close())
  installErrorHandlers(app)
  registerHealthRoutes(app, {
    sidecar: { healthzOutbound: async (options) => { seen.push(options); if (fail) throw new Error('down') } },
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
