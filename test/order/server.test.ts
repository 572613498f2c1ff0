import t from 'tap'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { OrderAppOptions } from '../../src/order/app.js'
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
    'close-with-grace': (options: { delay: number }, fn: (event: { signal?: string }) => Promise<void>) => {
      installed.push({ options, fn })
      return { close: () => {}, uninstall: () => {} }
    },
    '../../src/shared/process.js': { ...real, isMainModule: () => true },
    '../../src/order/app.js': { ...realApp, buildApp: (options: OrderAppOptions) => { const app = realApp.buildApp(options); apps.push(app); return app } }
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
