import t from 'tap'
import { startApi } from '../../helpers/api-server.js'
import { call, json } from '../../helpers/http-call.js'

t.test('healthz and outbound', async (t) => {
  let unready = ['runtime']
  let outbound = false
  const api = await startApi(t, { runtime: { unreadyTargets: () => unready, outboundReady: async () => outbound } })
  let r = await call(api.url, 'GET', '/v1.0/healthz')
  t.same([r.status, r.body], [500, '{"errorCode":"ERR_HEALTH_NOT_READY","message":"dapr is not ready: [runtime]"}'])
  r = await call(api.url, 'GET', '/v1.0/healthz/outbound')
  t.same([r.status, r.body], [500, '{"errorCode":"ERR_OUTBOUND_HEALTH_NOT_READY","message":"dapr outbound is not ready"}'])
  unready = []
  outbound = true
  t.equal((await call(api.url, 'GET', '/v1.0/healthz?appid=A')).status, 204)
  t.equal((await call(api.url, 'GET', '/v1.0/healthz?appid=')).status, 204)
  t.equal(json(await call(api.url, 'GET', '/v1.0/healthz?appid=B')).errorCode, 'ERR_HEALTH_APPID_NOT_MATCH')
  t.equal((await call(api.url, 'GET', '/v1.0/healthz/outbound')).status, 204)
})

t.test('metadata, extended keys, shutdown, publish', async (t) => {
  const api = await startApi(t)
  const m = await call(api.url, 'GET', '/v1.0/metadata')
  t.same([m.status, m.body], [200, '{"id":"A","extended":{}}\n'])
  t.equal((await call(api.url, 'PUT', '/v1.0/metadata/foo', { body: 'bar' })).status, 204)
  t.equal((await call(api.url, 'PUT', '/v1.0/metadata/%20', { body: 'x' })).status, 204)
  t.same(api.extended, { foo: 'bar', ' ': 'x' })
  t.equal((await call(api.url, 'POST', '/v1.0/shutdown')).status, 204)
  t.equal((await call(api.url, 'POST', '/v1.0/shutdown', { headers: { 'dapr-force-shutdown': 'true' } })).status, 204)
  t.same(api.shutdowns, [false, true])
  for (const p of ['/v1.0/publish/nope/orders/a/b', '/v1.0-alpha1/publish/bulk/nope/t']) {
    const r = await call(api.url, 'POST', p, { body: '{}' })
    t.same([r.status, json(r).errorCode, json(r).message], [404, 'ERR_PUBSUB_NOT_FOUND', 'pubsub nope is not found'])
  }
  t.equal((await call(api.url, 'POST', '/v1.0/publish/nope')).status, 299, 'empty topic falls back')
})
