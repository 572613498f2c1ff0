import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { capabilities, DEFAULT_HTTP_PORT, defaultLogger, RUNTIME_VERSION, startSidecar } from '../../src/sidecar/sidecar.js'
import { eventually, unusedPort } from '../helpers/conformance.js'
import { fakeStore } from '../helpers/fake-store.js'
import { call, json } from '../helpers/http-call.js'
import { startTestApp } from '../helpers/test-app.js'

const logger = pino({ level: 'silent' })

async function registryDir (t: { teardown (fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sidecar-test-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

t.test('constants and helpers', async (t) => {
  t.equal(DEFAULT_HTTP_PORT, 3500)
  t.equal(RUNTIME_VERSION, '1.18.3')
  t.same(capabilities(['ETAG', 'TRANSACTIONAL', 'TTL']), ['ETAG', 'TRANSACTIONAL', 'TTL', 'ACTOR'])
  t.same(capabilities(['ETAG']), ['ETAG'])
  t.equal(typeof defaultLogger('x').info, 'function')
})

t.test('loads the project components and configuration', async (t) => {
  const dir = await registryDir(t)
  const sc = await startSidecar({ appId: 'nodeapp', httpPort: 0, resourcesPaths: ['components/common', 'components/local'], configPath: 'local-dapr/test/sidecar/fixtures/config-features.yaml', registryDir: dir, logger })
  t.teardown(() => sc.close())
  t.equal((await call(sc.url, 'PUT', '/v1.0/metadata/cliPID', { body: '42' })).status, 204)
  const m = json(await call(sc.url, 'GET', '/v1.0/metadata'))
  t.equal(m.id, 'nodeapp')
  t.same(m.components, [{ name: 'statestore', type: 'state.in-memory', version: 'v1', capabilities: ['ETAG', 'TRANSACTIONAL', 'TTL', 'DELETE_WITH_PREFIX', 'KEYS_LIKE', 'ACTOR'] }])
  t.same(m.resiliencies, [{ name: 'resiliency' }])
  t.same(m.enabledFeatures, ['Foo'])
  t.same(m.extended, { cliPID: '42', daprRuntimeVersion: '1.18.3', localSidecar: 'orders-on-dapr' })
  t.same(m.appConnectionProperties, { protocol: 'http', channelAddress: '127.0.0.1' })
  t.equal((await call(sc.url, 'GET', '/v1.0/healthz')).status, 204)
  t.equal((await call(sc.url, 'POST', '/v1.0/state/statestore', { body: '[{"key":"k","value":1}]' })).status, 204)
})

t.test('resiliencies given with stores apply and are listed', async (t) => {
  const store = fakeStore('S')
  const sc = await startSidecar({
    appId: 'r',
    httpPort: 0,
    resourcesPaths: [],
    registryDir: await registryDir(t),
    logger,
    stores: [store],
    resiliencies: [{ name: 'res', file: 'res.yaml', spec: { policies: { retries: { once: { duration: '1ms', maxRetries: 1 } } }, targets: { components: { S: { outbound: { retry: 'once' } } } } } }]
  })
  t.teardown(() => sc.close())
  t.same(json(await call(sc.url, 'GET', '/v1.0/metadata')).resiliencies, [{ name: 'res' }])
  store.failNext = { op: 'get', kind: 'unavailable', message: 'blip' }
  t.equal((await call(sc.url, 'GET', '/v1.0/state/S/k')).status, 204, 'the store call was retried')
})

t.test('a config file without features or access control', async (t) => {
  const sc = await startSidecar({ appId: 'x', httpPort: 0, resourcesPaths: [], configPath: 'components/config.yaml', registryDir: await registryDir(t), logger })
  t.teardown(() => sc.close())
  t.equal(json(await call(sc.url, 'GET', '/v1.0/metadata')).enabledFeatures, undefined)
})

t.test('app port readiness, health metadata, outbound with a failing store', async (t) => {
  const dir = await registryDir(t)
  const port = await unusedPort()
  const store = fakeStore('S')
  const hanging = { ...fakeStore('H'), ping: () => new Promise<void>(() => {}) }
  const sc = await startSidecar({
    appId: 'B',
    appPort: port,
    appChannelAddress: '127.0.0.1',
    listenAddress: '127.0.0.1',
    namespace: 'ns',
    keyNamespace: 'ns',
    hostIp: '10.0.0.1',
    env: {},
    httpPort: 0,
    resourcesPaths: [],
    stores: [store],
    registryDir: dir,
    logger,
    appApiToken: 'x',
    appHealth: { path: '/healthz', intervalMs: 100, timeoutMs: 300, threshold: 2 }
  })
  t.teardown(() => sc.close())
  t.match(sc.internalAddress, /^127\.0\.0\.1:\d+$/)
  t.equal(json(await call(sc.url, 'GET', '/v1.0/healthz')).message, 'dapr is not ready: [runtime]')
  const app = await startTestApp(port)
  t.teardown(() => app.close())
  t.ok(await eventually(async () => (await call(sc.url, 'GET', '/v1.0/healthz')).status === 204))
  const m = json(await call(sc.url, 'GET', '/v1.0/metadata'))
  t.same(m.appConnectionProperties, { port, protocol: 'http', channelAddress: '127.0.0.1', health: { healthCheckPath: '/healthz', healthProbeInterval: '0.1s', healthProbeTimeout: '300ms', healthThreshold: 2 } })
  await call(sc.url, 'POST', '/v1.0/state/S', { body: '[{"key":"k","value":1}]' })
  t.ok(store.data.has('ns.B||k') === false && store.data.has('B||k'), 'appid prefix by default')
  t.equal((await call(sc.url, 'GET', '/v1.0/healthz/outbound')).status, 204)
  store.pingOk = false
  t.equal((await call(sc.url, 'GET', '/v1.0/healthz/outbound')).status, 500)
  const sc2 = await startSidecar({ appId: 'C', httpPort: 0, resourcesPaths: [], stores: [hanging], registryDir: dir, logger })
  t.teardown(() => sc2.close())
  t.equal((await call(sc2.url, 'GET', '/v1.0/healthz/outbound')).status, 500, 'a ping that never answers times out')
})

t.test('shutdown through the API, also when closing fails', async (t) => {
  const dir = await registryDir(t)
  const seen: boolean[] = []
  const sc = await startSidecar({ appId: 'D', httpPort: 0, resourcesPaths: [], stores: [], registryDir: dir, logger, onShutdown: ({ force }) => { seen.push(force) } })
  t.equal((await call(sc.url, 'POST', '/v1.0/shutdown', { headers: { 'dapr-force-shutdown': 'true' } })).status, 204)
  t.ok(await eventually(async () => seen.length === 1))
  t.same(seen, [true])
  await sc.close()
  const broken = { ...fakeStore('S'), close: async () => { throw new Error('no') } }
  const sc2 = await startSidecar({ appId: 'E', httpPort: 0, resourcesPaths: [], stores: [broken], registryDir: dir, logger })
  t.equal((await call(sc2.url, 'POST', '/v1.0/shutdown')).status, 204)
  await t.rejects(sc2.close(), { message: 'no' })
  const sc3 = await startSidecar({ appId: 'F', httpPort: 0, resourcesPaths: [], stores: [], registryDir: dir, logger })
  t.equal((await call(sc3.url, 'POST', '/v1.0/shutdown')).status, 204, 'no onShutdown callback')
  await sc3.close()
})

t.test('a port in use fails the start', async (t) => {
  const dir = await registryDir(t)
  const a = await startSidecar({ appId: 'G', httpPort: 0, resourcesPaths: [], stores: [], registryDir: dir, logger })
  t.teardown(() => a.close())
  await t.rejects(startSidecar({ appId: 'H', httpPort: a.port, resourcesPaths: [], stores: [], registryDir: dir, logger }), { code: 'EADDRINUSE' })
})

t.test('default port and logger', async (t) => {
  const { createServer } = await import('node:net')
  const blocker = createServer()
  await new Promise<void>((resolve) => blocker.once('error', () => resolve()).listen(DEFAULT_HTTP_PORT, '127.0.0.1', resolve))
  t.teardown(() => { blocker.close() })
  // Port 3500 is taken (by the blocker, or by someone else): the default port is what was tried.
  await t.rejects(startSidecar({ appId: 'I', resourcesPaths: [], stores: [], registryDir: await registryDir(t) }), { code: 'EADDRINUSE' })
})

t.test('close cuts connections that outlive the grace period', async (t) => {
  const { createServer } = await import('node:http')
  const hang = createServer(() => {})
  await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { hang.closeAllConnections(); hang.close() })
  const sc = await startSidecar({ appId: 'J', appPort: (hang.address() as { port: number }).port, httpPort: 0, resourcesPaths: [], stores: [], registryDir: await registryDir(t), logger, closeGraceMs: 50 })
  const pending = t.rejects(call(sc.url, 'GET', '/v1.0/invoke/J/method/x'), 'cut by close()')
  await new Promise((resolve) => setTimeout(resolve, 100))
  await sc.close()
  await pending
})
