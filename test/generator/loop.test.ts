import t from 'tap'
import { abortableSleep, percentile, runGenerator, type GeneratorOptions } from '../../src/generator/loop.js'
import type { InvokeOptions } from '../../src/sidecar/index.js'
import { errors, fakeSidecar, response, type FakeSidecar } from '../helpers/fake-sidecar.js'
import { captureLogs } from '../helpers/log-capture.js'

/** Virtual time: sleeping advances the clock at once; an aborted signal ends the sleep. */
function clock () {
  let time = 1_000_000
  const sleeps: number[] = []
  return {
    sleeps,
    now: () => time,
    advance: (ms: number) => { time += ms },
    sleep: async (ms: number, signal: AbortSignal) => {
      sleeps.push(ms)
      await Promise.resolve()
      if (signal.aborted) return false
      time += ms
      return true
    }
  }
}

function setup (overrides: Partial<GeneratorOptions> = {}, sidecar: FakeSidecar = fakeSidecar()) {
  const time = clock()
  const logs = captureLogs('info')
  const controller = new AbortController()
  const options: GeneratorOptions = {
    sidecar,
    targetAppId: 'nodeapp',
    storeName: 'statestore',
    counterKey: 'order-id-counter',
    blockSize: 100,
    intervalMs: 1000,
    count: 3,
    concurrency: 1,
    maxAttempts: 8,
    retryBaseMs: 100,
    retryMaxMs: 1000,
    requestTimeoutMs: 5000,
    logger: logs.logger,
    signal: controller.signal,
    now: time.now,
    sleep: time.sleep,
    random: () => 0.5,
    ...overrides
  }
  return { sidecar, time, logs, controller, options, run: () => runGenerator(options) }
}

t.test('sends count orders at the interval, each through the sidecar as the quickstart body', async (t) => {
  const seen: Array<{ appId: string, method: string, options: InvokeOptions }> = []
  const delivered: string[] = []
  const { sidecar, time, logs, run } = setup({ onDelivered: (id) => delivered.push(id) })
  sidecar.onInvoke((appId, method, options) => {
    seen.push({ appId, method, options })
    time.advance(7)
    return response(200, { orderId: (options.body as { data: { orderId: string } }).data.orderId })
  })
  const summary = await run()
  const traceparents = seen.map((s) => s.options.traceContext?.traceparent ?? '')
  t.same(seen.map((s) => [s.appId, s.method, s.options]), [1, 2, 3].map((n, i) => ['nodeapp', 'neworder', { httpMethod: 'POST', body: { data: { orderId: String(n) } }, timeoutMs: 5000, traceContext: { traceparent: traceparents[i] } }]))
  t.ok(traceparents.every((tp) => /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/.test(tp)), 'each order starts a sampled W3C trace')
  t.equal(new Set(traceparents).size, 3, 'a trace of its own per order')
  t.same(summary, { sent: 3, delivered: 3, failed: 0, retried: 0, p50LatencyMs: 7, p99LatencyMs: 7, deliveredIds: ['1', '2', '3'], givenUp: [], stoppedBy: 'count' })
  t.same(delivered, ['1', '2', '3'])
  t.same(time.sleeps, [993, 993], 'fixed rate: the interval minus the time the delivery took')
  t.match(logs.lines.filter((l) => l.orderId !== undefined), [
    { level: 30, orderId: '1', traceId: traceparents[0]?.slice(3, 35), attempts: 1, latencyMs: 7, msg: 'Order 1 delivered' },
    { orderId: '2', traceId: traceparents[1]?.slice(3, 35) },
    { orderId: '3', traceId: traceparents[2]?.slice(3, 35) }
  ])
})

t.test('a delivery slower than the interval is followed at once, without a catch-up burst', async (t) => {
  const { sidecar, time, run } = setup({ count: 3 })
  sidecar.onInvoke(() => { time.advance(2500); return response(200, {}) })
  await run()
  t.same(time.sleeps, [], 'never waits, and never starts two at once to catch up')
})

t.test('transient failures are retried with full-jitter backoff until a 2xx', async (t) => {
  const { sidecar, logs, time, run } = setup({ count: 1 })
  const answers = [errors.network(), errors.timeout(), errors.invoke(500), response(429, {}), response(502, {}), response(503, { code: 'ORDER_ERR_STORE_UNAVAILABLE' }), response(504, {}), response(200, {})]
  sidecar.onInvoke(() => {
    const next = answers.shift()!
    if (next instanceof Error) throw next
    return next
  })
  const summary = await run()
  t.match(summary, { sent: 1, delivered: 1, failed: 0, retried: 7, deliveredIds: ['1'] })
  t.same(time.sleeps, [50, 100, 200, 400, 500, 500, 500], 'half of min(1000, 100 * 2^(n-1))')
  t.equal(summary.p50LatencyMs, 2250, 'latency counts the retries')
  t.match(logs.lines.filter((l) => l.level === 40).map((l) => l.reason), [/^SIDECAR_ERR_NETWORK/, /^SIDECAR_ERR_TIMEOUT/, /^SIDECAR_ERR_INVOKE/, 'HTTP 429', 'HTTP 502', 'HTTP 503 ORDER_ERR_STORE_UNAVAILABLE', 'HTTP 504'])
})

t.test('an order is given up after GENERATOR_MAX_ATTEMPTS, with its id and reason logged', async (t) => {
  const { sidecar, logs, time, run } = setup({ count: 2, maxAttempts: 4, random: () => 0.999 })
  sidecar.onInvoke((_a, _m, options) => (options.body as { data: { orderId: string } }).data.orderId === '1' ? response(503, { code: 'ORDER_ERR_STORE_UNAVAILABLE' }) : response(200, {}))
  const summary = await run()
  const reason = 'no success after 4 attempts, last: HTTP 503 ORDER_ERR_STORE_UNAVAILABLE'
  t.match(summary, { sent: 2, delivered: 1, failed: 1, retried: 3, deliveredIds: ['2'], givenUp: [{ orderId: '1', reason }] })
  t.ok(time.sleeps.slice(0, 3).every((ms) => ms < 1000), 'every delay stays under the bound')
  t.match(logs.lines.find((l) => l.level === 50), { orderId: '1', reason, msg: `Gave up on order 1: ${reason}` })
})

t.test('4xx, a 500 from the app and final sidecar errors are never retried', async (t) => {
  const answers = [response(400, { code: 'FST_ERR_VALIDATION' }), response(409, { code: 'ORDER_ERR_CONFLICT' }), response(500, {}), errors.invoke(403), response(401, {})]
  const { sidecar, run } = setup({ count: answers.length })
  sidecar.onInvoke(() => {
    const next = answers.shift()!
    if (next instanceof Error) throw next
    return next
  })
  const summary = await run()
  t.match(summary, { sent: 5, delivered: 0, failed: 5, retried: 0, p50LatencyMs: null, p99LatencyMs: null })
  t.match(summary.givenUp.map((g) => g.reason), ['HTTP 400 FST_ERR_VALIDATION', 'HTTP 409 ORDER_ERR_CONFLICT', 'HTTP 500', /^SIDECAR_ERR_INVOKE: /, 'HTTP 401'])
})

t.test('stopping during a retry wait gives the order up as stopped; the run ends by signal', async (t) => {
  const { sidecar, controller, run } = setup({ count: undefined })
  sidecar.onInvoke(() => {
    controller.abort()
    return response(503, {})
  })
  const summary = await run()
  t.match(summary, { sent: 1, delivered: 0, failed: 1, stoppedBy: 'signal', givenUp: [{ orderId: '1', reason: 'stopped before delivery, last: HTTP 503' }] })
})

t.test('stopping between orders ends cleanly, after the order in flight was delivered', async (t) => {
  const { sidecar, controller, run } = setup({ count: undefined })
  sidecar.onInvoke((_a, _m, options) => {
    if ((options.body as { data: { orderId: string } }).data.orderId === '2') controller.abort()
    return response(200, {})
  })
  const summary = await run()
  t.match(summary, { sent: 2, delivered: 2, failed: 0, stoppedBy: 'signal', deliveredIds: ['1', '2'] })
})

t.test('stopping during the wait for the next order ends cleanly', async (t) => {
  const { sidecar, controller, options } = setup({ count: undefined })
  sidecar.onInvoke(() => response(200, {}))
  options.sleep = async () => {
    controller.abort()
    return false
  }
  t.match(await runGenerator(options), { sent: 1, delivered: 1, failed: 0, stoppedBy: 'signal' })
})

t.test('an aborted signal at start sends nothing', async (t) => {
  const { controller, run } = setup()
  controller.abort()
  t.match(await run(), { sent: 0, stoppedBy: 'signal' })
})

t.test('GENERATOR_CONCURRENCY bounds the orders in flight', async (t) => {
  let inFlight = 0
  let most = 0
  const { sidecar, run } = setup({ count: 7, concurrency: 3, intervalMs: 0 })
  sidecar.onInvoke(async () => {
    most = Math.max(most, ++inFlight)
    for (let i = 0; i < 5; i++) await Promise.resolve()
    inFlight--
    return response(200, {})
  })
  const summary = await run()
  t.equal(most, 3)
  t.equal(summary.delivered, 7)
  t.same([...summary.deliveredIds].sort(), ['1', '2', '3', '4', '5', '6', '7'])
})

t.test('ids come from reserved blocks, so a restarted generator continues after its last block', async (t) => {
  const sidecar = fakeSidecar()
  const first = await setup({ count: 3 }, sidecar).run()
  const second = await setup({ count: 3 }, sidecar).run()
  t.same(first.deliveredIds, ['1', '2', '3'])
  t.same(second.deliveredIds, ['101', '102', '103'])
  t.equal(sidecar.data.get('order-id-counter')?.value, 200)
})

t.test('a store that is down while reserving ids is retried, then the run goes on', async (t) => {
  const { sidecar, time, run } = setup({ count: 1 })
  let failures = 2
  sidecar.failWhen((op) => op === 'update' && failures-- > 0 ? (failures === 0 ? errors.etag() : errors.network()) : undefined)
  const summary = await run()
  t.match(summary, { delivered: 1, deliveredIds: ['1'] })
  t.same(time.sleeps, [50, 100])
})

t.test('ids that cannot be reserved end the run as fatal', async (t) => {
  const { sidecar, logs, run } = setup({ count: 5, maxAttempts: 2 })
  sidecar.failWhen((op) => op === 'update' ? errors.network() : undefined)
  const summary = await run()
  t.match(summary, { sent: 0, stoppedBy: 'fatal', fatal: /^could not reserve order ids: Dapr sidecar unreachable/ })
  t.ok(logs.lines.some((l) => l.level === 50 && String(l.msg).startsWith('could not reserve order ids')))
})

t.test('a corrupt counter is fatal at once', async (t) => {
  const { sidecar, run } = setup()
  sidecar.data.set('order-id-counter', { value: 'x', etag: 1 })
  t.match(await run(), { sent: 0, stoppedBy: 'fatal', fatal: /not a non-negative integer counter/ })
  t.equal(sidecar.calls.filter((c) => c.op === 'update').length, 1)
})

t.test('stopping while waiting to retry a reservation ends the run by signal', async (t) => {
  const { sidecar, controller, run } = setup()
  sidecar.failWhen((op) => {
    if (op === 'update') {
      controller.abort()
      return errors.network()
    }
    return undefined
  })
  t.match(await run(), { sent: 0, failed: 0, stoppedBy: 'signal' })
})

t.test('an order that cannot be recorded as delivered is still delivered, and the failure logged', async (t) => {
  const { logs, run } = setup({ count: 1, onDelivered: () => { throw new Error('disk full') } })
  t.match(await run(), { delivered: 1 })
  t.match(logs.lines.find((l) => l.level === 50), { orderId: '1', err: { message: 'disk full' }, msg: 'Order 1 delivered but could not be recorded' })
})

t.test('percentile is nearest-rank', async (t) => {
  t.equal(percentile([], 0.5), null)
  t.equal(percentile([5], 0.99), 5)
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1)
  t.equal(percentile(hundred, 0.5), 50)
  t.equal(percentile(hundred, 0.99), 99)
  t.equal(percentile([1, 2, 3], 0), 1)
})

t.test('abortableSleep resolves true after the delay and false once aborted', async (t) => {
  t.equal(await abortableSleep(1, new AbortController().signal), true)
  t.equal(await abortableSleep(60_000, AbortSignal.abort()), false)
})

t.test('defaults: real clock, sleep and randomness', async (t) => {
  const { sidecar, options } = setup({ count: 2, intervalMs: 1, now: undefined, sleep: undefined, random: undefined })
  sidecar.onInvoke(() => response(200, {}))
  t.match(await runGenerator(options), { delivered: 2 })
})

/** An observer that records what it is told, in order. */
function recorder () {
  const events: string[] = []
  return {
    events,
    observer: {
      sent: () => { events.push('sent') },
      delivered: (ms: number) => { events.push(`delivered ${ms}`) },
      retried: () => { events.push('retried') },
      gaveUp: (kind: string) => { events.push(`gaveUp ${kind}`) }
    }
  }
}

t.test('the observer hears of every order as it happens, with why it was given up', async (t) => {
  const { events, observer } = recorder()
  const answers = [response(503, {}), response(200, {}), response(409, {}), response(503, {}), response(503, {})]
  const { sidecar, time, run } = setup({ count: 3, maxAttempts: 2, intervalMs: 0, observer })
  sidecar.onInvoke(() => { time.advance(4); return answers.shift()! })
  const summary = await run()
  t.same(events, ['sent', 'retried', 'delivered 58', 'sent', 'gaveUp rejected', 'sent', 'retried', 'gaveUp exhausted'])
  t.match(summary, { sent: 3, delivered: 1, retried: 2, failed: 2 })

  const stopped = recorder()
  const s = setup({ count: undefined, observer: stopped.observer })
  s.sidecar.onInvoke(() => { s.controller.abort(); return response(503, {}) })
  await s.run()
  t.same(stopped.events, ['sent', 'retried', 'gaveUp stopped'])
})

t.test('retries of one order stay in its trace, and given-up orders name their trace', async (t) => {
  const traces = [
    { traceId: '0af7651916cd43dd8448eb211c80319c', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }
  ]
  const seen: Array<[string, string | undefined]> = []
  const { sidecar, logs, run } = setup({ count: 2, maxAttempts: 3, trace: () => traces.shift()! })
  sidecar.onInvoke((_a, _m, options) => {
    const orderId = (options.body as { data: { orderId: string } }).data.orderId
    seen.push([orderId, options.traceContext?.traceparent])
    return orderId === '1' ? response(503, {}) : response(200, {})
  })
  const summary = await run()
  t.same(seen, [
    ['1', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'],
    ['1', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'],
    ['1', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'],
    ['2', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01']
  ])
  t.match(summary.givenUp, [{ orderId: '1', traceId: '0af7651916cd43dd8448eb211c80319c' }])
  const byOrder = (id: string) => logs.lines.filter((l) => l.orderId === id).map((l) => l.traceId)
  t.same(byOrder('1'), ['0af7651916cd43dd8448eb211c80319c', '0af7651916cd43dd8448eb211c80319c', '0af7651916cd43dd8448eb211c80319c'], 'both retries and the give-up')
  t.same(byOrder('2'), ['4bf92f3577b34da6a3ce929d0e0e4736'])
})
