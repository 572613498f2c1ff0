// dapr-http-api.md §10, cases 20-23 (API token) and 59-66 (health, metadata, shutdown,
// app health checks), plus publish without a pub/sub component.
import t from 'tap'
import { body, eventually, forEachTarget, needsVariant, unusedPort, type Target } from '../helpers/conformance.js'
import { call } from '../helpers/http-call.js'
import { startTestApp } from '../helpers/test-app.js'

/** A sidecar whose DAPR_API_TOKEN is known: a local variant, or daprd A when its token is given. */
async function tokenSidecar (t: Parameters<Parameters<typeof forEachTarget>[1]>[0], target: Target): Promise<{ url: string, token: string } | undefined> {
  if (target.variant) return { url: (await target.variant({ apiToken: 't' })).url, token: 't' }
  if (target.apiToken) return { url: (process.env.DAPR_CONFORMANCE_HTTP_ENDPOINT as string), token: target.apiToken }
  t.pass('skipped', { skip: 'daprd A has no DAPR_API_TOKEN (set DAPR_CONFORMANCE_API_TOKEN)' })
  return undefined
}

await forEachTarget(t, async (t, target) => {
  t.test('20-22. API token', async (t) => {
    const s = await tokenSidecar(t, target)
    if (!s) return
    for (const headers of [{}, { 'dapr-api-token': 'wrong' }] as Array<Record<string, string>>) {
      const r = await call(s.url, 'GET', '/v1.0/metadata', { headers })
      t.same([r.status, r.headers['content-type'], r.body], [401, 'text/plain; charset=utf-8', 'invalid api token\n'])
    }
    t.equal((await call(s.url, 'GET', '/v1.0/metadata', { headers: { 'dapr-api-token': s.token } })).status, 200)
    t.equal((await call(s.url, 'GET', '/v1.0/healthz')).status, 204)
    t.equal((await call(s.url, 'GET', '/v1.0/healthz/outbound')).status, 204)
    t.equal((await call(s.url, 'POST', '/v1.0/healthz')).status, 401)
  })

  t.test('23. the caller\'s API token never reaches the target app', async (t) => {
    const s = await tokenSidecar(t, target)
    if (!s) return
    const r = await call(s.url, 'POST', `/v1.0/invoke/${target.peerAppId}/method/tok`, { headers: { 'dapr-api-token': s.token }, body: 'x' })
    t.equal(r.status, 200)
    t.equal(target.appB.last('/tok')?.headers['dapr-api-token'], target.peerAppApiToken)
  })

  t.test('59. healthz', async (t) => {
    t.equal((await target.call('GET', '/v1.0/healthz')).status, 204)
    if (!needsVariant(t, target)) return
    const v = await target.variant({ appPort: await unusedPort() })
    const r = await call(v.url, 'GET', '/v1.0/healthz')
    t.equal(r.status, 500)
    t.equal(body(r).errorCode, 'ERR_HEALTH_NOT_READY')
    t.match(body(r).message, /^dapr is not ready: \[/)
    t.equal((await call(v.url, 'GET', '/v1.0/healthz/outbound')).status, 204, '61: outbound is ready before the app')
  })

  t.test('60. healthz?appid', async (t) => {
    const r = await target.call('GET', '/v1.0/healthz?appid=other')
    t.same([r.status, r.body], [500, '{"errorCode":"ERR_HEALTH_APPID_NOT_MATCH","message":"dapr app-id does not match"}'])
    t.equal((await target.call('GET', `/v1.0/healthz?appid=${target.appId}`)).status, 204)
  })

  t.test('61. healthz/outbound', async (t) => {
    const r = await target.call('GET', '/v1.0/healthz/outbound')
    t.same([r.status, r.body], [204, ''])
  })

  t.test('62. metadata', async (t) => {
    const r = await target.call('GET', '/v1.0/metadata')
    t.same([r.status, r.headers['content-type']], [200, 'application/json'])
    t.ok(r.body.endsWith('\n'))
    const m = body(r)
    t.equal(m.id, target.appId)
    t.match(m.runtimeVersion, /^(edge|\d+\.\d+\.\d+(-rc\.\d+)?)$/)
    t.ok(m.extended.daprRuntimeVersion)
    const store = (m.components as any[]).find((c) => c.name === target.store)
    t.match(store, { type: `state.${target.storeKind}`, version: 'v1' })
    t.ok(store.capabilities.includes('ETAG') && store.capabilities.includes('TRANSACTIONAL') && store.capabilities.includes('ACTOR'))
    t.match(m.appConnectionProperties, { protocol: 'http', channelAddress: '127.0.0.1' })
    if (target.appA) t.equal(m.appConnectionProperties.port, target.appA.port)
    t.type(m.actorRuntime.runtimeStatus, 'string')
    t.type(m.actorRuntime.hostReady, 'boolean')
  })

  t.test('63. PUT metadata/{key}', async (t) => {
    t.equal((await target.call('PUT', '/v1.0/metadata/foo', { body: 'bar' })).status, 204)
    t.equal(body(await target.call('GET', '/v1.0/metadata')).extended.foo, 'bar')
  })

  t.test('64. shutdown', async (t) => {
    const r = await target.call('GET', '/v1.0/shutdown')
    t.same([r.status, body(r).errorCode], [404, 'ERR_DIRECT_INVOKE'])
    if (!needsVariant(t, target)) return
    let notified: { force: boolean } | undefined
    const v = await target.variant({ onShutdown: (info) => { notified = info } })
    const s = await call(v.url, 'POST', '/v1.0/shutdown')
    t.same([s.status, s.body], [204, ''])
    t.ok(await eventually(async () => notified !== undefined), 'closed gracefully')
    t.same(notified, { force: false })
    await t.rejects(call(v.url, 'GET', '/v1.0/healthz'), 'no longer listening')
  })

  t.test('65. app health checks', async (t) => {
    if (!needsVariant(t, target)) return
    const app = await startTestApp()
    t.teardown(() => app.close())
    const v = await target.variant({ appPort: app.port, appApiToken: 'secret', appHealth: { path: '/healthz', intervalMs: 100, timeoutMs: 500, threshold: 3 } })
    const inv = () => call(v.url, 'POST', `/v1.0/invoke/${v.appId}/method/x`)
    t.ok(await eventually(async () => (await inv()).status === 200), 'healthy app is invoked')
    app.setHealthy(false)
    t.ok(await eventually(async () => (await inv()).status === 500), 'unhealthy app is refused')
    const r = await inv()
    t.same(body(r), { errorCode: 'ERR_DIRECT_INVOKE', message: `failed to invoke, id: ${v.appId}, err: app is not in a healthy state` })
    const probes = app.requests.filter((q) => q.url === '/healthz')
    t.ok(probes.length >= 3)
    t.ok(probes.every((q) => q.method === 'GET' && q.headers['dapr-api-token'] === undefined), 'probes carry no token')
    app.setHealthy(true)
    t.ok(await eventually(async () => (await inv()).status === 200), 'recovers')
    const m = body(await call(v.url, 'GET', '/v1.0/metadata'))
    t.match(m.appConnectionProperties.health, { healthCheckPath: '/healthz', healthThreshold: 3 })
  })

  t.test('66. OPTIONS /v1.0/metadata falls back to invocation → 404', async (t) => {
    const r = await target.call('OPTIONS', '/v1.0/metadata')
    t.same([r.status, body(r).errorCode], [404, 'ERR_DIRECT_INVOKE'])
    const s = target.variant ? { url: (await target.variant({ apiToken: 't' })).url, token: 't' } : undefined
    if (s) t.equal((await call(s.url, 'OPTIONS', '/v1.0/metadata', { headers: { 'dapr-api-token': s.token } })).status, 404)
  })

  t.test('publish with no pub/sub component → 404 ERR_PUBSUB_NOT_FOUND (as daprd for an unknown pubsub)', async (t) => {
    const r = await target.call('POST', '/v1.0/publish/nope/orders', { body: '{"id":1}', headers: { 'content-type': 'application/json' } })
    t.equal(r.status, 404)
    t.match(body(r), { errorCode: 'ERR_PUBSUB_NOT_FOUND', message: 'pubsub nope is not found' })
    t.equal(body(r).details[0].reason, 'DAPR_PUBSUB_NOT_FOUND')
  })
})
