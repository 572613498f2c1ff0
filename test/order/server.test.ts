import t from 'tap'
import { connect, type AddressInfo } from 'node:net'
import { networkInterfaces } from 'node:os'
import type { FastifyInstance } from 'fastify'
import type { OrderAppsOptions } from '../../src/order/app.js'
import { main, shutdownHandler } from '../../src/order/server.js'
import { startChildService } from '../helpers/child-service.js'
import { startLocalDaprd } from '../helpers/local-daprd.js'
import { captureLogs } from '../helpers/log-capture.js'
import { sampleValue } from '../helpers/prom-text.js'

const SCRIPT = 'src/order/server.ts'

t.test('serves orders through the sidecar, then drains and exits 0 on SIGTERM, finishing the request in flight', async (t) => {
  const daprd = await startLocalDaprd(t)
  const svc = startChildService(t, SCRIPT, { PORT: '0', HOST: '127.0.0.1', DAPR_HTTP_ENDPOINT: daprd.url, APP_API_TOKEN: 'tok-123' })
  const base = await svc.listening()
  t.same(await (await fetch(`${base}/readyz`)).json(), { status: 'ready' })

  let release: () => void = () => {}
  daprd.holdSaves = new Promise((resolve) => { release = resolve })
  const saving = daprd.nextSave()
  const inFlight = fetch(`${base}/neworder`, { method: 'POST', headers: { 'content-type': 'application/json', 'dapr-api-token': 'tok-123' }, body: '{"data":{"orderId":"42"}}' })
  await saving
  svc.child.kill('SIGTERM')
  await svc.waitForLine((l) => l.msg === 'closing')
  release()
  const res = await inFlight
  t.equal(res.status, 200, 'the request in flight at SIGTERM completes')
  t.same(await res.json(), { orderId: '42' })
  t.same(await svc.exited, { code: 0, signal: null })
  t.ok(svc.lines.some((l) => l.msg === 'closed'))
  t.same(daprd.saves, ['order-42', 'order'])
  t.notOk(svc.lines.some((l) => l.msg === 'APP_API_TOKEN is not set: POST /neworder accepts writes from anyone who can reach this port'))
  t.ok(svc.lines.filter((l) => l.reqId !== undefined).every((l) => typeof l.traceId === 'string'), 'request lines carry a trace id')
  t.notOk(JSON.stringify(svc.lines).includes('tok-123'), 'the token is never logged')
})

t.test('metrics: on the app port by default, on METRICS_PORT only when set, with Node\'s process metrics', async (t) => {
  const daprd = await startLocalDaprd(t)
  const onApp = startChildService(t, SCRIPT, { PORT: '0', HOST: '127.0.0.1', DAPR_HTTP_ENDPOINT: daprd.url })
  const appBase = await onApp.listening()
  await fetch(`${appBase}/neworder`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"data":{"orderId":"1"}}' })
  const text = await (await fetch(`${appBase}/metrics`)).text()
  t.equal(sampleValue(text, 'orders_persisted_total'), 1)
  t.ok((sampleValue(text, 'process_cpu_seconds_total') ?? -1) >= 0, 'process metrics')
  t.ok(sampleValue(text, 'nodejs_heap_size_used_bytes') !== undefined)
  onApp.child.kill('SIGTERM')
  t.same(await onApp.exited, { code: 0, signal: null })

  const apart = startChildService(t, SCRIPT, { PORT: '0', METRICS_PORT: '0', HOST: '127.0.0.1', DAPR_HTTP_ENDPOINT: daprd.url })
  const base = await apart.listening()
  const second = await apart.waitForLine((l) => typeof l.msg === 'string' && l.msg.startsWith('Server listening at') && !l.msg.endsWith(new URL(base).port))
  const metricsBase = String(second.msg).replace('Server listening at ', '')
  await fetch(`${base}/neworder`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"data":{"orderId":"2"}}' })
  t.equal((await fetch(`${base}/metrics`)).status, 404, 'not on the app port (the NLB forwards that one)')
  const scraped = await fetch(`${metricsBase}/metrics`)
  t.equal(scraped.status, 200)
  t.equal(sampleValue(await scraped.text(), 'orders_received_total'), 1)
  apart.child.kill('SIGTERM')
  t.same(await apart.exited, { code: 0, signal: null })
})

t.test('warns when writes are unauthenticated', async (t) => {
  const daprd = await startLocalDaprd(t)
  const svc = startChildService(t, SCRIPT, { PORT: '0', HOST: '127.0.0.1', DAPR_HTTP_ENDPOINT: daprd.url })
  await svc.waitForLine((l) => l.level === 40 && String(l.msg).startsWith('APP_API_TOKEN is not set'))
  svc.child.kill('SIGINT')
  t.same(await svc.exited, { code: 0, signal: null })
})

t.test('a bad environment is reported all at once and exits 1', async (t) => {
  const svc = startChildService(t, SCRIPT, { PORT: 'abc', LOG_LEVEL: 'loud', DRAIN_DELAY_MS: '-1' })
  t.same(await svc.exited, { code: 1, signal: null })
  const fatal = svc.lines.find((l) => l.level === 60)
  t.match(fatal, { problems: [/^PORT: /, /^LOG_LEVEL: /, /^DRAIN_DELAY_MS: /] })
})

t.test('main, in process: an invalid sidecar endpoint and a port in use both exit 1 without listening', async (t) => {
  t.teardown(() => { process.exitCode = 0 })
  await main({ DAPR_HTTP_ENDPOINT: 'not a url', LOG_LEVEL: 'silent' })
  t.equal(process.exitCode, 1)
  process.exitCode = 0
  const daprd = await startLocalDaprd(t)
  const svc = startChildService(t, SCRIPT, { PORT: '0', HOST: '127.0.0.1', DAPR_HTTP_ENDPOINT: daprd.url })
  const port = new URL(await svc.listening()).port
  await main({ PORT: port, HOST: '127.0.0.1', DAPR_HTTP_ENDPOINT: daprd.url, LOG_LEVEL: 'silent' })
  t.equal(process.exitCode, 1)
  process.exitCode = 0
  await main({ PORT: '0', METRICS_PORT: port, HOST: '127.0.0.1', DAPR_HTTP_ENDPOINT: daprd.url, LOG_LEVEL: 'silent' })
  t.equal(process.exitCode, 1, 'a metrics port in use fails the start too')
})

t.test('main, in process: listens, installs the graceful close, and runs when it is the entry script', async (t) => {
  const daprd = await startLocalDaprd(t)
  const installed: Array<{ options: { delay: number }, fn: (event: { signal?: string }) => Promise<void> }> = []
  const saved = { ...process.env }
  t.teardown(() => { process.env = saved })
  Object.assign(process.env, { PORT: '0', HOST: '127.0.0.1', DAPR_HTTP_ENDPOINT: daprd.url, LOG_LEVEL: 'silent', CLOSE_GRACE_DELAY_MS: '4321' })
  const real = await import('../../src/shared/process.js')
  // The real app, kept so the test can reach the port the OS picked.
  const realApp = await import('../../src/order/app.js')
  const apps: FastifyInstance[] = []
  const mocked = await t.mockImport<typeof import('../../src/order/server.js')>('../../src/order/server.js', {
    // server.ts installs its handler through process.js's closeGracefully (close-with-grace inside).
    '../../src/shared/process.js': {
      ...real,
      isMainModule: () => true,
      closeGracefully: (options: { delay: number }, fn: (event: { signal?: string }) => Promise<void>) => {
        installed.push({ options, fn })
        return { close: () => {}, uninstall: () => {} }
      }
    },
    '../../src/order/app.js': { ...realApp, buildApps: (options: OrderAppsOptions) => { const built = realApp.buildApps(options); apps.push(built.app); return built } }
  })
  t.equal(installed.length, 1, 'importing the entry script started the service')
  t.equal(installed[0]!.options.delay, 4321)
  const port = (apps[0]!.server.address() as AddressInfo).port
  // Readiness reads the draining flag: ready before the signal, over a real connection.
  t.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200)
  await installed[0]!.fn({ signal: 'SIGTERM' })
  t.equal(apps[0]!.server.listening, false, 'the shutdown handler closed the listener')
  await mocked.main({ PORT: '0', METRICS_PORT: '0', HOST: '127.0.0.1', DAPR_HTTP_ENDPOINT: daprd.url, LOG_LEVEL: 'silent', APP_API_TOKEN: 'x' })
  t.equal(installed.length, 2)
  await installed[1]!.fn({ signal: 'SIGINT' })
})

t.test('shutdownHandler: fails readiness, waits the drain delay, closes the app, then the client', async (t) => {
  const logs = captureLogs('info')
  const steps: string[] = []
  const handler = shutdownHandler({
    app: { log: logs.logger, close: async () => { steps.push('app.close') } } as never,
    metricsApp: { close: async () => { steps.push('metrics.close') } } as never,
    sidecar: { close: async () => { steps.push('sidecar.close') } },
    markDraining: () => { steps.push('draining') },
    drainDelayMs: 250,
    sleep: async (ms) => { steps.push(`sleep ${ms}`) }
  })
  await handler({ signal: 'SIGTERM' })
  t.same(steps, ['draining', 'sleep 250', 'app.close', 'metrics.close', 'sidecar.close'])
  await handler({ err: new Error('boom') })
  t.match(logs.lines, [{ msg: 'closing', signal: 'SIGTERM' }, { msg: 'closed' }, { level: 50, msg: 'closing on error', err: { message: 'boom' } }, { msg: 'closed' }])
})

t.test('shutdownHandler: no drain delay means no wait', async (t) => {
  const steps: string[] = []
  const handler = shutdownHandler({
    app: { log: captureLogs('silent').logger, close: async () => { steps.push('app.close') } } as never,
    sidecar: { close: async () => { steps.push('sidecar.close') } },
    markDraining: () => { steps.push('draining') },
    drainDelayMs: 0
  })
  await handler({ signal: 'SIGINT' })
  t.same(steps, ['draining', 'app.close', 'sidecar.close'])
})

// --- issue 13: the app channel on loopback, the public listener with its own key ---

const PUBLIC_KEY = 'public-key-0123456789abcdef'

/** This machine's addresses other hosts could reach it on (link-local ones need a zone id, left out). */
function nonLoopbackAddresses (): string[] {
  return Object.values(networkInterfaces()).flat().filter((a) => a !== undefined && !a.internal && !a.address.startsWith('fe80:')).map((a) => a!.address)
}

/** Resolves with the socket error code (or 'connected') of a TCP connect to host:port. */
function tryConnect (host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 })
    socket.on('connect', () => { socket.destroy(); resolve('connected') })
    socket.on('timeout', () => { socket.destroy(); resolve('timeout') })
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'))
  })
}

t.test('by default the app channel listens on 127.0.0.1 only: no other interface reaches it', async (t) => {
  const daprd = await startLocalDaprd(t)
  // HOST '' counts as unset, whatever the developer's shell exports.
  const svc = startChildService(t, SCRIPT, { HOST: '', PORT: '0', DAPR_HTTP_ENDPOINT: daprd.url })
  const base = new URL(await svc.listening())
  t.equal(base.hostname, '127.0.0.1')
  t.equal((await fetch(`${base.origin}/healthz`)).status, 200, 'reachable on loopback')
  const others = nonLoopbackAddresses()
  t.ok(others.length > 0, `this machine has a non-loopback address to try (${others.join(', ')})`)
  for (const address of others) t.equal(await tryConnect(address, Number(base.port)), 'ECONNREFUSED', `not on ${address}`)
  svc.child.kill('SIGTERM')
  t.same(await svc.exited, { code: 0, signal: null })
})

t.test('the EKS shape: app channel, public listener and metrics listener, each with its own rule', async (t) => {
  const daprd = await startLocalDaprd(t)
  const env = { HOST: '127.0.0.1', PORT: '0', PUBLIC_HOST: '127.0.0.1', PUBLIC_PORT: '0', PUBLIC_API_KEY: PUBLIC_KEY }
  const svc = startChildService(t, SCRIPT, { ...env, METRICS_PORT: '0', METRICS_HOST: '127.0.0.1', APP_API_TOKEN: 'app-token-1', DAPR_HTTP_ENDPOINT: daprd.url })
  const listening = (l: Record<string, unknown>): boolean => typeof l.msg === 'string' && l.msg.startsWith('Server listening at')
  const at = (l: Record<string, unknown>): string => String(l.msg).replace('Server listening at ', '')
  const appBase = at(await svc.waitForLine((l) => listening(l) && l.listener === undefined))
  const publicBase = at(await svc.waitForLine((l) => listening(l) && l.listener === 'public'))
  const metricsBase = at(await svc.waitForLine((l) => listening(l) && at(l) !== appBase && l.listener === undefined))
  const order = (base: string, headers: Record<string, string>) => fetch(`${base}/neworder`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"data":{"orderId":"7"}}' })

  // Public side: the key guards reads and writes; the app token is worthless there.
  for (const url of ['/order', '/orders/7']) {
    const refused: Array<Record<string, string>> = [{}, { 'x-api-key': 'wrong-key-0123456789abcdef' }, { 'dapr-api-token': 'app-token-1' }]
    for (const headers of refused) {
      const res = await fetch(`${publicBase}${url}`, { headers })
      t.equal(res.status, 401, `${url} ${JSON.stringify(headers)}`)
      t.same(await res.json(), { statusCode: 401, code: 'ORDER_ERR_UNAUTHORIZED', message: 'Missing or invalid x-api-key' })
    }
  }
  t.equal((await order(publicBase, {})).status, 401)
  t.equal((await order(publicBase, { 'dapr-api-token': 'app-token-1' })).status, 401)
  t.same(daprd.saves, [], 'nothing stored without the key')
  t.equal((await order(publicBase, { 'x-api-key': PUBLIC_KEY })).status, 200)
  const read = await fetch(`${publicBase}/orders/7`, { headers: { 'x-api-key': PUBLIC_KEY } })
  t.equal(read.status, 200)
  t.same(await read.json(), { orderId: '7' })
  t.equal((await fetch(`${publicBase}/readyz`)).status, 200, 'probes need no key')
  t.equal((await fetch(`${publicBase}/metrics`, { headers: { 'x-api-key': PUBLIC_KEY } })).status, 404, 'metrics are never public')

  // App channel: daprd's token on writes, reads open (only the pod reaches it).
  t.equal((await order(appBase, { 'x-api-key': PUBLIC_KEY })).status, 401, 'the public key is not the app token')
  t.equal((await order(appBase, { 'dapr-api-token': 'app-token-1' })).status, 200)
  t.equal((await fetch(`${appBase}/order`)).status, 200)

  const scraped = await (await fetch(`${metricsBase}/metrics`)).text()
  t.equal(sampleValue(scraped, 'orders_rejected_total', { code: 'ORDER_ERR_UNAUTHORIZED' }), 3, 'both listeners count into the one registry')
  svc.child.kill('SIGTERM')
  t.same(await svc.exited, { code: 0, signal: null })
  t.notOk(JSON.stringify(svc.lines).includes(PUBLIC_KEY), 'the key is never logged')
})

t.test('a public listener without a key, or keyed with the app token, refuses to start', async (t) => {
  const noKey = startChildService(t, SCRIPT, { PORT: '0', PUBLIC_PORT: '0' })
  t.same(await noKey.exited, { code: 1, signal: null })
  t.match(noKey.lines.find((l) => l.level === 60), { problems: [/^PUBLIC_API_KEY: required when PUBLIC_PORT is set/] })
  const same = startChildService(t, SCRIPT, { PORT: '0', PUBLIC_PORT: '0', PUBLIC_API_KEY: PUBLIC_KEY, APP_API_TOKEN: PUBLIC_KEY })
  t.same(await same.exited, { code: 1, signal: null })
  t.match(same.lines.find((l) => l.level === 60), { problems: [/^PUBLIC_API_KEY: must differ from APP_API_TOKEN/] })
  t.notOk(JSON.stringify(same.lines).includes(PUBLIC_KEY), 'the refusal does not quote the key')
})

t.test('main, in process: the public listener and METRICS_HOST, a demo mode warning, and a public port in use', async (t) => {
  t.teardown(() => { process.exitCode = 0 })
  const daprd = await startLocalDaprd(t)
  const { freePort } = await import('../../local-dapr/src/runner/runner.js')
  const publicPort = await freePort()
  const installed: Array<(event: { signal?: string }) => Promise<void>> = []
  const warnings: string[] = []
  const real = await import('../../src/shared/logger.js')
  const processModule = await import('../../src/shared/process.js')
  const mocked = await t.mockImport<typeof import('../../src/order/server.js')>('../../src/order/server.js', {
    '../../src/shared/process.js': {
      ...processModule,
      closeGracefully: (_options: unknown, fn: (event: { signal?: string }) => Promise<void>) => {
        installed.push(fn)
        return { close: () => {}, uninstall: () => {} }
      }
    },
    '../../src/shared/logger.js': {
      ...real,
      // Silent, with its warnings kept for the test.
      createProcessLogger: () => {
        const logger = real.createProcessLogger('silent')
        logger.warn = ((msg: string) => { warnings.push(msg) }) as typeof logger.warn
        return logger
      }
    }
  })
  await mocked.main({ PORT: '0', PUBLIC_HOST: '127.0.0.1', PUBLIC_PORT: String(publicPort), PUBLIC_DEMO_MODE: 'reads', METRICS_PORT: '0', METRICS_HOST: '127.0.0.1', HOST: '127.0.0.1', DAPR_HTTP_ENDPOINT: daprd.url, LOG_LEVEL: 'warn' })
  t.equal(installed.length, 1)
  t.ok(warnings.some((w) => w.startsWith('DEMO MODE (PUBLIC_DEMO_MODE=reads)')), 'the demo mode is announced')
  t.equal((await fetch(`http://127.0.0.1:${publicPort}/order`)).status, 404, 'reads open in the reads demo (no order yet)')
  t.equal((await fetch(`http://127.0.0.1:${publicPort}/neworder`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"data":{"orderId":"1"}}' })).status, 401)

  // While it runs, a second service cannot take the same public port: it exits 1 and closes what it opened.
  await mocked.main({ PORT: '0', PUBLIC_PORT: String(publicPort), PUBLIC_API_KEY: PUBLIC_KEY, HOST: '127.0.0.1', DAPR_HTTP_ENDPOINT: daprd.url, LOG_LEVEL: 'silent' })
  t.equal(process.exitCode, 1)
  t.equal(installed.length, 1, 'no graceful close installed for a failed start')

  await installed[0]!({ signal: 'SIGTERM' })
  t.equal(await tryConnect('127.0.0.1', publicPort), 'ECONNREFUSED', 'the shutdown closed the public listener too')
})

t.test('shutdownHandler: both listeners drain together, then metrics, then the client', async (t) => {
  const steps: string[] = []
  const handler = shutdownHandler({
    app: { log: captureLogs('silent').logger, close: async () => { steps.push('app.close') } } as never,
    publicApp: { close: async () => { steps.push('public.close') } } as never,
    metricsApp: { close: async () => { steps.push('metrics.close') } } as never,
    sidecar: { close: async () => { steps.push('sidecar.close') } },
    markDraining: () => { steps.push('draining') },
    drainDelayMs: 0
  })
  await handler({ signal: 'SIGTERM' })
  t.same(steps, ['draining', 'app.close', 'public.close', 'metrics.close', 'sidecar.close'])
})
