import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { GeneratorAppOptions } from '../../src/generator/app.js'
import { reportSummary } from '../../src/generator/server.js'
import { startChildService } from '../helpers/child-service.js'
import { startLocalDaprd, type LocalDaprd } from '../helpers/local-daprd.js'
import { captureLogs } from '../helpers/log-capture.js'
import { sampleValue } from '../helpers/prom-text.js'

const SCRIPT = 'src/generator/server.ts'
const base = (daprd: LocalDaprd): Record<string, string> => ({ PORT: '0', HOST: '127.0.0.1', DAPR_HTTP_ENDPOINT: daprd.url, GENERATOR_INTERVAL_MS: '0' })

type Grace = { options: { delay: number }, fn: (event: { signal?: string, err?: Error }) => Promise<void>, uninstalled: boolean }

/** The server module with process.js's closeGracefully (close-with-grace inside) replaced by a recorder. */
async function mockedServer (t: Test, isMain = false) {
  const installed: Grace[] = []
  const real = await import('../../src/shared/process.js')
  // The real app, kept so a test can reach the port the OS picked (PORT=0).
  const realApp = await import('../../src/generator/app.js')
  const apps: FastifyInstance[] = []
  const mod = await t.mockImport<typeof import('../../src/generator/server.js')>('../../src/generator/server.js', {
    '../../src/generator/app.js': { ...realApp, buildApp: (options: GeneratorAppOptions) => { const app = realApp.buildApp(options); apps.push(app); return app } },
    '../../src/shared/process.js': {
      ...real,
      isMainModule: () => isMain,
      closeGracefully: (options: { delay: number }, fn: Grace['fn']) => {
        const grace: Grace = { options, fn, uninstalled: false }
        installed.push(grace)
        return { close: () => {}, uninstall: () => { grace.uninstalled = true } }
      }
    }
  })
  return { main: mod.main, installed, apps }
}

function freshExitCode (t: Test): void {
  t.teardown(() => { process.exitCode = 0 })
}

t.test('as a process: a finished count exits 0, writes the delivered ids, and a restart continues after its block', async (t) => {
  const daprd = await startLocalDaprd(t)
  const file = join(t.testdir(), 'delivered.txt')
  const env = { ...base(daprd), GENERATOR_COUNT: '5', GENERATOR_DELIVERED_FILE: file }
  const first = startChildService(t, SCRIPT, env)
  t.same(await first.exited, { code: 0, signal: null })
  t.match(first.lines.find((l) => l.msg === 'Generator stopped'), { sent: 5, delivered: 5, failed: 0, retried: 0, stoppedBy: 'count', p50LatencyMs: Number, p99LatencyMs: Number })
  const second = startChildService(t, SCRIPT, env)
  t.same(await second.exited, { code: 0, signal: null })
  t.same(readFileSync(file, 'utf8').trim().split('\n'), ['1', '2', '3', '4', '5', '101', '102', '103', '104', '105'])
  t.same(daprd.invocations.slice(0, 1), [{ data: { orderId: '1' } }])
  t.equal(await daprd.value('order-id-counter'), 200)
})

t.test('as a process: orders given up on mean exit 1, with each id and reason logged', async (t) => {
  const daprd = await startLocalDaprd(t)
  daprd.onInvoke = () => ({ status: 409, body: { statusCode: 409, code: 'ORDER_ERR_CONFLICT', message: 'x' } })
  const svc = startChildService(t, SCRIPT, { ...base(daprd), GENERATOR_COUNT: '2' })
  t.same(await svc.exited, { code: 1, signal: null })
  t.match(svc.lines.filter((l) => l.level === 50 && l.orderId !== undefined), [{ orderId: '1', reason: 'HTTP 409 ORDER_ERR_CONFLICT' }, { orderId: '2' }])
  t.match(svc.lines.find((l) => l.msg === 'Generator stopped with orders not delivered'), { failed: 2, givenUp: [{ orderId: '1' }, { orderId: '2' }] })
})

t.test('as a process: SIGTERM stops it cleanly with exit 0', async (t) => {
  const daprd = await startLocalDaprd(t)
  const svc = startChildService(t, SCRIPT, { ...base(daprd), GENERATOR_INTERVAL_MS: '50' })
  await svc.waitForLine((l) => l.msg === 'Order 2 delivered')
  svc.child.kill('SIGTERM')
  t.same(await svc.exited, { code: 0, signal: null })
  t.match(svc.lines.find((l) => l.msg === 'Generator stopped'), { stoppedBy: 'signal', failed: 0 })
})

t.test('as a process: METRICS_PORT serves the delivery counters, timed sidecar calls and Node\'s metrics', async (t) => {
  const daprd = await startLocalDaprd(t)
  let calls = 0
  daprd.onInvoke = () => ++calls === 1 ? { status: 503, body: { code: 'ORDER_ERR_STORE_UNAVAILABLE' } } : { status: 200, body: {} }
  const svc = startChildService(t, SCRIPT, { ...base(daprd), METRICS_PORT: '0', GENERATOR_INTERVAL_MS: '600000', GENERATOR_RETRY_BASE_MS: '1' })
  const probe = await svc.listening()
  const line = await svc.waitForLine((l) => typeof l.msg === 'string' && l.msg.startsWith('Server listening at') && !l.msg.endsWith(`:${new URL(probe).port}`))
  await svc.waitForLine((l) => l.msg === 'Order 1 delivered')
  const text = await (await fetch(`${String(line.msg).replace('Server listening at ', '')}/metrics`)).text()
  t.equal(sampleValue(text, 'generator_orders_sent_total'), 1)
  t.equal(sampleValue(text, 'generator_orders_delivered_total'), 1)
  t.equal(sampleValue(text, 'generator_retries_total'), 1)
  t.equal(sampleValue(text, 'generator_delivery_duration_seconds_count'), 1)
  t.equal(sampleValue(text, 'sidecar_call_duration_seconds_count', { operation: 'invoke' }), 2, 'the 503 is an answer, not a sidecar error')
  t.equal(sampleValue(text, 'sidecar_call_duration_seconds_count', { operation: 'state.update' }), 1, 'one block of ids reserved')
  t.ok(sampleValue(text, 'process_resident_memory_bytes') !== undefined, 'process metrics')
  t.equal((await fetch(`${probe}/metrics`)).status, 404, 'not on the probe port')
  t.ok(svc.lines.filter((l) => l.orderId === '1').every((l) => typeof l.traceId === 'string'), 'the order\'s lines carry its trace id')
  svc.child.kill('SIGTERM')
  t.same(await svc.exited, { code: 0, signal: null })
})

t.test('as a process: a bad environment is reported at once and exits 1', async (t) => {
  const svc = startChildService(t, SCRIPT, { GENERATOR_COUNT: '0', GENERATOR_CONCURRENCY: 'x' })
  t.same(await svc.exited, { code: 1, signal: null })
  t.match(svc.lines.find((l) => l.level === 60), { problems: [/^GENERATOR_COUNT/, /^GENERATOR_CONCURRENCY/] })
})

t.test('in process: a finished count resolves 0, uninstalls the signal handlers and records ids', async (t) => {
  freshExitCode(t)
  const daprd = await startLocalDaprd(t)
  const { main, installed } = await mockedServer(t)
  const file = join(t.testdir(), 'ids.txt')
  t.equal(await main({ ...base(daprd), LOG_LEVEL: 'silent', GENERATOR_COUNT: '3', GENERATOR_DELIVERED_FILE: file, CLOSE_GRACE_DELAY_MS: '1234', METRICS_PORT: '0' }), 0)
  t.equal(installed[0]?.options.delay, 1234)
  t.equal(installed[0]?.uninstalled, true)
  t.equal(readFileSync(file, 'utf8'), '1\n2\n3\n')
})

t.test('in process: a signal aborts the loop; the handler fails when orders were given up', async (t) => {
  freshExitCode(t)
  const daprd = await startLocalDaprd(t)
  let first: () => void = () => {}
  const invoked = new Promise<void>((resolve) => { first = resolve })
  daprd.onInvoke = () => { first(); return { status: 400, body: { code: 'FST_ERR_VALIDATION' } } }
  const { main, installed } = await mockedServer(t)
  const running = main({ ...base(daprd), LOG_LEVEL: 'silent', GENERATOR_INTERVAL_MS: '60000' })
  await invoked
  await t.rejects(installed[0]!.fn({ signal: 'SIGTERM' }), /orders not delivered/)
  t.equal(await running, 1)
  t.equal(process.exitCode, 1)
})

t.test('in process: an error event stops it too, logged as such', async (t) => {
  freshExitCode(t)
  const daprd = await startLocalDaprd(t)
  let first: () => void = () => {}
  const invoked = new Promise<void>((resolve) => { first = resolve })
  daprd.onInvoke = () => { first(); return { status: 200, body: {} } }
  const { main, installed, apps } = await mockedServer(t)
  const running = main({ ...base(daprd), LOG_LEVEL: 'silent', GENERATOR_INTERVAL_MS: '60000' })
  await invoked
  const port = (apps[0]!.server.address() as AddressInfo).port
  // Readiness reads the draining flag: ready while running, over a real connection.
  t.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200)
  await installed[0]!.fn({ err: new Error('uncaught somewhere') })
  t.equal(await running, 0)
})

t.test('in process: stopped while waiting for the sidecar is a clean stop; a wait that times out is not', async (t) => {
  freshExitCode(t)
  const closed = createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const port = (closed.address() as AddressInfo).port
  await new Promise<void>((resolve) => closed.close(() => resolve()))
  const nowhere = { PORT: '0', HOST: '127.0.0.1', DAPR_HTTP_ENDPOINT: `http://127.0.0.1:${port}`, LOG_LEVEL: 'silent' }
  const { main, installed } = await mockedServer(t)
  const waiting = main({ ...nowhere, GENERATOR_SIDECAR_WAIT_MS: '600000' })
  while (installed.length === 0) await new Promise((resolve) => setImmediate(resolve))
  await installed[0]!.fn({ signal: 'SIGINT' })
  t.equal(await waiting, 0)
  t.equal(await main({ ...nowhere, GENERATOR_SIDECAR_WAIT_MS: '200' }), 1)
})

t.test('in process: config, sidecar option and listen failures resolve 1 without running', async (t) => {
  freshExitCode(t)
  const { main, installed } = await mockedServer(t)
  t.equal(await main({ GENERATOR_COUNT: 'zero' }), 1)
  // Without an argument it reads process.env.
  const saved = process.env.GENERATOR_COUNT
  process.env.GENERATOR_COUNT = 'zero'
  t.teardown(() => { if (saved === undefined) delete process.env.GENERATOR_COUNT; else process.env.GENERATOR_COUNT = saved })
  t.equal(await main(), 1, 'process.env by default')
  t.equal(await main({ DAPR_HTTP_ENDPOINT: 'nope' }), 1)
  const daprd = await startLocalDaprd(t)
  const busy = createServer()
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => busy.close(() => resolve())))
  t.equal(await main({ ...base(daprd), LOG_LEVEL: 'silent', PORT: String((busy.address() as AddressInfo).port) }), 1)
  t.equal(await main({ ...base(daprd), LOG_LEVEL: 'silent', METRICS_PORT: String((busy.address() as AddressInfo).port) }), 1, 'a metrics port in use too')
  t.equal(installed.length, 0)
})

t.test('in process: importing it as the entry script starts it', async (t) => {
  freshExitCode(t)
  const daprd = await startLocalDaprd(t)
  const saved = { ...process.env }
  t.teardown(() => { process.env = saved })
  Object.assign(process.env, { ...base(daprd), LOG_LEVEL: 'silent', GENERATOR_COUNT: '1' })
  const { installed } = await mockedServer(t, true)
  t.equal(installed.length, 1)
  t.equal(installed[0]?.uninstalled, true, 'it ran to the end of its count')
  t.same(daprd.invocations, [{ data: { orderId: '1' } }])
})

t.test('reportSummary: info and 0 when all were delivered, error and 1 otherwise', async (t) => {
  const logs = captureLogs('info')
  const clean = { sent: 1, delivered: 1, failed: 0, retried: 0, pauses: 0, p50LatencyMs: 3, p99LatencyMs: 3, givenUp: [], unacknowledged: [], stoppedBy: 'count' as const }
  t.equal(reportSummary(logs.logger, clean), 0)
  t.equal(reportSummary(logs.logger, { ...clean, delivered: 0, sent: 0, stoppedBy: 'fatal', fatal: 'could not reserve order ids: x' }), 1)
  t.match(logs.lines, [
    { level: 30, msg: 'Generator stopped', sent: 1, delivered: 1, failed: 0, retried: 0, p50LatencyMs: 3, p99LatencyMs: 3, stoppedBy: 'count' },
    { level: 50, msg: 'Generator stopped with orders not delivered', fatal: 'could not reserve order ids: x' }
  ])
})
