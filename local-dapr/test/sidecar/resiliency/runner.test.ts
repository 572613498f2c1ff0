import t from 'tap'
import { defaultRetryConfig } from '../../../src/sidecar/resiliency/backoff.js'
import { BreakerOpenError, createBreaker } from '../../../src/sidecar/resiliency/breaker.js'
import { parseMatching } from '../../../src/sidecar/resiliency/matching.js'
import { CanceledError, CodeError, DeadlineExceededError, hasRetries, PermanentError, runPolicy, type PolicyDefinition } from '../../../src/sidecar/resiliency/runner.js'
import { compileTrip } from '../../../src/sidecar/resiliency/trip.js'

function capture () {
  const lines: Array<[string, string]> = []
  const log = (level: string) => (a: unknown, b?: string) => { lines.push([level, typeof a === 'string' ? a : b as string]) }
  return { lines, logger: { debug: log('debug'), info: log('info'), warn: log('warn') } as never }
}

const retry = (maxRetries: number, http?: string): PolicyDefinition['retry'] => ({ name: 'r', config: { ...defaultRetryConfig(), durationNs: 1_000_000n, maxRetries }, matching: parseMatching(http === undefined ? undefined : { httpStatusCodes: http }) })
const def = (over: Partial<PolicyDefinition>): PolicyDefinition => ({ name: 'endpoint[B, B:m]', timeoutNs: 0n, retry: undefined, breaker: undefined, ...over })

t.test('no policy: once, attempt 0, permanent errors unwrapped', async (t) => {
  const { logger } = capture()
  t.equal(await runPolicy(undefined, async (_s, attempt) => attempt, { logger }), 0)
  await t.rejects(runPolicy(undefined, async () => { throw new PermanentError(new Error('inner')) }, { logger }), { message: 'inner' })
  t.notOk(hasRetries(undefined))
  t.notOk(hasRetries(def({ retry: retry(0) })))
  t.ok(hasRetries(def({ retry: retry(-1) })))
})

t.test('retries until success and logs as daprd does', async (t) => {
  const { lines, logger } = capture()
  let calls = 0
  const v = await runPolicy(def({ retry: retry(3) }), async (_s, attempt) => { calls++; if (attempt < 3) throw new Error(`fail ${attempt}`); return 'done' }, { logger })
  t.equal(v, 'done')
  t.equal(calls, 3)
  t.same(lines.filter(([l]) => l === 'warn').map(([, m]) => m), ['Error processing operation endpoint[B, B:m]. Retrying in 1ms…'], 'one warning per operation')
  t.ok(lines.some(([l, m]) => l === 'debug' && m === 'Error for operation endpoint[B, B:m] was: fail 1'))
  t.equal(lines.filter(([l, m]) => l === 'debug' && /^Retrying operation/.test(m)).length, 2, 'every retry at debug')
  t.ok(lines.some(([l, m]) => l === 'info' && m === 'Recovered processing operation endpoint[B, B:m] after 3 attempts'))
})

t.test('exhausted retries reject with the last error; matching decides for coded errors', async (t) => {
  const { lines, logger } = capture()
  let calls = 0
  await t.rejects(runPolicy(def({ retry: retry(2) }), async () => { calls++; throw new Error(`e${calls}`) }, { logger }), { message: 'e3' })
  t.ok(lines.some(([, m]) => /failed after 3 attempts, retry policy r exhausted/.test(m)))
  calls = 0
  const coded = await runPolicy(def({ retry: retry(5, '503') }), async () => { calls++; throw new CodeError(calls === 1 ? 503 : 500, 'x', { n: calls }) }, { logger }).catch((e: unknown) => e)
  t.match(coded, { status: 500, detail: { n: 2 } })
  t.equal(calls, 2, '503 retried, 500 not')
  calls = 0
  await t.rejects(runPolicy(def({ retry: retry(5, '503') }), async () => { calls++; throw new PermanentError(new Error('stop')) }, { logger }), { message: 'stop' })
  t.equal(calls, 1)
})

t.test('timeout per attempt: aborts the attempt, retried, late results disposed', async (t) => {
  const { lines, logger } = capture()
  const disposed: string[] = []
  let aborted = 0
  const v = await runPolicy(def({ timeoutNs: 20_000_000n, retry: retry(3) }), (signal, attempt) => new Promise<string>((resolve) => {
    signal.addEventListener('abort', () => { aborted++; setTimeout(() => resolve(`late ${attempt}`), 5) })
    if (attempt === 2) resolve('in time')
  }), { logger, dispose: (x) => disposed.push(x) })
  t.equal(v, 'in time')
  t.equal(aborted, 1)
  await new Promise((resolve) => setTimeout(resolve, 30))
  t.same(disposed, ['late 1'])
  t.ok(lines.some(([, m]) => m === 'Operation endpoint[B, B:m] timed out after 20ms'))
  await t.rejects(runPolicy(def({ timeoutNs: 10_000_000n }), () => new Promise(() => {}), { logger }), DeadlineExceededError)
  await t.rejects(runPolicy(def({ timeoutNs: 1_000_000_000n }), async () => { throw new Error('fast') }, { logger }), { message: 'fast' })
  await t.rejects(runPolicy(def({ timeoutNs: 10_000_000n }), async () => { await new Promise((resolve) => setTimeout(resolve, 30)); throw new Error('late failure') }, { logger }), DeadlineExceededError)
  t.equal(new DeadlineExceededError().message, 'context deadline exceeded')
})

t.test('the caller going away stops the retries', async (t) => {
  const { logger } = capture()
  const ac = new AbortController()
  const slow = def({ retry: { ...retry(-1) as NonNullable<PolicyDefinition['retry']>, config: { ...defaultRetryConfig(), durationNs: 10_000_000_000n } } })
  const p = runPolicy(slow, async () => { throw new Error('down') }, { logger, signal: ac.signal })
  setTimeout(() => ac.abort(), 20)
  await t.rejects(p, CanceledError)
  const gone = new AbortController()
  gone.abort()
  await t.rejects(runPolicy(def({ retry: retry(3) }), async () => { throw new Error('down') }, { logger, signal: gone.signal }), /context canceled/)
  let seen: AbortSignal | undefined
  await t.rejects(runPolicy(def({ timeoutNs: 1_000_000_000n }), async (s) => { seen = s; throw new Error('x') }, { logger, signal: gone.signal }), { message: 'x' })
  t.ok(seen?.aborted, 'an attempt started after the caller left sees an aborted signal')
  const later = new AbortController()
  const run = runPolicy(def({ timeoutNs: 1_000_000_000n }), (s) => new Promise((_resolve, reject) => s.addEventListener('abort', () => reject(new Error('caller left')))), { logger, signal: later.signal })
  later.abort()
  await t.rejects(run, { message: 'caller left' })
  t.equal(new CanceledError().code, 'RESILIENCY_ERR_CANCELED')
})

t.test('circuit breaker: counts attempts, an open breaker is never retried', async (t) => {
  const { lines, logger } = capture()
  const changes: string[] = []
  const breaker = createBreaker('B:m', { maxRequests: 1, intervalMs: 0, timeoutMs: 60_000, trip: compileTrip('consecutiveFailures >= 2') }, (_n, from, to) => changes.push(`${from}->${to}`))
  let calls = 0
  await t.rejects(runPolicy(def({ breaker, retry: retry(5) }), async () => { calls++; throw new Error('down') }, { logger }), BreakerOpenError)
  t.equal(calls, 2, 'the third attempt met the open breaker and stopped')
  t.same(changes, ['closed->open'])
  t.ok(lines.some(([, m]) => m === 'Circuit breaker "B:m" rejected operation endpoint[B, B:m]: circuit breaker is open'))
  await t.rejects(runPolicy(def({ breaker }), async () => 'never', { logger }), /circuit breaker is open/)
  const fresh = createBreaker('x', { maxRequests: 1, intervalMs: 0, timeoutMs: 0, trip: undefined }, () => {})
  t.equal(await runPolicy(def({ breaker: fresh }), async () => 'ok', { logger }), 'ok')
  await t.rejects(runPolicy(def({ breaker: fresh }), async () => { throw new Error('plain') }, { logger }), { message: 'plain' })
  t.equal(new CodeError(500, 'm', null).code, 'RESILIENCY_ERR_CODE')
  t.equal(new PermanentError(new Error('p')).code, 'RESILIENCY_ERR_PERMANENT')
})
