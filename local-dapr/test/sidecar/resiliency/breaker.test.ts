import t from 'tap'
import { BreakerOpenError, BreakerTooManyRequestsError, createBreaker, type BreakerSettings, type BreakerState } from '../../../src/sidecar/resiliency/breaker.js'
import { compileTrip } from '../../../src/sidecar/resiliency/trip.js'

function setup (settings: Partial<BreakerSettings> = {}) {
  let clock = 1_000
  const changes: string[] = []
  const cb = createBreaker('app:m', { maxRequests: 0, intervalMs: 0, timeoutMs: 0, trip: undefined, ...settings }, (name, from: BreakerState, to: BreakerState) => changes.push(`${name} ${from}->${to}`), () => clock)
  const ok = () => cb.execute(async () => 'ok')
  const fail = () => cb.execute(async () => { throw new Error('boom') }).catch((e: Error) => e.message)
  return { cb, ok, fail, changes, advance: (ms: number) => { clock += ms } }
}

t.test('defaults: trips after more than 5 consecutive failures, open 60 s, one trial call', async (t) => {
  const { cb, ok, fail, changes, advance } = setup()
  for (let i = 0; i < 5; i++) await fail()
  t.equal(cb.state(), 'closed')
  t.match(cb.counts(), { requests: 5, totalFailures: 5, consecutiveFailures: 5 })
  t.equal(await fail(), 'boom')
  t.equal(cb.state(), 'open')
  await t.rejects(ok(), BreakerOpenError)
  await t.rejects(ok(), /circuit breaker is open/)
  advance(60_001)
  t.equal(cb.state(), 'half-open')
  let release: () => void = () => {}
  const trial = cb.execute(() => new Promise<string>((resolve) => { release = () => resolve('trial') }))
  await t.rejects(ok(), BreakerTooManyRequestsError)
  await t.rejects(ok(), /too many requests/)
  release()
  t.equal(await trial, 'trial')
  t.equal(cb.state(), 'closed')
  t.same(changes, ['app:m closed->open', 'app:m open->half-open', 'app:m half-open->closed'])
  t.equal(new BreakerOpenError().code, 'RESILIENCY_ERR_BREAKER_OPEN')
  t.equal(new BreakerTooManyRequestsError().code, 'RESILIENCY_ERR_BREAKER_TOO_MANY_REQUESTS')
})

t.test('trip expression, interval reset, half-open failure, stale generation', async (t) => {
  const { cb, ok, fail, changes, advance } = setup({ trip: compileTrip('consecutiveFailures >= 2'), intervalMs: 10_000, timeoutMs: 5_000, maxRequests: 2 })
  await fail()
  advance(10_001)
  t.equal(cb.state(), 'closed')
  t.equal(cb.counts().consecutiveFailures, 0, 'the interval cleared the counts')
  await ok()
  await fail()
  await fail()
  t.equal(cb.state(), 'open')
  advance(5_001)
  await ok()
  t.equal(cb.state(), 'half-open', 'two successes needed to close')
  await fail()
  t.equal(cb.state(), 'open', 'a failure in half-open opens again')
  advance(5_001)
  await ok()
  await ok()
  t.equal(cb.state(), 'closed', 'maxRequests successes close it')
  // A call that started in an older generation does not count.
  await fail()
  await fail()
  advance(5_001)
  let release: () => void = () => {}
  const slow = cb.execute(() => new Promise<void>((resolve) => { release = resolve }))
  await fail()
  t.equal(cb.state(), 'open')
  release()
  await slow
  t.equal(cb.state(), 'open', 'the late success belonged to the half-open generation')
  t.equal(cb.counts().requests, 0)
  t.ok(changes.length >= 6)
})
