import t, { type Test } from 'tap'
import Fastify from 'fastify'
import { AccessLogAtDebug, ERR_INTERNAL, ERR_ROUTE_NOT_FOUND, HttpError, answerClientError, defineHttpError, errorHandling, serverOptions } from '../../src/shared/http.js'
import { captureLogs } from '../helpers/log-capture.js'

async function build (t: Test) {
  const logs = captureLogs('info')
  const app = Fastify(serverOptions(logs.logger))
  t.teardown(() => app.close())
  await app.register(errorHandling)
  return { app, logs }
}

const TeaError = defineHttpError<'TEA_ERR_TEAPOT', [string, { cause: unknown }]>('TEA_ERR_TEAPOT', 418, 'short and %s')
const DownError = defineHttpError('X_ERR_DOWN', 503, 'down, retry')

t.test('defineHttpError: status, code, formatted message and cause; an HttpError with or without new', async (t) => {
  const cause = new Error('x')
  const err = TeaError('stout', { cause })
  t.match(err, { statusCode: 418, code: 'TEA_ERR_TEAPOT', message: 'short and stout', cause })
  t.ok(err instanceof HttpError)
  t.ok(err instanceof Error)
  t.ok(err instanceof TeaError)
  t.notOk(err instanceof DownError, 'each definition is its own class')
  t.ok(new DownError() instanceof HttpError)
  t.notOk(Object.assign(new Error('look-alike'), { statusCode: 418, code: 'TEA_ERR_TEAPOT' }) instanceof HttpError)
})

t.test('defineHttpError refuses codes outside <AREA>_ERR_<WHAT> and statuses that are not errors', async (t) => {
  t.throws(() => defineHttpError('NOT_FOUND' as never, 404, 'x'), /not <AREA>_ERR_<WHAT>/)
  t.throws(() => defineHttpError('order_err_x' as never, 404, 'x'), /not <AREA>_ERR_<WHAT>/)
  t.throws(() => defineHttpError('A_ERR_OK', 200, 'x'), /must be 4xx or 5xx/)
  t.throws(() => defineHttpError('A_ERR_ODD', 600, 'x'), /must be 4xx or 5xx/)
  t.throws(() => defineHttpError('A_ERR_ODD', 404.5, 'x'), /must be 4xx or 5xx/)
})

t.test('every error has the { statusCode, code, message } shape', async (t) => {
  const { app, logs } = await build(t)
  app.get('/http', async () => { throw DownError() })
  app.get('/look-alike', async () => { throw Object.assign(new Error('looks like ours'), { statusCode: 404, code: 'X_ERR_NOPE' }) })
  app.get('/boom', async () => { throw new Error('secret internals') })
  app.get('/dependency-status', async () => { throw Object.assign(new Error('sidecar said 400'), { statusCode: 400, code: 'SIDECAR_ERR_HTTP' }) })
  app.get('/fastify-5xx', async () => { throw Object.assign(new Error('fst'), { statusCode: 500, code: 'FST_ERR_SOMETHING' }) })
  app.get('/fastify-nostatus', async () => { throw Object.assign(new Error('fst'), { code: 'FST_ERR_OTHER' }) })
  app.post('/v', { schema: { body: { type: 'object', required: ['a'] } } }, async () => ({}))

  t.same((await app.inject('/http')).json(), { statusCode: 503, code: 'X_ERR_DOWN', message: 'down, retry' })
  const generic = { statusCode: 500, code: ERR_INTERNAL, message: 'Internal Server Error' }
  for (const url of ['/boom', '/dependency-status', '/fastify-5xx', '/fastify-nostatus', '/look-alike']) t.same((await app.inject(url)).json(), generic, url)
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
  const { app, logs } = await build(t)
  app.get('/work', async (request) => { request.log.info('working'); return {} })
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
  await app.inject({ url: '/work', headers: { traceparent } })
  const lines = logs.lines.filter((l) => l.reqId !== undefined)
  t.same(lines.map((l) => l.msg), ['working'], 'the access lines are at debug (see below)')
  t.ok(lines.every((l) => l.traceId === '4bf92f3577b34da6a3ce929d0e0e4736'))
  t.match(lines[0]?.reqId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  logs.lines.length = 0
  await app.inject({ url: '/work' })
  const fresh = logs.lines.map((l) => l.traceId)
  t.match(fresh[0], /^[0-9a-f]{32}$/, 'no traceparent: a new trace id')
  t.ok(fresh.every((id) => id === fresh[0]), 'the same one on every line of the request')
})

t.test('a request body that stalls is cut off; one that arrives is served, on the same kind of socket', async (t) => {
  const { connect } = await import('node:net')
  const app = Fastify(serverOptions(undefined))
  await app.register(errorHandling, { bodyIdleTimeoutMs: 200 })
  app.post('/x', async () => ({ ok: true }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const port = (app.server.address() as { port: number }).port
  const exchange = (payload: string) => new Promise<string>((resolve) => {
    let got = ''
    const socket = connect(port, '127.0.0.1', () => socket.write(payload))
    socket.on('data', (d: Buffer) => { got += d.toString() })
    socket.on('close', () => resolve(got))
    socket.setTimeout(10_000, () => socket.destroy())
  })
  const head = 'POST /x HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nconnection: close\r\n'
  t.equal(await exchange(`${head}content-length: 20\r\n\r\n{"a":`), '', 'closed without an answer')
  t.match(await exchange(`${head}content-length: 2\r\n\r\n{}`), /^HTTP\/1.1 200[\s\S]*\{"ok":true\}/)
  // Once served, the socket has no body timer left: a keep-alive request after a pause still works.
  const res = await fetch(`http://127.0.0.1:${port}/x`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  t.equal(res.status, 200)
})

t.test('parser errors get the shared error shape and close the connection', async (t) => {
  const { Socket } = await import('node:net')
  const cases: Array<[string | undefined, number, string]> = [
    ['HPE_HEADER_OVERFLOW', 431, 'APP_ERR_HEADERS_TOO_LARGE'],
    ['ERR_HTTP_REQUEST_TIMEOUT', 408, 'APP_ERR_REQUEST_TIMEOUT'],
    ['HPE_INVALID_METHOD', 400, 'APP_ERR_BAD_REQUEST']
  ]
  for (const [code, status, appCode] of cases) {
    let written = ''
    const socket = Object.assign(new Socket(), { writable: true, end: (s: string) => { written = s } }) as unknown as import('node:net').Socket
    answerClientError(Object.assign(new Error('x'), { code }), socket)
    t.match(written, new RegExp(`^HTTP/1.1 ${status} `))
    t.match(written, 'Connection: close')
    t.match(JSON.parse(written.split('\r\n\r\n')[1] as string), { statusCode: status, code: appCode, message: /./ })
  }
  let destroyed = 0
  const gone = Object.assign(new Socket(), { destroy: () => { destroyed++ } }) as unknown as import('node:net').Socket
  answerClientError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), gone)
  const closed = Object.assign(new Socket(), { writable: false, destroy: () => { destroyed++ } }) as unknown as import('node:net').Socket
  answerClientError(new Error('late'), closed)
  t.equal(destroyed, 2)
})

t.test('access lines are at debug: info shows only what the routes say; a failed request stays at error', async (t) => {
  const logs = captureLogs('trace')
  const app = Fastify(serverOptions(logs.logger))
  t.teardown(() => app.close())
  app.get('/work', async (request) => { request.log.info('working'); return {} })
  await app.inject({ url: '/work' })
  t.same(logs.lines.map((l) => [l.level, l.msg]), [[20, 'incoming request'], [30, 'working'], [20, 'request completed']])
  const controller = new AccessLogAtDebug({ disableRequestLogging: true })
  const quiet = captureLogs('trace')
  const request = { log: quiet.logger } as unknown as Parameters<AccessLogAtDebug['incomingRequest']>[0]
  const reply = { log: quiet.logger, elapsedTime: 1 } as unknown as Parameters<AccessLogAtDebug['requestCompleted']>[2]
  controller.incomingRequest(request)
  controller.requestCompleted(null, request, reply)
  t.same(quiet.lines, [], 'disableRequestLogging still applies')
  new AccessLogAtDebug().requestCompleted(new Error('reset'), request, reply)
  t.match(quiet.lines, [{ level: 50, msg: 'request errored', err: { message: 'reset' } }])
})
