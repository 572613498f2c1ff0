import t from 'tap'
import { BUILT_IN_SERVICE_RETRIES, createResiliency, PolicyPanicError, ResiliencyNotEmulatedError, type ResiliencyResource } from '../../../src/sidecar/resiliency/provider.js'

function capture () {
  const lines: Array<[string, string]> = []
  const log = (level: string) => (a: unknown, b?: string) => { lines.push([level, typeof a === 'string' ? a : b as string]) }
  return { lines, logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') } as never }
}
const res = (name: string, spec: unknown, file = `${name}.yaml`): ResiliencyResource => ({ name, file, spec })

const project = {
  policies: {
    timeouts: { invoke: '5s', state: '3000' },
    retries: { transient: { policy: 'Exponential', maxInterval: '2s', maxRetries: 3, matching: { httpStatusCodes: '429,502-504', gRPCStatusCodes: '14' } } },
    circuitBreakers: { shared: { maxRequests: 1, interval: '10s', timeout: '30s', trip: 'consecutiveFailures >= 5' } }
  },
  targets: {
    apps: { nodeapp: { timeout: 'invoke', retry: 'transient', circuitBreaker: 'shared' } },
    components: { statestore: { outbound: { timeout: 'state', retry: 'transient', circuitBreaker: 'shared' } } }
  }
}

t.test('the project policy: named targets', async (t) => {
  const { lines, logger } = capture()
  const r = createResiliency([res('resiliency', project)], logger)
  t.same(r.names, ['resiliency'])
  t.ok(lines.some(([l, m]) => l === 'info' && m === 'Loading Resiliency configuration: resiliency'))
  const p = r.endpointPolicy('nodeapp', 'nodeapp:neworder')
  t.match(p, { name: 'endpoint[nodeapp, nodeapp:neworder]', timeoutNs: 5_000_000_000n, retry: { name: 'transient', config: { policy: 'exponential', maxRetries: 3, maxIntervalNs: 2_000_000_000n } } })
  t.equal(p?.breaker?.name, 'nodeapp:neworder', 'one breaker per endpoint')
  t.equal(r.endpointPolicy('nodeapp', 'nodeapp:neworder')?.breaker, p?.breaker, 'kept between calls')
  t.not(r.endpointPolicy('nodeapp', 'nodeapp:order')?.breaker, p?.breaker)
  t.equal(r.endpointPolicy('generator', 'generator:x'), undefined, 'no policy for other apps')
  t.equal(r.endpointPolicy('nodeapp.default', 'nodeapp.default:x'), undefined, 'targets match the app id as the caller wrote it')
  t.ok(r.appTargetDefined('nodeapp'))
  t.notOk(r.appTargetDefined('generator'))
  const s = r.componentOutboundPolicy('statestore', 'Statestore')
  t.match(s, { name: 'component[statestore] output', timeoutNs: 3_000_000_000n })
  t.equal(s?.breaker?.name, 'shared-statestore')
  t.equal(r.componentOutboundPolicy('statestore', 'Statestore')?.breaker, s?.breaker)
  t.equal(r.componentOutboundPolicy('other', 'Statestore'), undefined)
  t.match(r.builtInPolicy(BUILT_IN_SERVICE_RETRIES), { retry: { config: { policy: 'constant', maxRetries: 3, durationNs: 1_000_000_000n } } })
})

t.test('defaults, overrides across resources, built-ins', async (t) => {
  const { lines, logger } = capture()
  const r = createResiliency([
    res('a', { policies: { retries: { DefaultRetryPolicy: { duration: '1s' }, DefaultAppRetryPolicy: { maxRetries: 1 }, DaprBuiltInServiceRetries: { maxRetries: 1 }, DaprBuiltInActorNotFoundRetries: { maxRetries: 9 } }, timeouts: { DefaultComponentTimeoutPolicy: '1s', t: '1s' } } }),
    res('b', {
      policies: { timeouts: { t: '2s' }, circuitBreakers: { DefaultCircuitBreakerPolicy: {}, DefaultStatestoreComponentOutboundCircuitBreakerPolicy: { maxRequests: 2 } } },
      targets: { apps: { named: { timeout: 't', circuitBreakerCacheSize: 1 } }, components: { inboundOnly: { inbound: { retry: 'DefaultRetryPolicy' } } }, actors: { A: { retry: 'x' } } }
    })
  ], logger)
  t.match(r.endpointPolicy('any', 'any:m'), { retry: { name: 'DefaultAppRetryPolicy', config: { maxRetries: 1 } }, breaker: { name: 'any:m' } }, 'App level before the top level')
  t.match(r.endpointPolicy('named', 'named:m'), { timeoutNs: 2_000_000_000n, retry: undefined, breaker: undefined }, 'a later resource overrides; named targets get no defaults')
  t.match(r.componentOutboundPolicy('s', 'Statestore'), { timeoutNs: 1_000_000_000n, retry: { name: 'DefaultRetryPolicy' }, breaker: { name: 'DefaultStatestoreComponentOutboundCircuitBreakerPolicy-s', settings: { maxRequests: 2 } } })
  t.equal(r.componentOutboundPolicy('inboundOnly', 'Statestore'), undefined, 'a named component with no outbound policies gets none, not the defaults')
  t.match(r.builtInPolicy(BUILT_IN_SERVICE_RETRIES), { retry: { config: { maxRetries: 3 } } })
  t.match(r.builtInPolicy('DaprBuiltInActorNotFoundRetries'), { retry: { config: { maxRetries: 5 } } })
  t.ok(lines.some(([l, m]) => l === 'warn' && m === 'Attempted override of DaprBuiltInServiceRetries did not meet minimum retry count, resetting to 3.'))
  t.ok(lines.some(([l, m]) => l === 'warn' && m === 'Attempted to override protected policy DaprBuiltInActorNotFoundRetries which is not allowed. Ignoring provided policy and using default.'))
  t.ok(lines.some(([l, m]) => l === 'warn' && /actor targets are not applied/.test(m)))
  // LRU of one endpoint breaker per app.
  const first = r.endpointPolicy('any', 'any:1')?.breaker
  r.endpointPolicy('any', 'any:2')
  t.equal(r.endpointPolicy('any', 'any:1')?.breaker, first, 'a cache of 100 keeps both')
  const none = createResiliency([], logger)
  t.equal(none.endpointPolicy('x', 'x:y'), undefined)
  t.equal(none.componentOutboundPolicy('x', 'Statestore'), undefined)
  const lru = createResiliency([res('c', { policies: { circuitBreakers: { cb: {} } }, targets: { apps: { one: { circuitBreaker: 'cb', circuitBreakerCacheSize: 1 } } } })], logger)
  const b1 = lru.endpointPolicy('one', 'one:1')?.breaker
  lru.endpointPolicy('one', 'one:2')
  t.not(lru.endpointPolicy('one', 'one:1')?.breaker, b1, 'circuitBreakerCacheSize 1 evicts the older endpoint breaker')
})

t.test('invalid resources are logged and skipped; the rest apply', async (t) => {
  const bad: Array<[unknown, RegExp]> = [
    [{ policies: { timeouts: { t: 'soon' } } }, /invalid duration "t", soon: time: invalid duration "soon"/],
    [{ policies: { timeouts: { t: 5 } } }, /cannot decode spec\/policies/],
    [{ policies: { retries: { r: { policy: 'linear' } } } }, /invalid retry configuration "r": error decoding 'policy': invalid PolicyType "linear": unexpected back off policy type: linear/],
    [{ policies: { retries: { r: { duration: 'x' } } } }, /invalid retry configuration "r": error decoding 'duration': invalid duration "x"/],
    [{ policies: { retries: { r: { maxInterval: '1', matching: { httpStatusCodes: '429, 503' } } } } }, /failed to parse start code/],
    [{ policies: { retries: { r: { maxRetries: 1.5 } } } }, /cannot decode spec/],
    [{ policies: { circuitBreakers: { c: { maxRequests: -1 } } } }, /cannot parse 'maxRequests', -1 overflows uint32/],
    [{ policies: { circuitBreakers: { c: { interval: 'x' } } } }, /invalid retry configuration "c": error decoding 'interval'/],
    [{ policies: { circuitBreakers: { c: { trip: 'consecutiveFailures >=' } } } }, /error decoding 'trip': invalid Expr/],
    [{ targets: { apps: { a: { circuitBreakerCacheSize: -1 } } } }, /must provide a positive size/],
    [{ targets: { actors: { a: { circuitBreaker: 'c' } } } }, /actor circuit breakers must include scope/],
    [{ targets: { actors: { a: { circuitBreaker: 'c', circuitBreakerScope: 'all' } } } }, /unknown circuit breaker scope "all"/],
    ['not an object', /cannot decode spec: /]
  ]
  for (const [spec, message] of bad) {
    const { lines, logger } = capture()
    const r = createResiliency([res('bad', { ...(typeof spec === 'object' ? spec as object : {}), ...(typeof spec === 'object' ? {} : {}) }), res('good', project)].map((x, i) => i === 0 ? { ...x, spec } : x), logger)
    const errors = lines.filter(([l]) => l === 'error').map(([, m]) => m)
    t.equal(errors.length, 1, JSON.stringify(spec))
    t.match(errors[0], /^Could not read resiliency policy bad: /)
    t.match(errors[0], message)
    t.same(r.names, ['bad', 'good'], 'listed, as daprd lists every loaded resource')
    t.ok(r.endpointPolicy('nodeapp', 'nodeapp:x'), 'the valid resource still applies')
  }
  const ok = createResiliency([res('fine', { targets: { actors: { a: { circuitBreaker: 'c', circuitBreakerScope: 'id' } } } }), res('empty', null)], capture().logger)
  t.same(ok.names, ['fine', 'empty'])
  t.throws(() => createResiliency([res('cel', { policies: { circuitBreakers: { c: { trip: 'size(x) > 1' } } } })], capture().logger), ResiliencyNotEmulatedError)
  t.equal(new ResiliencyNotEmulatedError('x').code, 'RESILIENCY_ERR_NOT_EMULATED')
})

t.test('references to undefined policies: warned at start, applied as daprd does', async (t) => {
  const { lines, logger } = capture()
  const r = createResiliency([res('refs', {
    policies: { timeouts: { t: '1s' } },
    targets: { apps: { a: { timeout: 'nope', retry: 'nope', circuitBreaker: 'nope' } }, components: { c: { outbound: { timeout: 't', circuitBreaker: 'missing' } } } }
  })], logger)
  const warns = lines.filter(([l]) => l === 'warn').map(([, m]) => m)
  t.match(warns, [/targets.apps.a: timeout policy "nope" is not defined/, /retry policy "nope" is not defined/, /circuit breaker "nope" is not defined, no circuit breaker applies/, /targets.components.c.outbound: circuit breaker "missing" is not defined; daprd 1.18 panics/])
  t.equal(r.endpointPolicy('a', 'a:m'), undefined, 'nothing applies')
  t.throws(() => r.componentOutboundPolicy('c', 'Statestore'), PolicyPanicError)
  t.equal(new PolicyPanicError('x').code, 'RESILIENCY_ERR_PANIC')
})

t.test('breaker state changes are logged as daprd logs them', async (t) => {
  const { lines, logger } = capture()
  const r = createResiliency([res('cb', { policies: { circuitBreakers: { one: { trip: 'consecutiveFailures >= 1' } } }, targets: { apps: { a: { circuitBreaker: 'one' } } } })], logger)
  const cb = r.endpointPolicy('a', 'a:m')?.breaker
  await cb?.execute(async () => { throw new Error('x') }).catch(() => {})
  t.ok(lines.some(([l, m]) => l === 'info' && m === 'Circuit breaker "a:m" changed state from closed to open'))
})
