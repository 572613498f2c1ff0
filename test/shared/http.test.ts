import t, { type Test } from 'tap'
import Fastify from 'fastify'
import { ERR_INTERNAL, ERR_ROUTE_NOT_FOUND, HttpError, installErrorHandlers, serverOptions } from '../../src/shared/http.js'
import { captureLogs } from '../helpers/log-capture.js'

function build (t: Test) {
  const logs = captureLogs('info')
  const app = Fastify(serverOptions(logs.logger))
  t.teardown(() => app.close())
  installErrorHandlers(app)
  return { app, logs }
}

t.test('HttpError keeps status, code, message and cause', async (t) => {
  const cause = new Error('x')
  const err = new HttpError(418, 'TEA_ERR', 'short and stout', { cause })
  t.match(err, { name: 'HttpError', statusCode: 418, code: 'TEA_ERR', message: 'short and stout', cause })
})

t.test('every error has the { statusCode, code, message } shape', async (t) => {
  const { app, logs } = build(t)
  app.get('/http', async () => { throw new HttpError(503, 'X_ERR_DOWN', 'down, retry') })
  app.get('/boom', async () => { throw new Error('secret internals') })
  app.get('/dependency-status', async () => { throw Object.assign(new Error('sidecar said 400'), { statusCode: 400, code: 'SIDECAR_ERR_HTTP' }) })
  app.get('/fastify-5xx', async () => { throw Object.assign(new Error('fst'), { statusCode: 500, code: 'FST_ERR_SOMETHING' }) })
  app.get('/fastify-nostatus', async () => { throw Object.assign(new Error('fst'), { code: 'FST_ERR_OTHER' }) })
  app.post('/v', { schema: { body: { type: 'object', required: ['a'] } } }, async () => ({}))

  t.same((await app.inject('/http')).json(), { statusCode: 503, code: 'X_ERR_DOWN', message: 'down, retry' })
  const generic = { statusCode: 500, code: ERR_INTERNAL, message: 'Internal Server Error' }
  for (const url of ['/boom', '/dependency-status', '/fastify-5xx', '/fastify-nostatus']) t.same((await app.inject(url)).json(), generic, url)
  t.match((await app.inject({ method: 'POST', url: '/v', payload: {} })).json(), { statusCode: 400, code: 'FST_ERR_VALIDATION' })
  t.match((await app.inject({ method: 'POST', url: '/v', payload: '{', headers: { 'content-type': 'application/json' } })).json(), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' })
  t.same((await app.inject('/missing')).json(), { statusCode: 404, code: ERR_ROUTE_NOT_FOUND, message: 'Route GET /missing not found' })
  t.notMatch(JSON.stringify((await app.inject('/boom')).json()), /secret internals|at /)
  t.ok(logs.lines.some((l) => l.level === 50 && (l.err as { message?: string }).message === 'secret internals'), '5xx causes are logged')
  t.ok(logs.lines.some((l) => l.level === 40 && l.code === 'X_ERR_DOWN' && l.msg === 'down, retry'), 'expected 5xx are one warning')
})

t.test('server options: explicit timeouts, no logger unless given, no type coercion', async (t) => {
  const none = serverOptions(undefined)
  t.equal(none.logger, false)
  t.match(none, { connectionTimeout: 0, requestTimeout: 30_000, keepAliveTimeout: 72_000, return503OnClosing: false })
  const app = Fastify(none)
  t.teardown(() => app.close())
  app.post('/n', { schema: { body: { type: 'object', properties: { n: { type: 'integer' } } } } }, async (req) => req.body)
  t.equal((await app.inject({ method: 'POST', url: '/n', payload: { n: '1' } })).statusCode, 400, '"1" is not coerced to 1')
})

t.test('every request log line carries a UUID reqId and the trace id of the request', async (t) => {
  const { app, logs } = build(t)
  app.get('/work', async (request) => { request.log.info('working'); return {} })
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
  await app.inject({ url: '/work', headers: { traceparent } })
  const lines = logs.lines.filter((l) => l.reqId !== undefined)
  t.same(lines.map((l) => l.msg), ['incoming request', 'working', 'request completed'])
  t.ok(lines.every((l) => l.traceId === '4bf92f3577b34da6a3ce929d0e0e4736'))
  t.match(lines[0]?.reqId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  logs.lines.length = 0
  await app.inject({ url: '/work' })
  const fresh = logs.lines.map((l) => l.traceId)
  t.match(fresh[0], /^[0-9a-f]{32}$/, 'no traceparent: a new trace id')
  t.ok(fresh.every((id) => id === fresh[0]), 'the same one on every line of the request')
})
