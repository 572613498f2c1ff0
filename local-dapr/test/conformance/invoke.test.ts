// dapr-http-api.md §10, cases 1-19: service invocation, caller → sidecar A → sidecar B → app B.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { body, forEachTarget, needsVariant } from '../helpers/conformance.js'

const NO_APP_ID = '{"errorCode":"ERR_DIRECT_INVOKE","message":"failed getting app id either from the URL path or the header dapr-app-id"}'

await forEachTarget(t, async (t, target) => {
  const B = target.peerAppId
  const inv = (method: string, rest: string, opts?: Parameters<typeof target.call>[2]) => target.call(method, `/v1.0/invoke/${B}/method/${rest}`, opts)

  t.test('1. GET reaches B and passes its body back', async (t) => {
    const r = await inv('GET', 'foo')
    t.same([r.status, r.body], [200, 'GET'])
    t.equal(target.appB.last('/foo')?.method, 'GET')
  })

  t.test('2. other verbs pass the app status through unwrapped', async (t) => {
    for (const [m, s] of [['POST', 201], ['PUT', 202], ['DELETE', 409], ['PATCH', 502]] as const) {
      const r = await inv(m, 'status')
      t.same([r.status, r.body], [s, m], m)
    }
  })

  t.test('3. body and app headers come back', async (t) => {
    const id = randomUUID()
    const r = await inv('POST', 'echo', { body: id })
    t.same([r.status, r.body, r.headers['x-method']], [200, id, 'POST'])
  })

  t.test('4. raw query passes through byte for byte', async (t) => {
    await inv('GET', 'echo?x=1&y=a%20b')
    t.equal(target.appB.last('/echo')?.url, '/echo?x=1&y=a%20b')
  })

  t.test('5. a method with slashes', async (t) => {
    const r = await inv('POST', 'multiple/segments')
    t.equal(r.status, 200)
    t.equal(target.appB.last('/multiple/segments')?.method, 'POST')
  })

  t.test('6. traversal resolved, escapes decoded', async (t) => {
    t.equal((await inv('GET', 'admin%2F..%2Fpublic')).status, 200)
    t.ok(target.appB.last('/public'))
    await inv('GET', 'test%22stream')
    t.ok(target.appB.requests.some((r) => decodeURIComponent(r.url) === '/test"stream'))
  })

  t.test('7. forbidden characters → 500, B not called', async (t) => {
    for (const esc of ['%23', '%3F', '%00', '%0D', '%25']) {
      const before = target.appB.requests.length
      const r = await inv('GET', `test${esc}stream`)
      t.equal(r.status, 500, esc)
      t.equal(body(r).errorCode, 'ERR_DIRECT_INVOKE')
      t.equal(r.headers['content-type'], 'application/json')
      t.equal(target.appB.requests.length, before)
    }
  })

  t.test('8. dapr-app-id header form, double slashes', async (t) => {
    for (const path of ['/foo', '///foo']) {
      const r = await target.call('GET', path, { headers: { 'dapr-app-id': B } })
      t.same([r.status, r.body], [200, 'GET'], path)
      t.equal(r.headers['dapr-app-id'], undefined)
      t.equal(target.appB.last('/foo')?.headers['dapr-app-id'], undefined)
    }
  })

  t.test('9. no /method/ segment → 404', async (t) => {
    const r = await target.call('POST', `/v1.0/invoke/${B}`)
    t.same([r.status, r.body], [404, NO_APP_ID])
  })

  t.test('10. unknown route → 404', async (t) => {
    const r = await target.call('GET', '/v1.0/nonexistent')
    t.same([r.status, r.body], [404, NO_APP_ID])
  })

  t.test('11. known path, wrong method → 404, never 405', async (t) => {
    for (const [m, p] of [['GET', `/v1.0/state/${target.store}`], ['POST', `/v1.0/state/${target.store}/k`]]) {
      const r = await target.call(m as string, p as string)
      t.same([r.status, body(r).errorCode], [404, 'ERR_DIRECT_INVOKE'], `${m as string} ${p as string}`)
    }
  })

  t.test('12. unknown app id → 500', async (t) => {
    const r = await target.call('GET', '/v1.0/invoke/nosuchapp/method/x')
    t.equal(r.status, 500)
    t.equal(body(r).errorCode, 'ERR_DIRECT_INVOKE')
    if (target.kind === 'local') t.equal(body(r).message, 'failed to invoke, id: nosuchapp, err: couldn\'t find service: nosuchapp')
    else t.match(body(r).message, /^failed to invoke, id: nosuchapp, err: /)
  })

  t.test('13. two dots in the app id → 500 invalid app id', async (t) => {
    const r = await target.call('GET', '/v1.0/invoke/a.b.c/method/x')
    t.same([r.status, r.body], [500, '{"errorCode":"ERR_DIRECT_INVOKE","message":"failed to invoke, id: a.b.c, err: invalid app id a.b.c"}'])
  })

  t.test('14. remote call headers', async (t) => {
    await inv('GET', 'hdrs', { headers: { foo: 'bar' } })
    const h = target.appB.last('/hdrs')?.headers ?? {}
    t.equal(h.foo, 'bar')
    t.equal(h['dapr-caller-app-id'], target.appId)
    t.equal(h['dapr-callee-app-id'], B)
    t.ok(h['dapr-caller-namespace'] !== undefined)
    t.ok(h['x-forwarded-for'] && h['x-forwarded-host'] && h.forwarded)
    t.equal(h['dapr-app-id'], undefined)
  })

  t.test('15. hop-by-hop headers are stripped both ways', async (t) => {
    const r = await inv('GET', 'hop', { headers: { connection: 'X-Custom', 'x-custom': '1', 'keep-alive': 'timeout=5', te: 'trailers', trailer: 'x-t', 'transfer-encoding': 'chunked', 'proxy-authorization': 'Basic eA==' }, body: 'x' })
    const h = target.appB.last('/hop')?.headers ?? {}
    for (const name of ['x-custom', 'keep-alive', 'te', 'trailer', 'proxy-authorization']) t.equal(h[name], undefined, `request ${name}`)
    t.equal(r.headers['x-custom'], undefined)
    t.equal(r.headers['keep-alive'], undefined)
    t.equal(r.headers['x-custom-response'], 'yes')
  })

  t.test('16. APP_API_TOKEN: the callee\'s, never the caller\'s', async (t) => {
    await inv('GET', 'token')
    t.equal(target.appB.last('/token')?.headers['dapr-api-token'], target.peerAppApiToken)
    if (!needsVariant(t, target)) return
    const callee = await target.variant({ appPort: target.appB.port, appApiToken: 'def', stores: 'none' })
    await target.call('GET', `/v1.0/invoke/${callee.appId}/method/token2`)
    t.equal(target.appB.last('/token2')?.headers['dapr-api-token'], 'def')
  })

  t.test('17. error status with no content-type gets application/json', async (t) => {
    const r = await inv('GET', 'nope')
    t.same([r.status, r.body, r.headers['content-type'], r.headers['content-length']], [404, 'nope', 'application/json', '4'])
  })

  t.test('18. redirects are not followed', async (t) => {
    const r = await inv('GET', 'redirect')
    t.same([r.status, r.headers.location], [301, '/x'])
  })

  t.test('19. self-invocation identity headers', async (t) => {
    if (!target.appA) {
      t.pass('skipped', { skip: 'daprd A has no app (set DAPR_CONFORMANCE_SELF_APP_PORT)' })
      return
    }
    await target.call('GET', `/v1.0/invoke/${target.appId}/method/helloworld`, { headers: { 'dapr-caller-app-id': 'evil' } })
    const h = target.appA.last('/helloworld')?.headers ?? {}
    const [maj, min, patch] = target.runtimeVersion.split(/[.-]/).map(Number) as [number, number, number]
    const master = target.runtimeVersion === 'edge' || maj > 1 || (maj === 1 && (min > 18 || (min === 18 && patch > 3)))
    if (master) {
      t.equal(h['dapr-caller-app-id'], target.appId)
      t.equal(h['dapr-callee-app-id'], target.appId)
    } else {
      // v1.18.3 (what the local sidecar reproduces): no identity headers on self-invocation.
      t.equal(h['dapr-caller-app-id'], 'evil')
      t.equal(h['dapr-callee-app-id'], undefined)
    }
  })
})
