import t from 'tap'
import { defaultRetryConfig, newBackOff } from '../../../src/sidecar/resiliency/backoff.js'

const drain = (b: { next (): bigint | undefined }, max = 10): Array<bigint | undefined> => Array.from({ length: max }, () => b.next())

t.test('constant', async (t) => {
  t.same(drain(newBackOff({ ...defaultRetryConfig(), maxRetries: 2 }), 3), [5_000_000_000n, 5_000_000_000n, undefined])
  t.same(drain(newBackOff({ ...defaultRetryConfig(), maxRetries: 0 }), 1), [undefined], 'maxRetries 0: no retry')
  t.same(drain(newBackOff({ ...defaultRetryConfig(), durationNs: 1n }), 20), Array(20).fill(1n), '-1: no limit')
})

t.test('exponential: x1.5 from 500 ms, jitter, capped interval, elapsed limit', async (t) => {
  let clock = 0
  const base = { ...defaultRetryConfig(), policy: 'exponential' as const, maxIntervalNs: 1_000_000_000n }
  t.same(drain(newBackOff({ ...base, randomizationFactor: 0 }, Math.random, () => clock), 4), [500_000_000n, 750_000_000n, 1_000_000_000n, 1_000_000_000n])
  const low = newBackOff(base, () => 0, () => clock)
  t.equal(low.next(), 250_000_000n, 'random 0: half the interval')
  const high = newBackOff({ ...base, maxRetries: 1 }, () => 1, () => clock)
  t.equal(high.next(), 750_000_001n, 'random 1: one and a half (plus Go\'s +1)')
  t.equal(high.next(), undefined)
  const limited = newBackOff({ ...base, randomizationFactor: 0, maxElapsedNs: 1_000_000_000n }, Math.random, () => clock)
  t.equal(limited.next(), 500_000_000n)
  clock = 300
  t.equal(limited.next(), undefined, 'elapsed + next past maxElapsedTime stops')
})
