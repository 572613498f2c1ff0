import t from 'tap'
import { connect } from 'node:net'
import { startApi } from '../../helpers/api-server.js'
import { call, json } from '../../helpers/http-call.js'
import { matchRoute, splitTarget } from '../../../src/sidecar/http/server.js'

t.test('splitTarget handles origin and absolute form', async (t) => {
  t.same(splitTarget('/a?b=1'), { rawPath: '/a', rawQuery: 'b=1' })
  t.same(splitTarget('http://h:1/x/y'), { rawPath: '/x/y', rawQuery: '' })
  t.same(splitTarget('http://h:1?q'), { rawPath: '/', rawQuery: 'q' })
})

t.test('matchRoute', async (t) => {
  t.same(matchRoute(['a', ':p', '*'], ['a', 'b', 'c', 'd']), ['b', 'c/d'])
  t.equal(matchRoute(['a', ':p', '*'], ['a', 'b']), undefined)
  t.equal(matchRoute(['a', 'b'], ['a']), undefined)
  t.equal(matchRoute(['a'], ['a', 'b']), undefined)
  t.equal(matchRoute(['a'], ['x']), undefined)
})

t.test('routing falls back to invoke; paths are cleaned', async (t) => {
  const api = await startApi(t)
  for (const [m, p] of [['GET', '/v1.0/nonexistent'], ['GET', '/v1.0/shutdown'], ['POST', '/v1.0/state/s/k'], ['PATCH', '/v1.0/metadata']]) {
    const r = await call(api.url, m as string, p as string)
    t.same([r.status, r.body], [299, `invoke ${m as string} ${p as string}`])
  }
  t.equal((await call(api.url, 'GET', '//v1.0//healthz/')).status, 204)
  t.equal((await call(api.url, 'GET', '/v1.0/healthz/../healthz')).status, 204)
  const bad = await call(api.url, 'GET', '/v1.0/%zz')
  t.same([bad.status, bad.body, bad.headers['content-type']], [400, '400 Bad Request', 'text/plain; charset=utf-8'])
})

t.test('absolute-form request target', async (t) => {
  const api = await startApi(t)
  const port = new URL(api.url).port
  const raw = await new Promise<string>((resolve) => {
    const s = connect(Number(port), '127.0.0.1', () => s.end(`GET http://127.0.0.1:${port}/v1.0/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`))
    let out = ''
    s.on('data', (c) => { out += c.toString() })
    s.on('end', () => resolve(out))
  })
  t.match(raw, /^HTTP\/1.1 204/)
})

t.test('API token', async (t) => {
  const api = await startApi(t, { apiToken: 't', apiLogging: true })
  const r = await call(api.url, 'GET', '/v1.0/metadata')
  t.same([r.status, r.body, r.headers['content-type'], r.headers['x-content-type-options']], [401, 'invalid api token\n', 'text/plain; charset=utf-8', 'nosniff'])
  t.equal((await call(api.url, 'GET', '/v1.0/metadata', { headers: { 'dapr-api-token': ['t', 't'] } })).status, 401)
  t.equal((await call(api.url, 'GET', '/v1.0/metadata', { headers: { 'dapr-api-token': 't' } })).status, 200)
  t.equal((await call(api.url, 'GET', '/v1.0/healthz/')).status, 204)
  t.equal((await call(api.url, 'GET', '/v1.0/healthz/outbound')).status, 204)
  t.equal((await call(api.url, 'POST', '/v1.0/healthz')).status, 401)
})

t.test('the token is removed before the handler sees the request', async (t) => {
  let seen: unknown = 'unset'
  const api = await startApi(t, { apiToken: 't', invoke: async (ctx) => { seen = ctx.req.headers['dapr-api-token']; ctx.res.end() } })
  await call(api.url, 'POST', '/v1.0/invoke/b/method/x', { headers: { 'dapr-api-token': 't' } })
  t.equal(seen, undefined)
})

t.test('unexpected handler errors', async (t) => {
  const early = await startApi(t, { invoke: async () => { throw new Error('kaboom') } })
  const r = await call(early.url, 'GET', '/x')
  t.same([r.status, json(r)], [500, { errorCode: 'ERROR', message: 'kaboom' }])
  const late = await startApi(t, { invoke: async (ctx) => { ctx.res.writeHead(200); ctx.res.write('partial'); throw new Error('mid-stream') } })
  await t.rejects(call(late.url, 'GET', '/x'))
  const big = await startApi(t)
  const b = await call(big.url, 'PUT', '/v1.0/metadata/k', { body: Buffer.alloc((4 << 20) + 1) })
  t.same([b.status, json(b).message], [400, 'stream too large'])
})

async function rawConnect (url: string, target: string, headers = ''): Promise<string> {
  const port = Number(new URL(url).port)
  return await new Promise<string>((resolve) => {
    const s = connect(port, '127.0.0.1', () => s.write(`CONNECT ${target} HTTP/1.1\r\nHost: x\r\n${headers}\r\n`))
    let out = ''
    s.on('data', (c) => { out += c.toString() })
    s.on('end', () => resolve(out))
  })
}

t.test('CONNECT is refused like daprd', async (t) => {
  const api = await startApi(t)
  t.match(await rawConnect(api.url, '/v1.0/invoke/B/method/x'), /^HTTP\/1.1 500 Internal Server Error\r\n[^]*\r\n\r\n\{"errorCode":"ERR_DIRECT_INVOKE","message":"failed to invoke, id: B, err: invalid HTTP verb"\}$/)
  t.match(await rawConnect(api.url, 'example.com:443'), /^HTTP\/1.1 404 Not Found[^]*failed getting app id/)
  t.match(await rawConnect(api.url, '/%zz'), /^HTTP\/1.1 404/)
  const secured = await startApi(t, { apiToken: 't' })
  t.match(await rawConnect(secured.url, '/v1.0/invoke/B/method/x'), /^HTTP\/1.1 401[^]*invalid api token\n$/)
  t.match(await rawConnect(secured.url, '/v1.0/invoke/B/method/x', 'dapr-api-token: t\r\n'), /^HTTP\/1.1 500/)
})
