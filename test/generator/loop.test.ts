import t from 'tap'
import { abortableSleep, percentile, runGenerator, type DeliveryStatus, type GeneratorOptions } from '../../src/generator/loop.js'
import { SidecarOptionError, type InvokeOptions } from '../../src/sidecar/index.js'
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

const idOf = (options: InvokeOptions): string => (options.body as { data: { orderId: string } }).data.orderId

/** Answers in turn; an Error is thrown, a status becomes a response. */
function scripted (answers: Array<number | Error>) {
  return () => {
    const next = answers.shift() ?? 200
    if (next instanceof Error) throw next
    return response(next, next === 503 ? { code: 'ORDER_ERR_STORE_UNAVAILABLE' } : {})
  }
}

function setup (overrides: Partial<GeneratorOptions> = {}, sidecar: FakeSidecar = fakeSidecar()) {
  const time = clock()
  const logs = captureLogs('info')
  const controller = new AbortController()
  const delivered: string[] = []
  const options: GeneratorOptions = {
    sidecar,
    targetAppId: 'nodeapp',
    storeName: 'statestore',
    counterKey: 'order-id-counter',
    blockSize: 100,
    intervalMs: 1000,
    count: 3,
    concurrency: 1,
    retryBaseMs: 100,
    retryMaxMs: 1000,
    requestTimeoutMs: 5000,
    logger: logs.logger,
    signal: controller.signal,
    onDelivered: (id) => delivered.push(id),
    now: time.now,
    sleep: time.sleep,
    random: () => 0.5,
    ...overrides
  }
  return { sidecar, time, logs, controller, options, delivered, run: () => runGenerator(options) }
}

const pauses = (lines: Array<Record<string, unknown>>) => lines.filter((l) => /^Delivery (paused|resumed)/.test(String(l.msg)))

t.test('sends count orders at the interval, each through the sidecar as the quickstart body', async (t) => {
  const seen: Array<{ appId: string, method: string, options: InvokeOptions }> = []
  const { sidecar, time, logs, delivered, run } = setup()
  sidecar.onInvoke((appId, method, options) => {
    seen.push({ appId, method, options })
    time.advance(7)
    return response(200, { orderId: idOf(options) })
  })
  const summary = await run()
  const traceparents = seen.map((s) => s.options.traceContext?.traceparent ?? '')
  t.same(seen.map((s) => [s.appId, s.method, s.options]), [1, 2, 3].map((n, i) => ['nodeapp', 'neworder', { httpMethod: 'POST', body: { data: { orderId: String(n) } }, timeoutMs: 5000, traceContext: { traceparent: traceparents[i] } }]))
  t.ok(traceparents.every((tp) => /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/.test(tp)), 'each order starts a sampled W3C trace')
  t.equal(new Set(traceparents).size, 3, 'a trace of its own per order')
  t.same(summary, { sent: 3, delivered: 3, failed: 0, retried: 0, pauses: 0, p50LatencyMs: 7, p99LatencyMs: 7, givenUp: [], unacknowledged: [], stoppedBy: 'count' })
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

t.test('every answer but a 2xx or a permanent 4xx is retried with capped full-jitter backoff, logged once as a pause', async (t) => {
  const { sidecar, logs, time, run } = setup({ count: 1 })
  const answers = [errors.network(), errors.timeout(), errors.invoke(500), 429, 408, 425, 500, 502, 503, 504, new Error('something odd'), 200]
  sidecar.onInvoke(scripted(answers))
  const summary = await run()
  t.match(summary, { sent: 1, delivered: 1, failed: 0, retried: 11, pauses: 1, unacknowledged: [] })
  t.same(time.sleeps, [50, 100, 200, 400, 500, 500, 500, 500, 500, 500, 500], 'half of min(1000, 100 * 2^(n-1))')
  t.equal(summary.p50LatencyMs, 4250, 'latency counts the retries')
  t.match(pauses(logs.lines), [
    { level: 40, orderId: '1', reason: /^SIDECAR_ERR_NETWORK: /, pending: 1, msg: /^Delivery paused, no new orders until nodeapp answers again: order 1 got SIDECAR_ERR_NETWORK/ },
    { level: 30, pausedMs: 4250, retries: 11, pending: 0, msg: 'Delivery resumed after 4250 ms (11 retries)' }
  ])
  t.equal(logs.lines.filter((l) => l.level === 40).length, 1, 'one warning for the whole outage, not one per retry')
})

t.test('no order is given up because an outage is long: 5,000 failures, then delivered', async (t) => {
  let failures = 5000
  const { sidecar, logs, time, delivered, run } = setup({ count: 2 })
  sidecar.onInvoke(() => failures-- > 0 ? response(503, {}) : response(200, {}))
  const summary = await run()
  t.match(summary, { sent: 2, delivered: 2, failed: 0, retried: 5000, pauses: 1 })
  t.same(delivered, ['1', '2'])
  t.ok(time.sleeps.every((ms) => ms <= 500), 'the backoff stays capped however many retries (no overflow after 1,024)')
  t.equal(pauses(logs.lines).length, 2, 'one pause line and one resume line')
})

t.test('a permanent answer (4xx but 408/425/429, daprd 401/403/404, an option error) ends an order with its reason; nothing else does', async (t) => {
  const auth = Object.assign(errors.invoke(401), { code: 'SIDECAR_ERR_AUTH' })
  const answers = [400, 409, 404, errors.invoke(403), errors.invoke(404), auth, new SidecarOptionError('bad timeoutMs')]
  const { sidecar, logs, run } = setup({ count: answers.length })
  sidecar.onInvoke(() => {
    const next = answers.shift()!
    if (next instanceof Error) throw next
    return response(next, next === 409 ? { code: 'ORDER_ERR_CONFLICT' } : {})
  })
  const summary = await run()
  t.match(summary, { sent: 7, delivered: 0, failed: 7, retried: 0, pauses: 0, p50LatencyMs: null, p99LatencyMs: null, unacknowledged: [] })
  t.match(summary.givenUp.map((g) => g.reason), ['HTTP 400', 'HTTP 409 ORDER_ERR_CONFLICT', 'HTTP 404', /^SIDECAR_ERR_INVOKE: /, /^SIDECAR_ERR_INVOKE: /, /^SIDECAR_ERR_AUTH: /, 'SIDECAR_ERR_INVALID_OPTION: bad timeoutMs'])
  t.match(logs.lines.find((l) => l.level === 50), { orderId: '1', reason: 'HTTP 400', msg: 'Order 1 rejected, not retried: HTTP 400' })
})

t.test('the summary lists at most 1,000 rejected orders, and counts them all', async (t) => {
  const { sidecar, run } = setup({ count: 1002, intervalMs: 0 })
  sidecar.onInvoke(() => response(400, {}))
  const summary = await run()
  t.equal(summary.failed, 1002)
  t.equal(summary.givenUp.length, 1000)
})

t.test('while paused no order is created; the oldest probes, the others wait, then all go on in order', async (t) => {
  const statuses: DeliveryStatus[] = []
  let watch: (() => DeliveryStatus) | undefined
  const observer = { sent () {}, delivered () {}, retried () {}, gaveUp () {}, watch: (s: () => DeliveryStatus) => { watch = s } }
  const seen: string[] = []
  let down = true
  const { sidecar, time, logs, delivered, run } = setup({ count: 6, concurrency: 3, intervalMs: 0, observer })
  sidecar.onInvoke((_a, _m, options) => {
    seen.push(idOf(options))
    statuses.push(watch!())
    time.advance(10)
    // Down until order 1 has been tried four times.
    if (seen.filter((id) => id === '1').length === 4) down = false
    return down ? response(503, {}) : response(200, {})
  })
  const summary = await run()
  t.same(seen, ['1', '2', '1', '1', '1', '2', '3', '4', '5', '6'], 'no order 3 until the outage is over; 2 waits for 1, then goes first')
  t.same(delivered, ['1', '2', '3', '4', '5', '6'])
  t.match(summary, { sent: 6, delivered: 6, failed: 0, pauses: 1, retried: 4 })
  t.ok(statuses.every((s) => s.pending <= 3), 'never more than GENERATOR_CONCURRENCY orders held')
  t.match(statuses.slice(2, 5), [{ paused: true, pending: 2 }, { paused: true, pending: 2 }, { paused: true, pending: 2 }], 'paused while down, and no order created')
  t.ok(statuses[4]!.oldestPendingMs > statuses[2]!.oldestPendingMs, 'the oldest pending order ages during the outage')
  t.match(statuses.at(-1), { paused: false, pending: 1 })
  t.same(watch!(), { pending: 0, oldestPendingMs: 0, paused: false }, 'nothing pending at the end')
  t.equal(pauses(logs.lines).length, 2)
})

t.test('an outage that starts while an id is being reserved holds that order back until the resume', async (t) => {
  const seen: string[] = []
  let release: () => void = () => {}
  const reserved = new Promise<void>((resolve) => { release = resolve })
  const { sidecar, run } = setup({ count: 2, concurrency: 2, intervalMs: 0, blockSize: 1 })
  let reservations = 0
  const update = sidecar.state.update.bind(sidecar.state)
  sidecar.state.update = (async (...args: Parameters<typeof update>) => {
    // The second reservation is still under way when order 1 hears the outage.
    if (++reservations === 2) await reserved
    return await update(...args)
  }) as typeof update
  let failed = false
  sidecar.onInvoke((_a, _m, options) => {
    seen.push(idOf(options))
    if (!failed) {
      failed = true
      setImmediate(release)
      return response(503, {})
    }
    return response(200, {})
  })
  const summary = await run()
  t.same(seen, ['1', '1', '2'], 'order 2 is created only after order 1 got through')
  t.match(summary, { sent: 2, delivered: 2, pauses: 1 })
})

t.test('a pause that starts while the next order waits for its turn holds it back too', async (t) => {
  const seen: string[] = []
  const { sidecar, time, options } = setup({ count: 2, concurrency: 2 })
  // The interval wait ends after order 1's first answer, and before its first retry.
  const turn = async () => await new Promise((resolve) => setImmediate(resolve))
  options.sleep = async (ms, signal) => {
    await turn()
    if (ms !== 1000) await turn()
    return await time.sleep(ms, signal)
  }
  sidecar.onInvoke((_a, _m, opts) => { seen.push(idOf(opts)); return seen.length < 3 ? response(503, {}) : response(200, {}) })
  t.match(await runGenerator(options), { sent: 2, delivered: 2, pauses: 1 })
  t.same(seen, ['1', '1', '1', '2'])
})

t.test('a permanent answer to the probing order also ends the pause', async (t) => {
  const { sidecar, delivered, run } = setup({ count: 3, concurrency: 2, intervalMs: 0 })
  sidecar.onInvoke(scripted([503, 503, 409]))
  const summary = await run()
  t.match(summary, { sent: 3, delivered: 2, failed: 1, pauses: 1, givenUp: [{ orderId: '1', reason: 'HTTP 409' }] })
  t.same(delivered, ['2', '3'])
})

t.test('a stop during an outage ends at once and logs every id created but never acknowledged', async (t) => {
  const events: string[] = []
  const observer = { sent () {}, delivered () {}, retried () { events.push('retried') }, gaveUp (kind: string) { events.push(kind) } }
  const { sidecar, logs, controller, time, run } = setup({ count: undefined, concurrency: 3, intervalMs: 0, observer })
  let calls = 0
  sidecar.onInvoke(() => {
    if (++calls === 6) controller.abort()
    return response(503, {})
  })
  const summary = await run()
  t.match(summary, { sent: 2, delivered: 0, failed: 2, stoppedBy: 'signal', unacknowledged: ['1', '2'], givenUp: [] })
  t.same(events.filter((e) => e === 'stopped'), ['stopped', 'stopped'])
  t.match(logs.lines.find((l) => l.level === 50), { unacknowledged: ['1', '2'], traceIds: [String, String], msg: 'Stopped with 2 orders created but never acknowledged: 1, 2' })
  t.equal(calls, 6, 'no attempt after the stop')
  t.equal(time.sleeps.length, 4, 'and no retry wait: the four waits are those of order 1 before it')
})

t.test('a stop during a retry wait ends the wait at once', async (t) => {
  const { sidecar, controller, time, options } = setup({ count: undefined })
  sidecar.onInvoke(() => response(503, {}))
  options.sleep = async (ms, signal) => {
    if (ms === 1000) return await time.sleep(ms, signal)
    controller.abort()
    return false
  }
  t.match(await runGenerator(options), { sent: 1, failed: 1, retried: 1, unacknowledged: ['1'], stoppedBy: 'signal' })
})

t.test('a stop while an attempt is on the wire lets it finish; a failure then ends the order without a pause line', async (t) => {
  const { sidecar, logs, controller, run } = setup({ count: undefined })
  sidecar.onInvoke(() => { controller.abort(); return response(503, {}) })
  const summary = await run()
  t.match(summary, { sent: 1, failed: 1, retried: 0, pauses: 0, unacknowledged: ['1'], stoppedBy: 'signal' })
  t.same(pauses(logs.lines), [])

  const ok = setup({ count: undefined })
  ok.sidecar.onInvoke((_a, _m, options) => { if (idOf(options) === '2') ok.controller.abort(); return response(200, {}) })
  t.match(await ok.run(), { sent: 2, delivered: 2, failed: 0, stoppedBy: 'signal', unacknowledged: [] })
  t.same(ok.delivered, ['1', '2'])
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
  t.match(await run(), { sent: 0, stoppedBy: 'signal', unacknowledged: [] })
})

t.test('GENERATOR_CONCURRENCY bounds the orders in flight', async (t) => {
  let inFlight = 0
  let most = 0
  const { sidecar, delivered, run } = setup({ count: 7, concurrency: 3, intervalMs: 0 })
  sidecar.onInvoke(async () => {
    most = Math.max(most, ++inFlight)
    for (let i = 0; i < 5; i++) await Promise.resolve()
    inFlight--
    return response(200, {})
  })
  const summary = await run()
  t.equal(most, 3)
  t.equal(summary.delivered, 7)
  t.same([...delivered].sort(), ['1', '2', '3', '4', '5', '6', '7'])
})

t.test('ids come from reserved blocks, so a restarted generator continues after its last block', async (t) => {
  const sidecar = fakeSidecar()
  const first = setup({ count: 3 }, sidecar)
  await first.run()
  const second = setup({ count: 3 }, sidecar)
  await second.run()
  t.same(first.delivered, ['1', '2', '3'])
  t.same(second.delivered, ['101', '102', '103'])
  t.equal(sidecar.data.get('order-id-counter')?.value, 200)
})

t.test('a store that is down while reserving ids is waited out, however long, with one line each way', async (t) => {
  let status: (() => DeliveryStatus) | undefined
  const pausedSeen: boolean[] = []
  const observer = { sent () {}, delivered () {}, retried () {}, gaveUp () {}, watch: (s: () => DeliveryStatus) => { status = s } }
  const { sidecar, time, logs, delivered, run } = setup({ count: 1, observer })
  let failures = 30
  sidecar.failWhen((op) => {
    if (op !== 'update') return undefined
    pausedSeen.push(status!().paused)
    return failures-- > 0 ? (failures === 0 ? errors.etag() : errors.network()) : undefined
  })
  const summary = await run()
  t.match(summary, { delivered: 1, pauses: 1 })
  t.same(delivered, ['1'])
  t.same(time.sleeps.slice(0, 4), [50, 100, 200, 400])
  t.equal(time.sleeps.length, 30)
  t.same([pausedSeen[0], pausedSeen[1], pausedSeen.at(-1)], [false, true, true], 'paused from the first failure on')
  t.equal(status!().paused, false, 'not paused once ids are reserved again')
  t.match(logs.lines.filter((l) => /Order ids/.test(String(l.msg))), [
    { level: 40, msg: 'Order ids could not be reserved, no new orders until the state store answers again' },
    { level: 30, msg: /^Order ids reserved again after \d+ ms$/ }
  ])
})

t.test('a corrupt counter is fatal at once', async (t) => {
  const { sidecar, logs, run } = setup()
  sidecar.data.set('order-id-counter', { value: 'x', etag: 1 })
  t.match(await run(), { sent: 0, stoppedBy: 'fatal', fatal: /^could not reserve order ids: .*not a non-negative integer counter/ })
  t.equal(sidecar.calls.filter((c) => c.op === 'update').length, 1)
  t.ok(logs.lines.some((l) => l.level === 50 && String(l.msg).startsWith('could not reserve order ids')))
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

t.test('latency percentiles look at the last 10,000 deliveries only (bounded memory)', async (t) => {
  let n = 0
  const { sidecar, time, run } = setup({ count: 10_500, intervalMs: 0, onDelivered: undefined })
  // The first 500 take 1 s each, the last 10,000 take 1 ms.
  sidecar.onInvoke(() => { time.advance(++n <= 500 ? 1000 : 1); return response(200, {}) })
  t.match(await run(), { delivered: 10_500, p50LatencyMs: 1, p99LatencyMs: 1 })
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

t.test('the observer hears of every order as it happens', async (t) => {
  const events: string[] = []
  const observer = {
    sent: () => { events.push('sent') },
    delivered: (ms: number) => { events.push(`delivered ${ms}`) },
    retried: () => { events.push('retried') },
    gaveUp: (kind: string) => { events.push(`gaveUp ${kind}`) }
  }
  const { sidecar, time, run } = setup({ count: 2, intervalMs: 0, observer })
  const answers = [503, 200, 409]
  sidecar.onInvoke(() => { time.advance(4); return scripted(answers)() })
  const summary = await run()
  t.same(events, ['sent', 'retried', 'delivered 58', 'sent', 'gaveUp rejected'])
  t.match(summary, { sent: 2, delivered: 1, retried: 1, failed: 1 })
})

t.test('retries of one order stay in its trace, and rejected orders name their trace', async (t) => {
  const traces = [
    { traceId: '0af7651916cd43dd8448eb211c80319c', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }
  ]
  const seen: Array<[string, string | undefined]> = []
  const { sidecar, logs, run } = setup({ count: 2, trace: () => traces.shift()! })
  const answers = [503, 503, 400, 200]
  sidecar.onInvoke((_a, _m, options) => {
    seen.push([idOf(options), options.traceContext?.traceparent])
    return scripted(answers)()
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
  t.same(byOrder('1'), ['0af7651916cd43dd8448eb211c80319c', '0af7651916cd43dd8448eb211c80319c'], 'the pause and the rejection')
  t.same(byOrder('2'), ['4bf92f3577b34da6a3ce929d0e0e4736'])
})
