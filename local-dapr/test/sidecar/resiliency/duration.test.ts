import t from 'tap'
import { DurationError, formatGoDuration, nsToMs, parseDaprDuration, parseGoDuration } from '../../../src/sidecar/resiliency/duration.js'

t.test('parseGoDuration follows time.ParseDuration', async (t) => {
  const ok: Array<[string, bigint]> = [
    ['0', 0n], ['+0', 0n], ['-0', 0n], ['5s', 5_000_000_000n], ['1.5s', 1_500_000_000n], ['.5s', 500_000_000n], ['1.s', 1_000_000_000n],
    ['2h45m', 9_900_000_000_000n], ['-1.5h', -5_400_000_000_000n], ['300ms', 300_000_000n], ['1us', 1_000n], ['1µs', 1_000n], ['1μs', 1_000n], ['7ns', 7n],
    ['1m30s', 90_000_000_000n], ['9223372036854775807ns', 9_223_372_036_854_775_807n], ['-9223372036854775808ns', -9_223_372_036_854_775_808n]
  ]
  for (const [input, ns] of ok) t.equal(parseGoDuration(input), ns, input)
  const bad: Array<[string, RegExp]> = [
    ['', /time: invalid duration ""/], ['5', /time: missing unit in duration "5"/], ['5x', /time: unknown unit "x" in duration "5x"/],
    ['.s', /invalid duration/], ['-', /invalid duration/], ['s', /invalid duration/], ['9223372036854775808ns', /invalid duration/],
    ['99999999999999999999h', /invalid duration/], ['9223372036s1.9999999999s', /invalid duration/], ['2562047h48m', /invalid duration/], ['9223372036.9999999999s', /invalid duration/]
  ]
  for (const [input, message] of bad) t.throws(() => parseGoDuration(input), message, JSON.stringify(input))
  t.equal(new DurationError('x').code, 'RESILIENCY_ERR_DURATION')
})

t.test('parseDaprDuration: an integer is milliseconds', async (t) => {
  t.equal(parseDaprDuration('1500'), 1_500_000_000n)
  t.equal(parseDaprDuration('-20'), -20_000_000n)
  t.equal(parseDaprDuration('2s'), 2_000_000_000n)
  t.throws(() => parseDaprDuration('99999999999999999999'), /time: missing unit/, 'past int64 daprd falls back to ParseDuration')
  t.equal(nsToMs(1_500_000n), 1.5)
})

t.test('formatGoDuration follows Duration.String', async (t) => {
  const cases: Array<[bigint, string]> = [
    [0n, '0s'], [7n, '7ns'], [1_500n, '1.5µs'], [500_000_000n, '500ms'], [637_216_543n, '637.216543ms'], [1_500_000_000n, '1.5s'],
    [120_000_000_000n, '2m0s'], [3_723_000_000_000n, '1h2m3s'], [-2_000_000_000n, '-2s'], [1_000n, '1µs']
  ]
  for (const [ns, s] of cases) t.equal(formatGoDuration(ns), s, s)
})
