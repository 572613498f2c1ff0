// Service invocation against a mocked daprd. Case numbers refer to dapr-http-api.md §10.
import t from 'tap'
import { SidecarAuthError, SidecarInvokeError, SidecarOptionError } from '../../src/sidecar/index.js'
import { JSON_TYPE, daprError, mockSidecar } from '../helpers/mock-sidecar.js'

t.test('GET by default; the app answer comes back unchanged (case 1)', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/invoke/B/method/foo', method: 'GET' }).reply(200, 'GET', { headers: { 'x-method': 'GET' } })
  const res = await client.invoke('B', 'foo')
  t.equal(res.statusCode, 200)
  t.equal(res.ok, true)
  t.equal(res.text(), 'GET')
  t.equal(res.headers['x-method'], 'GET')
})

t.test('the app\'s error statuses are returned, not thrown, even with a JSON body (case 2, 17)', async (t) => {
  const { pool, client } = mockSidecar(t)
  for (const [method, status] of [['POST', 201], ['PUT', 202], ['DELETE', 409], ['PATCH', 502]] as const) {
    pool.intercept({ path: '/v1.0/invoke/B/method/foo', method }).reply(status, method)
    const res = await client.invoke('B', 'foo', { httpMethod: method })
    t.equal(res.statusCode, status)
    t.equal(res.text(), method)
  }
  pool.intercept({ path: '/v1.0/invoke/B/method/x', method: 'GET' }).reply(404, 'nope', { headers: JSON_TYPE })
  const notFound = await client.invoke('B', 'x')
  t.equal(notFound.statusCode, 404)
  t.equal(notFound.ok, false)
  // An app's own JSON error with another errorCode is the app's answer.
  pool.intercept({ path: '/v1.0/invoke/B/method/x', method: 'GET' }).reply(500, daprError('ORDER_ERR', 'app failed'), { headers: JSON_TYPE })
  t.equal((await client.invoke('B', 'x')).json<{ errorCode: string }>().errorCode, 'ORDER_ERR')
  // And a 401 that is not daprd's token answer.
  pool.intercept({ path: '/v1.0/invoke/B/method/x', method: 'GET' }).reply(401, '{"code":"APP_AUTH"}', { headers: JSON_TYPE })
  t.equal((await client.invoke('B', 'x')).statusCode, 401)
})

t.test('a JSON body is sent as JSON, a string as text, bytes as octet-stream (case 3)', async (t) => {
  const { pool, client } = mockSidecar(t)
  const seen: Array<{ type: string | undefined, body: string }> = []
  const capture = (req: { headers?: unknown, body?: unknown }) => {
    seen.push({ type: (req.headers as Record<string, string>)['content-type'], body: String(req.body) })
    return { statusCode: 200, data: 'ok' }
  }
  pool.intercept({ path: '/v1.0/invoke/nodeapp/method/neworder', method: 'POST' }).reply(capture).times(5)
  await client.invoke('nodeapp', 'neworder', { httpMethod: 'POST', body: { data: { orderId: '42' } } })
  await client.invoke('nodeapp', 'neworder', { httpMethod: 'POST', body: 'plain' })
  await client.invoke('nodeapp', 'neworder', { httpMethod: 'POST', body: Buffer.from('bytes') })
  await client.invoke('nodeapp', 'neworder', { httpMethod: 'POST', body: '<a/>', contentType: 'application/xml' })
  await client.invoke('nodeapp', 'neworder', { httpMethod: 'POST' })
  t.same(seen, [
    { type: 'application/json', body: '{"data":{"orderId":"42"}}' },
    { type: 'text/plain; charset=utf-8', body: 'plain' },
    { type: 'application/octet-stream', body: 'bytes' },
    { type: 'application/xml', body: '<a/>' },
    { type: undefined, body: 'undefined' }
  ])
})

t.test('query strings pass through byte for byte; pairs are encoded with %20 (case 4)', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/invoke/B/method/echo?x=1&y=a%20b', method: 'GET' }).reply(200, 'raw').times(3)
  t.equal((await client.invoke('B', 'echo', { query: 'x=1&y=a%20b' })).text(), 'raw')
  t.equal((await client.invoke('B', 'echo', { query: '?x=1&y=a%20b' })).text(), 'raw')
  t.equal((await client.invoke('B', 'echo', { query: { x: '1', y: 'a b' } })).text(), 'raw')
  pool.intercept({ path: '/v1.0/invoke/B/method/echo?t=1&t=2', method: 'GET' }).reply(200, 'multi')
  t.equal((await client.invoke('B', 'echo', { query: { t: ['1', '2'] } })).text(), 'multi')
  pool.intercept({ path: '/v1.0/invoke/B/method/echo', method: 'GET' }).reply(200, 'none').times(2)
  t.equal((await client.invoke('B', 'echo', { query: '' })).text(), 'none')
  t.equal((await client.invoke('B', 'echo', { query: {} })).text(), 'none')
})

t.test('method segments are encoded, slashes kept (cases 5, 6)', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/invoke/B/method/multiple/segments', method: 'POST' }).reply(200, 'ok')
  t.equal((await client.invoke('B', '/multiple/segments', { httpMethod: 'POST' })).text(), 'ok')
  pool.intercept({ path: '/v1.0/invoke/B/method/a%23b/c%3Fd', method: 'GET' }).reply(200, 'enc')
  t.equal((await client.invoke('B', 'a#b/c?d')).text(), 'enc')
  pool.intercept({ path: '/v1.0/invoke/app.ns/method/x', method: 'GET' }).reply(200, 'ns')
  t.equal((await client.invoke('app.ns', 'x')).text(), 'ns')
})

t.test('daprd\'s own ERR_DIRECT_INVOKE failures throw SidecarInvokeError (cases 7, 9, 12, 13)', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/invoke/nosuchapp/method/x', method: 'GET' })
    .reply(500, daprError('ERR_DIRECT_INVOKE', 'failed to invoke, id: nosuchapp, err: couldn\'t find service: nosuchapp'), { headers: JSON_TYPE })
  const err = await client.invoke('nosuchapp', 'x').catch((e: unknown) => e)
  t.ok(err instanceof SidecarInvokeError)
  t.match(err, { code: 'SIDECAR_ERR_INVOKE', statusCode: 500, errorCode: 'ERR_DIRECT_INVOKE', method: 'GET', path: '/v1.0/invoke/nosuchapp/method/x' })
  pool.intercept({ path: '/v1.0/invoke/B/method/x', method: 'POST' })
    .reply(403, daprError('ERR_DIRECT_INVOKE', 'failed to invoke, id: B, err: access control policy denied'), { headers: JSON_TYPE })
  await t.rejects(client.invoke('B', 'x', { httpMethod: 'POST' }), { code: 'SIDECAR_ERR_INVOKE', statusCode: 403 })
  pool.intercept({ path: '/v1.0/invoke/B/method/x', method: 'GET' })
    .reply(404, daprError('ERR_DIRECT_INVOKE', 'failed getting app id either from the URL path or the header dapr-app-id'), { headers: JSON_TYPE })
  await t.rejects(client.invoke('B', 'x'), { code: 'SIDECAR_ERR_INVOKE', statusCode: 404 })
})

t.test('daprd\'s plain-text 401 is an authentication error (case 20)', async (t) => {
  const { pool, client } = mockSidecar(t, { apiToken: 'wrong' })
  pool.intercept({ path: '/v1.0/invoke/B/method/x', method: 'GET' })
    .reply(401, 'invalid api token\n', { headers: { 'content-type': 'text/plain; charset=utf-8' } })
  const err = await client.invoke('B', 'x').catch((e: unknown) => e)
  t.ok(err instanceof SidecarAuthError)
  t.match(err, { code: 'SIDECAR_ERR_AUTH', statusCode: 401 })
  t.notMatch((err as Error).message, 'wrong', 'the token is never in the message')
})

t.test('headers and trace context are forwarded (case 14)', async (t) => {
  const { pool, client } = mockSidecar(t)
  let headers: Record<string, string> = {}
  pool.intercept({ path: '/v1.0/invoke/B/method/x', method: 'GET' }).reply((req) => {
    headers = req.headers as Record<string, string>
    return { statusCode: 200, data: '' }
  })
  await client.invoke('B', 'x', {
    headers: { foo: 'bar' },
    traceContext: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'k=v' }
  })
  t.equal(headers.foo, 'bar')
  t.equal(headers.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')
  t.equal(headers.tracestate, 'k=v')
})

t.test('json() parses the app body or throws a contract error', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/invoke/B/method/x', method: 'GET' }).reply(200, '{"orderId":"42"}')
  t.same((await client.invoke('B', 'x')).json(), { orderId: '42' })
  pool.intercept({ path: '/v1.0/invoke/B/method/x', method: 'GET' }).reply(200, 'text')
  const res = await client.invoke('B', 'x')
  t.throws(() => res.json(), { code: 'SIDECAR_ERR_INVALID_RESPONSE', message: /200 body is not JSON/ })
})

t.test('bad arguments are rejected before sending', async (t) => {
  const { client } = mockSidecar(t)
  await t.rejects(client.invoke('', 'x'), SidecarOptionError)
  await t.rejects(client.invoke('B', 1 as unknown as string), { message: /method must be a string/ })
  await t.rejects(client.invoke('B', 'x', { httpMethod: 'POST', body: 10n }), { message: /cannot be serialised/ })
  await t.rejects(client.invoke('B', 'x', { httpMethod: 'POST', body: () => 1 }), { message: /cannot be serialised as JSON: function/ })
})
