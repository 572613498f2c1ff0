// The transport: headers it adds, how it maps transport failures, and which calls it retries.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { MockAgent, Pool } from 'undici'
import {
  SidecarAbortError,
  SidecarAuthError,
  SidecarHttpError,
  SidecarNetworkError,
  SidecarTimeoutError
} from '../../src/sidecar/errors.js'
import { createTransport, parseJsonBody, type TransportOptions } from '../../src/sidecar/transport.js'
import { ORIGIN } from '../helpers/mock-sidecar.js'

function mocked (t: Test, overrides: Partial<TransportOptions> = {}) {
  const agent = new MockAgent()
  agent.disableNetConnect()
  t.teardown(() => agent.close())
  const transport = createTransport({
    dispatcher: agent,
    origin: ORIGIN,
    basePath: '',
    apiToken: undefined,
    headersTimeoutMs: 1000,
    bodyTimeoutMs: 1000,
    readRetries: 2,
    readRetryDelayMs: 1,
    ...overrides
  })
  return { pool: agent.get(ORIGIN), transport }
}

async function listen (t: Test, handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server: Server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

t.test('adds the API token, trace context and the base path', async (t) => {
  const { pool, transport } = mocked(t, { apiToken: 's3cret', basePath: '/dapr' })
  let headers: Record<string, string> = {}
  pool.intercept({ path: '/dapr/v1.0/healthz?a=1', method: 'GET' }).reply((req) => {
    headers = req.headers as Record<string, string>
    return { statusCode: 204, data: '' }
  })
  const res = await transport.call({ method: 'GET', path: '/v1.0/healthz', query: 'a=1', traceContext: { traceparent: 'tp', tracestate: 'ts' } })
  t.equal(res.statusCode, 204)
  t.equal(headers['dapr-api-token'], 's3cret')
  t.equal(headers.traceparent, 'tp')
  t.equal(headers.tracestate, 'ts')
})

t.test('sends no token or trace headers when there are none', async (t) => {
  const { pool, transport } = mocked(t)
  let headers: Record<string, string> = {}
  pool.intercept({ path: '/v1.0/healthz', method: 'GET' }).reply((req) => {
    headers = req.headers as Record<string, string>
    return { statusCode: 204, data: '' }
  })
  await transport.call({ method: 'GET', path: '/v1.0/healthz', traceContext: {} })
  t.notOk('dapr-api-token' in headers)
  t.notOk('traceparent' in headers)
})

t.test('idempotent calls retry connection failures, with a bound', async (t) => {
  const { pool, transport } = mocked(t)
  const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
  pool.intercept({ path: '/v1.0/metadata', method: 'GET' }).replyWithError(reset)
  pool.intercept({ path: '/v1.0/metadata', method: 'GET' }).replyWithError(reset)
  pool.intercept({ path: '/v1.0/metadata', method: 'GET' }).reply(200, '{}')
  t.equal((await transport.call({ method: 'GET', path: '/v1.0/metadata', idempotent: true })).statusCode, 200)

  pool.intercept({ path: '/v1.0/metadata', method: 'GET' }).replyWithError(reset).times(3)
  const err = await transport.call({ method: 'GET', path: '/v1.0/metadata', idempotent: true }).catch((e: unknown) => e)
  t.ok(err instanceof SidecarNetworkError)
  t.match(err, { code: 'SIDECAR_ERR_NETWORK', method: 'GET', path: '/v1.0/metadata', message: /ECONNRESET socket hang up/ })
})

t.test('writes are never retried, nor failures that are not about the connection', async (t) => {
  const { pool, transport } = mocked(t)
  const reset = Object.assign(new Error('reset'), { code: 'ECONNRESET' })
  pool.intercept({ path: '/v1.0/state/s', method: 'POST' }).replyWithError(reset)
  await t.rejects(transport.call({ method: 'POST', path: '/v1.0/state/s', body: '[]' }), SidecarNetworkError)
  pool.intercept({ path: '/v1.0/metadata', method: 'GET' }).replyWithError(new Error('weird'))
  await t.rejects(transport.call({ method: 'GET', path: '/v1.0/metadata', idempotent: true }), { message: /weird/ })
  const nested = Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } })
  pool.intercept({ path: '/v1.0/metadata', method: 'GET' }).replyWithError(nested)
  pool.intercept({ path: '/v1.0/metadata', method: 'GET' }).reply(200, '{}')
  t.equal((await transport.call({ method: 'GET', path: '/v1.0/metadata', idempotent: true })).statusCode, 200, 'a nested cause code counts')
  pool.intercept({ path: '/v1.0/metadata', method: 'GET' }).replyWithError('plain string' as unknown as Error)
  await t.rejects(transport.call({ method: 'GET', path: '/v1.0/metadata' }), SidecarNetworkError)
})

t.test('an abort during the retry backoff is reported as an abort', async (t) => {
  const { pool, transport } = mocked(t, { readRetryDelayMs: 60_000 })
  const reset = Object.assign(new Error('reset'), { code: 'ECONNRESET' })
  pool.intercept({ path: '/v1.0/metadata', method: 'GET' }).replyWithError(reset)
  const ac = new AbortController()
  const pending = transport.call({ method: 'GET', path: '/v1.0/metadata', idempotent: true, signal: ac.signal })
  setImmediate(() => ac.abort())
  await t.rejects(pending, SidecarAbortError)
})

t.test('a refused connection is a network error', async (t) => {
  // Take a free port, then close its server so nothing listens there.
  const closed = createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const freePort = (closed.address() as AddressInfo).port
  await new Promise<void>((resolve) => closed.close(() => resolve()))
  const origin = `http://127.0.0.1:${freePort}`
  const refused = new Pool(origin)
  t.teardown(() => refused.close())
  const transport = createTransport({ dispatcher: refused, origin, basePath: '', apiToken: undefined, headersTimeoutMs: 1000, bodyTimeoutMs: 1000, readRetries: 1, readRetryDelayMs: 1 })
  await t.rejects(transport.call({ method: 'GET', path: '/v1.0/healthz', idempotent: true }), { code: 'SIDECAR_ERR_NETWORK', message: /ECONNREFUSED/ })
})

t.test('undici timeouts and the per-call deadline are timeout errors; the caller\'s abort is an abort', async (t) => {
  const url = await listen(t, (req) => { req.resume() /* never answers */ })
  const pool = new Pool(url)
  t.teardown(() => pool.destroy())
  const base = { dispatcher: pool, origin: url, basePath: '', apiToken: undefined, bodyTimeoutMs: 1000, readRetries: 0, readRetryDelayMs: 1 }

  const headersTimeout = createTransport({ ...base, headersTimeoutMs: 50 })
  await t.rejects(headersTimeout.call({ method: 'GET', path: '/x' }), { code: 'SIDECAR_ERR_TIMEOUT', message: /UND_ERR_HEADERS_TIMEOUT/ })
  // A timeout is not a connection failure: even an idempotent read is not retried on it.
  const retrying = createTransport({ ...base, headersTimeoutMs: 50, readRetries: 3 })
  await t.rejects(retrying.call({ method: 'GET', path: '/x', idempotent: true }), SidecarTimeoutError)

  const transport = createTransport({ ...base, headersTimeoutMs: 60_000 })
  const err = await transport.call({ method: 'GET', path: '/x', timeoutMs: 30 }).catch((e: unknown) => e)
  t.ok(err instanceof SidecarTimeoutError)
  t.match(err, { message: /no answer within 30 ms/ })

  const ac = new AbortController()
  const pending = transport.call({ method: 'GET', path: '/x', signal: ac.signal, timeoutMs: 60_000 })
  setTimeout(() => ac.abort(), 20)
  await t.rejects(pending, { code: 'SIDECAR_ERR_ABORTED' })

  const ac2 = new AbortController()
  const pending2 = transport.call({ method: 'GET', path: '/x', signal: ac2.signal })
  setTimeout(() => ac2.abort(), 20)
  await t.rejects(pending2, SidecarAbortError)
})

t.test('fail maps 401 to an auth error and reads Dapr error bodies', async (t) => {
  const { transport } = mocked(t)
  const info = { method: 'GET', path: '/v1.0/metadata' }
  await t.rejects(transport.fail({ statusCode: 401, headers: {}, body: Buffer.from('invalid api token\n') }, info), SidecarAuthError)
  const body = Buffer.from(JSON.stringify({ errorCode: 'ERR_X', message: 'm', details: [{ '@type': 't' }] }))
  const err = await transport.fail({ statusCode: 500, headers: {}, body }, info).catch((e: unknown) => e)
  t.ok(err instanceof SidecarHttpError)
  t.match(err, { statusCode: 500, errorCode: 'ERR_X', daprMessage: 'm', details: [{ '@type': 't' }] })
  await t.rejects(transport.fail({ statusCode: 503, headers: {}, body: Buffer.alloc(0) }, info), { code: 'SIDECAR_ERR_HTTP', daprMessage: '(empty body)' })
  // A JSON body of another shape is reported as text.
  await t.rejects(transport.fail({ statusCode: 500, headers: {}, body: Buffer.from('{"error":"x"}') }, info), { code: 'SIDECAR_ERR_HTTP', errorCode: undefined, daprMessage: '{"error":"x"}' })
})

t.test('parseJsonBody parses or raises a contract error', async (t) => {
  const info = { method: 'GET', path: '/p' }
  t.same(parseJsonBody({ statusCode: 200, headers: {}, body: Buffer.from('{"a":1}') }, info), { a: 1 })
  t.throws(() => parseJsonBody({ statusCode: 200, headers: {}, body: Buffer.from('{') }, info), { code: 'SIDECAR_ERR_INVALID_RESPONSE' })
})

t.test('answers are gathered whole: repeated headers become arrays, chunked bodies are joined', async (t) => {
  const url = await listen(t, (req, res) => {
    res.setHeader('set-cookie', ['a=1', 'b=2', 'c=3'])
    res.setHeader('ETag', '7')
    res.write('part1,')
    setTimeout(() => res.end('part2'), 10)
  })
  const pool = new Pool(url)
  t.teardown(() => pool.close())
  const transport = createTransport({ dispatcher: pool, origin: url, basePath: '', apiToken: undefined, headersTimeoutMs: 5000, bodyTimeoutMs: 5000, readRetries: 0, readRetryDelayMs: 1 })
  const res = await transport.call({ method: 'GET', path: '/x' })
  t.same(res.headers['set-cookie'], ['a=1', 'b=2', 'c=3'])
  t.equal(res.headers.etag, '7', 'names are lower-cased')
  t.equal(res.body.toString(), 'part1,part2')
  const empty = await listen(t, (req, res) => { res.statusCode = 204; res.end() })
  const emptyPool = new Pool(empty)
  t.teardown(() => emptyPool.close())
  const none = createTransport({ dispatcher: emptyPool, origin: empty, basePath: '', apiToken: undefined, headersTimeoutMs: 5000, bodyTimeoutMs: 5000, readRetries: 0, readRetryDelayMs: 1 })
  t.equal((await none.call({ method: 'GET', path: '/x' })).body.length, 0)
})

t.test('a signal aborted before the call never sends it', async (t) => {
  const { pool, transport } = mocked(t)
  pool.intercept({ path: '/v1.0/healthz', method: 'GET' }).reply(204, '')
  const ac = new AbortController()
  ac.abort()
  await t.rejects(transport.call({ method: 'GET', path: '/v1.0/healthz', signal: ac.signal }), SidecarAbortError)
  t.equal((await transport.call({ method: 'GET', path: '/v1.0/healthz' })).statusCode, 204, 'the interceptor was left unused')
})

t.test('a signal aborted while the request is being dispatched stops it at connect', async (t) => {
  const ac = new AbortController()
  // A dispatcher that sees the abort land between dispatch() and onConnect.
  const racing = {
    dispatch (_opts: unknown, handler: { onConnect: (abort: (err: Error) => void) => void, onError: (err: Error) => void }) {
      ac.abort()
      handler.onConnect((err) => handler.onError(err))
      return true
    }
  } as unknown as import('undici').Dispatcher
  const transport = createTransport({ dispatcher: racing, origin: ORIGIN, basePath: '', apiToken: undefined, headersTimeoutMs: 1000, bodyTimeoutMs: 1000, readRetries: 0, readRetryDelayMs: 1 })
  await t.rejects(transport.call({ method: 'GET', path: '/v1.0/healthz', signal: ac.signal }), SidecarAbortError)
})
