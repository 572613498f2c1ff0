// The Resiliency resources of one sidecar, decoded as daprd 1.18 does
// (pkg/resiliency/resiliency.go FromConfigurations) and turned into per-call policies.
// - Every in-scope resource is decoded in load order into one shared set of named policies
//   and targets: a later resource overrides a same-named policy or target of an earlier one,
//   and a target may use a policy another resource defines.
// - A resource that fails to decode is logged at error and skipped; the sidecar runs on.
// - Built-in policies exist first (DaprBuiltInServiceRetries: 3 retries, 1 s apart).
// - A target names its policies; a target that is not named gets the Default*Policy ones.
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { defaultRetryConfig, type RetryConfig } from './backoff.js'
import { createBreaker, type BreakerSettings, type BreakerState, type CircuitBreaker } from './breaker.js'
import { DurationError, nsToMs, parseDaprDuration } from './duration.js'
import { parseMatching } from './matching.js'
import type { PolicyDefinition, PolicyLogger, RetryPolicy } from './runner.js'
import { compileTrip, TripNotEmulatedError } from './trip.js'

const Str = Type.String()
const Names = Type.Object({ timeout: Type.Optional(Str), retry: Type.Optional(Str), circuitBreaker: Type.Optional(Str) })
const opt = <T extends TSchema>(s: T) => Type.Optional(Type.Union([s, Type.Null()]))

/** The shape Go's JSON decoding of `v1alpha1.Resiliency.spec` accepts (unknown fields are ignored). */
export const ResiliencySpecSchema = Type.Object({
  policies: opt(Type.Object({
    timeouts: opt(Type.Record(Str, Str)),
    retries: opt(Type.Record(Str, Type.Object({
      policy: Type.Optional(Str),
      duration: Type.Optional(Str),
      maxInterval: Type.Optional(Str),
      maxRetries: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
      matching: opt(Type.Object({ httpStatusCodes: Type.Optional(Str), gRPCStatusCodes: Type.Optional(Str) }))
    }))),
    circuitBreakers: opt(Type.Record(Str, Type.Object({
      maxRequests: Type.Optional(Type.Integer()),
      interval: Type.Optional(Str),
      timeout: Type.Optional(Str),
      trip: Type.Optional(Str)
    })))
  })),
  targets: opt(Type.Object({
    apps: opt(Type.Record(Str, Type.Object({ ...Names.properties, circuitBreakerCacheSize: Type.Optional(Type.Integer()) }))),
    actors: opt(Type.Record(Str, Type.Object({ ...Names.properties, circuitBreakerScope: Type.Optional(Str), circuitBreakerCacheSize: Type.Optional(Type.Integer()) }))),
    components: opt(Type.Record(Str, Type.Object({ inbound: opt(Names), outbound: opt(Names) })))
  }))
})
type Spec = Static<typeof ResiliencySpecSchema>

/** One `kind: Resiliency` document, as the resources loader found it. */
export interface ResiliencyResource {
  name: string
  namespace?: string | undefined
  file: string
  /** `spec` as parsed from YAML, not yet checked. */
  spec: unknown
}

export const BUILT_IN_SERVICE_RETRIES = 'DaprBuiltInServiceRetries'
const BUILT_INS: Record<string, Partial<RetryConfig>> = {
  DaprBuiltInServiceRetries: { policy: 'constant', maxRetries: 3, durationNs: 1_000_000_000n },
  DaprBuiltInActorRetries: { policy: 'constant', maxRetries: 3, durationNs: 1_000_000_000n },
  DaprBuiltInActorReminderRetries: { policy: 'exponential', maxRetries: 0, initialIntervalNs: 500_000_000n, randomizationFactor: 0.5, multiplier: 1.5, maxIntervalNs: 60_000_000_000n, maxElapsedNs: 900_000_000_000n },
  DaprBuiltInInitializationRetries: { policy: 'exponential', maxRetries: 3, initialIntervalNs: 500_000_000n, maxIntervalNs: 1_000_000_000n, maxElapsedNs: 10_000_000_000n, durationNs: 2_000_000_000n, multiplier: 1.5, randomizationFactor: 0.5 },
  DaprBuiltInActorNotFoundRetries: { policy: 'constant', maxRetries: 5, durationNs: 1_000_000_000n }
}
const PROTECTED = 'DaprBuiltInActorNotFoundRetries'

/** A policy the runtime would crash on (a component target naming a circuit breaker nobody defines). */
export class PolicyPanicError extends Error {
  readonly code = 'RESILIENCY_ERR_PANIC'
  constructor (message: string) {
    super(message)
    this.name = 'PolicyPanicError'
  }
}

export class ResiliencyNotEmulatedError extends Error {
  readonly code = 'RESILIENCY_ERR_NOT_EMULATED'
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ResiliencyNotEmulatedError'
  }
}

export type ComponentType = 'Statestore'

export interface ResiliencyProvider {
  /** Names of the resources loaded (all in-scope ones, as daprd's metadata lists them). */
  readonly names: string[]
  /** Outbound service invocation: `app` is the target as given, `endpoint` is `<app>:<method>`. */
  endpointPolicy (app: string, endpoint: string): PolicyDefinition | undefined
  componentOutboundPolicy (component: string, type: ComponentType): PolicyDefinition | undefined
  builtInPolicy (name: string): PolicyDefinition
  /** `PolicyDefined`: a named target exists (defaults do not count). */
  appTargetDefined (app: string): boolean
}

interface PolicyNames { timeout: string, retry: string, circuitBreaker: string }
interface Template { name: string, settings: BreakerSettings }

class Lru<V> {
  private readonly items = new Map<string, V>()
  constructor (private readonly size: number) {}
  get (key: string): V | undefined {
    const v = this.items.get(key)
    if (v !== undefined) { this.items.delete(key); this.items.set(key, v) }
    return v
  }

  add (key: string, v: V): void {
    this.items.set(key, v)
    if (this.items.size > this.size) this.items.delete(this.items.keys().next().value as string)
  }
}

const names = (n: Static<typeof Names> | null | undefined): PolicyNames => ({ timeout: n?.timeout ?? '', retry: n?.retry ?? '', circuitBreaker: n?.circuitBreaker ?? '' })

function decodeDuration (what: string, field: string, value: string): bigint {
  try {
    return parseDaprDuration(value)
  } catch {
    throw new Error(`invalid retry configuration ${JSON.stringify(what)}: error decoding '${field}': invalid duration ${JSON.stringify(value)}`)
  }
}

/**
 * Decodes `resources` (in load order) into a provider; decode errors are logged, never thrown.
 * Throws ResiliencyNotEmulatedError for a trip expression outside the emulated CEL.
 * @example
 * const resiliency = createResiliency(loaded.resiliencyResources, logger)
 * await runPolicy(resiliency.endpointPolicy('nodeapp', 'nodeapp:neworder'), op, { logger })
 */
export function createResiliency (resources: readonly ResiliencyResource[], logger: PolicyLogger & { error: PolicyLogger['warn'] }): ResiliencyProvider {
  const timeouts = new Map<string, bigint>()
  const retries = new Map<string, RetryPolicy>()
  const templates = new Map<string, Template>()
  const apps = new Map<string, PolicyNames>()
  const components = new Map<string, { inbound: PolicyNames, outbound: PolicyNames }>()
  const serviceCBs = new Map<string, Lru<CircuitBreaker>>()
  const componentCBs = new Map<string, CircuitBreaker>()

  for (const [name, c] of Object.entries(BUILT_INS)) retries.set(name, { name, config: { ...defaultRetryConfig(), ...c }, matching: { http: undefined, grpc: undefined } })

  const onStateChange = (name: string, from: BreakerState, to: BreakerState): void => {
    logger.info({ policy: 'circuitBreaker', breaker: name, from, to }, `Circuit breaker ${JSON.stringify(name)} changed state from ${from} to ${to}`)
  }
  const newCB = (name: string, t: Template): CircuitBreaker => createBreaker(name, t.settings, onStateChange)

  function decode (res: ResiliencyResource): void {
    const raw = res.spec ?? {}
    if (!Value.Check(ResiliencySpecSchema, raw)) {
      // A failed check always reports at least one error.
      const e = [...Value.Errors(ResiliencySpecSchema, raw)][0] as { path: string, message: string }
      throw new Error(`cannot decode spec${e.path}: ${e.message}`)
    }
    const spec = raw as Spec
    const p = spec.policies ?? {}
    // Decode into scratch maps first; a resource that fails leaves nothing behind.
    const t2 = new Map<string, bigint>()
    for (const [name, v] of Object.entries(p.timeouts ?? {})) {
      try {
        t2.set(name, parseDaprDuration(v))
      } catch (err) {
        throw new Error(`invalid duration ${JSON.stringify(name)}, ${v}: ${(err as DurationError).message}`)
      }
    }
    const r2 = new Map<string, RetryPolicy>()
    for (const [name, v] of Object.entries(p.retries ?? {})) {
      const config = defaultRetryConfig()
      if (v.policy !== undefined) {
        const policy = v.policy.toLowerCase()
        if (policy !== 'constant' && policy !== 'exponential') throw new Error(`invalid retry configuration ${JSON.stringify(name)}: error decoding 'policy': invalid PolicyType ${JSON.stringify(v.policy)}: unexpected back off policy type: ${v.policy}`)
        config.policy = policy
      }
      if (v.duration !== undefined) config.durationNs = decodeDuration(name, 'duration', v.duration)
      if (v.maxInterval !== undefined) config.maxIntervalNs = decodeDuration(name, 'maxInterval', v.maxInterval)
      if (v.maxRetries != null) config.maxRetries = v.maxRetries
      if (name === PROTECTED) {
        logger.warn(`Attempted to override protected policy ${name} which is not allowed. Ignoring provided policy and using default.`)
        continue
      }
      if (Object.hasOwn(BUILT_INS, name) && config.maxRetries < 3) {
        logger.warn(`Attempted override of ${name} did not meet minimum retry count, resetting to 3.`)
        config.maxRetries = 3
      }
      r2.set(name, { name, config, matching: parseMatching(v.matching ?? undefined) })
    }
    const c2 = new Map<string, Template>()
    for (const [name, v] of Object.entries(p.circuitBreakers ?? {})) {
      const maxRequests = v.maxRequests ?? 0
      if (maxRequests < 0 || maxRequests > 0xffffffff) throw new Error(`invalid retry configuration ${JSON.stringify(name)}: cannot parse 'maxRequests', ${maxRequests} overflows uint32`)
      let trip
      if (v.trip !== undefined) {
        try {
          trip = compileTrip(v.trip)
        } catch (err) {
          if (err instanceof TripNotEmulatedError) throw new ResiliencyNotEmulatedError(`${res.file}: resiliency ${res.name}: circuit breaker ${name}: ${err.message}`, { cause: err })
          throw new Error(`invalid retry configuration ${JSON.stringify(name)}: error decoding 'trip': invalid Expr ${JSON.stringify(v.trip)}: ${(err as Error).message}`)
        }
      }
      const intervalNs = v.interval === undefined ? 0n : decodeDuration(name, 'interval', v.interval)
      const timeoutNs = v.timeout === undefined ? 0n : decodeDuration(name, 'timeout', v.timeout)
      c2.set(name, { name, settings: { maxRequests, intervalMs: Math.max(0, nsToMs(intervalNs)), timeoutMs: nsToMs(timeoutNs), trip } })
    }
    const tg = spec.targets ?? {}
    for (const [name, a] of Object.entries(tg.apps ?? {})) {
      if ((a.circuitBreakerCacheSize ?? 0) < 0) throw new Error(`targets.apps.${name}: must provide a positive size`)
    }
    for (const a of Object.values(tg.actors ?? {})) {
      if (a.circuitBreaker !== undefined && a.circuitBreaker !== '') {
        if (a.circuitBreakerScope === undefined || a.circuitBreakerScope === '') throw new Error('actor circuit breakers must include scope')
        if (!['type', 'id', 'both'].includes(a.circuitBreakerScope)) throw new Error(`unknown circuit breaker scope ${JSON.stringify(a.circuitBreakerScope)}`)
      }
    }
    // Decoded: merge over what earlier resources defined.
    for (const [k, v] of t2) timeouts.set(k, v)
    for (const [k, v] of r2) retries.set(k, v)
    for (const [k, v] of c2) templates.set(k, v)
    for (const [name, a] of Object.entries(tg.apps ?? {})) {
      apps.set(name, names(a))
      serviceCBs.set(name, new Lru(a.circuitBreakerCacheSize || 100))
    }
    for (const [name, c] of Object.entries(tg.components ?? {})) components.set(name, { inbound: names(c.inbound), outbound: names(c.outbound) })
    if (Object.keys(tg.actors ?? {}).length > 0) logger.warn({ resiliency: res.name }, 'actor targets are not applied: the local sidecar has no actor runtime')
  }

  const loaded: string[] = []
  for (const res of resources) {
    loaded.push(res.name)
    logger.info({ resiliency: res.name, file: res.file }, `Loading Resiliency configuration: ${res.name}`)
    try {
      decode(res)
    } catch (err) {
      if (err instanceof ResiliencyNotEmulatedError) throw err
      logger.error({ resiliency: res.name, file: res.file }, `Could not read resiliency policy ${res.name}: ${(err as Error).message}`)
    }
  }

  // daprd does not check references; say at start what it will silently do instead.
  const check = (where: string, n: PolicyNames, crashOnBreaker: boolean): void => {
    if (n.timeout !== '' && !timeouts.has(n.timeout)) logger.warn(`${where}: timeout policy ${JSON.stringify(n.timeout)} is not defined, no timeout applies`)
    if (n.retry !== '' && !retries.has(n.retry)) logger.warn(`${where}: retry policy ${JSON.stringify(n.retry)} is not defined, no retry applies`)
    if (n.circuitBreaker !== '' && !templates.has(n.circuitBreaker)) {
      logger.warn(crashOnBreaker
        ? `${where}: circuit breaker ${JSON.stringify(n.circuitBreaker)} is not defined; daprd 1.18 panics on every call to this component, so the local sidecar drops those connections`
        : `${where}: circuit breaker ${JSON.stringify(n.circuitBreaker)} is not defined, no circuit breaker applies`)
    }
  }
  for (const [app, n] of apps) check(`targets.apps.${app}`, n, false)
  for (const [c, n] of components) check(`targets.components.${c}.outbound`, n.outbound, true)

  function defaults (levels: string[]): PolicyNames | undefined {
    const pick = (has: (k: string) => boolean, kind: string): string =>
      [...levels, ''].map((l) => `Default${l}${kind}Policy`).find(has) ?? ''
    const n = { retry: pick((k) => retries.has(k), 'Retry'), timeout: pick((k) => timeouts.has(k), 'Timeout'), circuitBreaker: pick((k) => templates.has(k), 'CircuitBreaker') }
    return n.retry !== '' || n.timeout !== '' || n.circuitBreaker !== '' ? n : undefined
  }

  function definition (name: string, n: PolicyNames, breaker: (t: Template) => CircuitBreaker): PolicyDefinition | undefined {
    const template = n.circuitBreaker === '' ? undefined : templates.get(n.circuitBreaker)
    const def: PolicyDefinition = {
      name,
      timeoutNs: timeouts.get(n.timeout) ?? 0n,
      retry: retries.get(n.retry),
      breaker: template === undefined ? undefined : breaker(template)
    }
    return def.timeoutNs > 0n || def.retry !== undefined || def.breaker !== undefined ? def : undefined
  }

  return {
    names: loaded,
    endpointPolicy (app, endpoint) {
      const n = apps.get(app) ?? defaults(['App'])
      if (n === undefined) return undefined
      return definition(`endpoint[${app}, ${endpoint}]`, n, (t) => {
        let cache = serviceCBs.get(app)
        if (cache === undefined) serviceCBs.set(app, cache = new Lru(100))
        let cb = cache.get(endpoint)
        if (cb === undefined) cache.add(endpoint, cb = newCB(endpoint, t))
        return cb
      })
    },
    componentOutboundPolicy (component, type) {
      const named = components.get(component)
      const n = named === undefined ? defaults([`${type}ComponentOutbound`, 'ComponentOutbound', 'Component']) : named.outbound
      if (n === undefined) return undefined
      if (n.circuitBreaker !== '' && !templates.has(n.circuitBreaker)) {
        throw new PolicyPanicError(`runtime error: invalid memory address or nil pointer dereference (component ${component} names circuit breaker ${JSON.stringify(n.circuitBreaker)}, which is not defined)`)
      }
      return definition(`component[${component}] output`, n, (t) => {
        let cb = componentCBs.get(component)
        if (cb === undefined) componentCBs.set(component, cb = newCB(`${t.name}-${component}`, t))
        return cb
      })
    },
    builtInPolicy (name) {
      return { name, timeoutNs: 0n, retry: retries.get(name), breaker: undefined }
    },
    appTargetDefined: (app) => apps.has(app)
  }
}
