// createSidecarClient: endpoint resolution, option checks, lifecycle calls (cases 20-22, 59-64).
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import {
  SidecarAbortError,
  SidecarAuthError,
  SidecarOptionError,
  SidecarTimeoutError,
  createSidecarClient
} from '../../src/sidecar/index.js'
import { JSON_TYPE, daprError, mockSidecar } from '../helpers/mock-sidecar.js'

t.test('the endpoint comes from options, then DAPR_HTTP_ENDPOINT, then DAPR_HTTP_PORT, then 3500', async (t) => {
  const cases: Array<[Parameters<typeof createSidecarClient>[0], string]> = [
    [{ endpoint: 'http://sidecar:3600/', env: { DAPR_HTTP_ENDPOINT: 'http://other:1' } }, 'http://sidecar:3600'],
    [{ env: { DAPR_HTTP_ENDPOINT: 'https://dapr.example:443/base/', DAPR_HTTP_PORT: '1' } }, 'https://dapr.example/base'],
    [{ env: { DAPR_HTTP_ENDPOINT: '', DAPR_HTTP_PORT: '3601' } }, 'http://127.0.0.1:3601'],
    [{ env: {} }, 'http://127.0.0.1:3500']
  ]
  for (const [options, expected] of cases) {
    const client = createSidecarClient(options)
    t.equal(client.endpoint, expected)
    await client.close()
  }
  const fromProcess = createSidecarClient()
  t.match(fromProcess.endpoint, /^http/)
  await fromProcess.close()
  // Both given: the environment is not read, so a broken variable there cannot matter.
  const explicit = createSidecarClient({ endpoint: 'http://h:1', apiToken: 't', env: { DAPR_HTTP_PORT: 'broken' } })
  t.equal(explicit.endpoint, 'http://h:1')
  await explicit.close()
})

t.test('the environment is read through the shared DaprEnvSchema: the services check the same rules', async (t) => {
  const { DaprEnvSchema, parseEnv, daprEndpoint } = await import('../../src/shared/config.js')
  for (const env of [{}, { DAPR_HTTP_PORT: '3601' }, { DAPR_HTTP_ENDPOINT: 'https://dapr.example/base' }]) {
    const client = createSidecarClient({ env })
    t.equal(client.endpoint, daprEndpoint(parseEnv(DaprEnvSchema, env)).replace(/\/+$/, ''), JSON.stringify(env))
    await client.close()
  }
})

t.test('bad options fail at construction with a message that says what to fix', async (t) => {
  const bad: Array<[Parameters<typeof createSidecarClient>[0], RegExp]> = [
    [{ endpoint: 'localhost:3500', env: {} }, /endpoint must be an http\(s\) URL/],
    [{ endpoint: 'not a url', env: {} }, /endpoint must be an http\(s\) URL/],
    [{ env: { DAPR_HTTP_ENDPOINT: 'ftp://x' } }, /DAPR_HTTP_ENDPOINT: must be an http\(s\) URL/],
    [{ env: { DAPR_HTTP_ENDPOINT: 'http://u:p@h:1' } }, /DAPR_HTTP_ENDPOINT: .*without query, fragment or credentials/],
    [{ env: { DAPR_HTTP_ENDPOINT: 'http://[::1' } }, /^DAPR_HTTP_ENDPOINT must be an http\(s\) URL/],
    [{ endpoint: 'http://h:1', env: { DAPR_API_TOKEN: 'a\rb' } }, /^DAPR_API_TOKEN: must be one line \(value not shown\)$/],
    [{ env: { DAPR_HTTP_PORT: 'abc', DAPR_HTTP_ENDPOINT: 'x' } }, /^DAPR_HTTP_ENDPOINT: .*; DAPR_HTTP_PORT: must be a port number/],
    [{ endpoint: 'http://u:p@h:1', env: {} }, /must not carry a query, fragment or credentials/],
    [{ endpoint: 'http://h:1/?a=1', env: {} }, /must not carry/],
    [{ env: { DAPR_HTTP_PORT: 'abc' } }, /DAPR_HTTP_PORT: must be a port number \(1-65535\) \(got "abc"\)/],
    [{ env: { DAPR_HTTP_PORT: '70000' } }, /DAPR_HTTP_PORT: must be a port number/],
    [{ env: { DAPR_HTTP_PORT: '0' } }, /DAPR_HTTP_PORT: must be a port number/],
    [{ env: { DAPR_HTTP_PORT: '3500.5' } }, /DAPR_HTTP_PORT: must be a port number/],
    [{ env: {}, timeouts: { connectMs: 0 } }, /timeouts.connectMs must be a positive integer/],
    [{ env: {}, timeouts: { headersMs: 1.5 } }, /timeouts.headersMs/],
    [{ env: {}, timeouts: { bodyMs: -1 } }, /timeouts.bodyMs/],
    [{ env: {}, connections: 0 }, /connections/],
    [{ env: {}, readRetries: -1 }, /readRetries must be an integer >= 0/],
    [{ env: {}, readRetries: 0.5 }, /readRetries/],
    [{ env: {}, apiToken: 'a\nb' }, /apiToken must not contain line breaks/]
  ]
  for (const [options, message] of bad) t.throws(() => createSidecarClient(options), { code: 'SIDECAR_ERR_INVALID_OPTION', message }, String(message))
})

t.test('DAPR_API_TOKEN from the environment is sent as dapr-api-token (case 21)', async (t) => {
  const { pool, client } = mockSidecar(t, { env: { DAPR_API_TOKEN: 'tok' } })
  let token: unknown
  pool.intercept({ path: '/v1.0/metadata', method: 'GET' }).reply((req) => {
    token = (req.headers as Record<string, string>)['dapr-api-token']
    return { statusCode: 200, data: '{"id":"A"}\n' }
  })
  t.same(await client.metadata(), { id: 'A' })
  t.equal(token, 'tok')
})

t.test('metadata is checked against its schema (case 62)', async (t) => {
  const { pool, client } = mockSidecar(t)
  const body = {
    id: 'A',
    runtimeVersion: '1.18.3',
    extended: { daprRuntimeVersion: '1.18.3' },
    components: [{ name: 'statestore', type: 'state.redis', version: 'v1', capabilities: ['ETAG', 'TRANSACTIONAL', 'TTL', 'KEYS_LIKE', 'ACTOR'] }],
    appConnectionProperties: { port: 3000, protocol: 'http', channelAddress: '127.0.0.1' },
    actorRuntime: { runtimeStatus: 'DISABLED', hostReady: false },
    somethingNew: true
  }
  pool.intercept({ path: '/v1.0/metadata', method: 'GET' }).reply(200, JSON.stringify(body) + '\n', { headers: JSON_TYPE })
  t.same(await client.metadata(), body)
  pool.intercept({ path: '/v1.0/metadata', method: 'GET' }).reply(200, '{"id":5}')
  await t.rejects(client.metadata(), { code: 'SIDECAR_ERR_INVALID_RESPONSE', message: /documented shape/ })
  pool.intercept({ path: '/v1.0/metadata', method: 'GET' }).reply(401, 'invalid api token\n')
  await t.rejects(client.metadata(), SidecarAuthError)
})

t.test('healthz and healthzOutbound resolve on 204 and throw daprd\'s error otherwise (cases 59-61)', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/healthz', method: 'GET' }).reply(204, '')
  await client.healthz()
  pool.intercept({ path: '/v1.0/healthz', method: 'GET' })
    .reply(500, daprError('ERR_HEALTH_NOT_READY', 'dapr is not ready: [runtime]'), { headers: JSON_TYPE })
  await t.rejects(client.healthz(), { code: 'SIDECAR_ERR_HTTP', statusCode: 500, errorCode: 'ERR_HEALTH_NOT_READY' })
  pool.intercept({ path: '/v1.0/healthz/outbound', method: 'GET' }).reply(204, '')
  await client.healthzOutbound()
  pool.intercept({ path: '/v1.0/healthz/outbound', method: 'GET' })
    .reply(500, daprError('ERR_OUTBOUND_HEALTH_NOT_READY', 'dapr outbound is not ready'), { headers: JSON_TYPE })
  await t.rejects(client.healthzOutbound(), { code: 'SIDECAR_ERR_HTTP', errorCode: 'ERR_OUTBOUND_HEALTH_NOT_READY' })
})

t.test('shutdown posts to /v1.0/shutdown (case 64)', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/shutdown', method: 'POST' }).reply(204, '')
  await client.shutdown()
  pool.intercept({ path: '/v1.0/shutdown', method: 'POST' }).reply(404, daprError('ERR_DIRECT_INVOKE', 'x'))
  await t.rejects(client.shutdown(), { code: 'SIDECAR_ERR_HTTP', statusCode: 404 })
})

t.test('publish encodes the topic and picks the content type from the data (case 67)', async (t) => {
  const { pool, client } = mockSidecar(t)
  const seen: Array<{ path: string, type: string, body: string }> = []
  const capture = (req: { path: string, headers?: unknown, body?: unknown }) => {
    seen.push({ path: req.path, type: (req.headers as Record<string, string>)['content-type'] as string, body: String(req.body) })
    return { statusCode: 204, data: '' }
  }
  pool.intercept({ path: (p) => p.startsWith('/v1.0/publish/'), method: 'POST' }).reply(capture).times(4)
  await client.publish('pubsub', 'orders/eu', { id: 1 }, { metadata: { rawPayload: true } })
  await client.publish('pubsub', 'orders', 'text')
  await client.publish('pubsub', 'orders', Buffer.from('b'))
  await client.publish('pub sub', 'orders', undefined, { contentType: 'application/cloudevents+json' })
  t.same(seen, [
    { path: '/v1.0/publish/pubsub/orders/eu?metadata.rawPayload=true', type: 'application/json', body: '{"id":1}' },
    { path: '/v1.0/publish/pubsub/orders', type: 'text/plain; charset=utf-8', body: 'text' },
    { path: '/v1.0/publish/pubsub/orders', type: 'application/octet-stream', body: 'b' },
    { path: '/v1.0/publish/pub%20sub/orders', type: 'application/cloudevents+json', body: 'null' }
  ])
  pool.intercept({ path: '/v1.0/publish/nope/orders', method: 'POST' })
    .reply(404, daprError('ERR_PUBSUB_NOT_FOUND', 'pubsub nope is not found'), { headers: JSON_TYPE })
  await t.rejects(client.publish('nope', 'orders', {}), { code: 'SIDECAR_ERR_HTTP', statusCode: 404, errorCode: 'ERR_PUBSUB_NOT_FOUND' })
  await t.rejects(client.publish('', 'orders', {}), SidecarOptionError)
  await t.rejects(client.publish('p', '', {}), { message: /topic must be a non-empty string/ })
})

t.test('waitForSidecar polls until the outbound health answers', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/healthz/outbound', method: 'GET' })
    .reply(500, daprError('ERR_OUTBOUND_HEALTH_NOT_READY', 'dapr outbound is not ready')).times(2)
  pool.intercept({ path: '/v1.0/healthz/outbound', method: 'GET' }).reply(204, '')
  await client.waitForSidecar({ timeoutMs: 10_000 })
  t.pass('ready after two refusals')
})

t.test('waitForSidecar gives up after its timeout with the last reason', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/healthz/outbound', method: 'GET' })
    .reply(500, daprError('ERR_OUTBOUND_HEALTH_NOT_READY', 'dapr outbound is not ready')).persist()
  const err = await client.waitForSidecar({ timeoutMs: 120 }).catch((e: unknown) => e)
  t.ok(err instanceof SidecarTimeoutError)
  t.match(err, { message: /not ready within 120 ms \(last: .*ERR_OUTBOUND_HEALTH_NOT_READY/ })
  await t.rejects(client.waitForSidecar({ timeoutMs: 0 }), SidecarOptionError)
})

t.test('waitForSidecar stops at once on a wrong token or an abort', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/healthz/outbound', method: 'GET' }).reply(401, 'invalid api token\n')
  await t.rejects(client.waitForSidecar({ timeoutMs: 10_000 }), SidecarAuthError)

  const ac = new AbortController()
  ac.abort()
  await t.rejects(client.waitForSidecar({ signal: ac.signal }), SidecarAbortError)

  pool.intercept({ path: '/v1.0/healthz/outbound', method: 'GET' })
    .reply(500, daprError('ERR_OUTBOUND_HEALTH_NOT_READY', 'not ready')).persist()
  const ac2 = new AbortController()
  const pending = client.waitForSidecar({ timeoutMs: 10_000, signal: ac2.signal })
  setTimeout(() => ac2.abort(), 30)
  await t.rejects(pending, SidecarAbortError)
})

t.test('waitForSidecar keeps polling through transport failures', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/healthz/outbound', method: 'GET' }).replyWithError(new Error('connect ECONNREFUSED')).persist()
  await t.rejects(client.waitForSidecar({ timeoutMs: 50 }), { code: 'SIDECAR_ERR_TIMEOUT', message: /ECONNREFUSED/ })
})

t.test('the client\'s own pool reaches a real server and close() waits for it', async (t) => {
  const server = createServer((req, res) => {
    if (req.url === '/v1.0/healthz/outbound') {
      res.statusCode = 204
      res.end()
    } else {
      res.statusCode = 404
      res.end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const port = (server.address() as AddressInfo).port
  const client = createSidecarClient({ env: { DAPR_HTTP_PORT: String(port) } })
  await client.waitForSidecar({ timeoutMs: 5000 })
  await client.close()
  t.pass('closed')
})
