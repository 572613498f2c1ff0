// A circuit breaker as daprd runs it (pkg/resiliency/breaker over sony/gobreaker v0.5.0).
// Closed: failures are counted, and `trip` (default: consecutiveFailures > 5) decides on each
// failure whether to open; counts reset every `interval` (0 = never). Open: every call fails
// at once with "circuit breaker is open" until `timeout` (default 60 s) has passed. Half-open:
// `maxRequests` (default 1) calls go through; that many consecutive successes close it, one
// failure opens it again, further calls fail with "too many requests".
import type { Counts, TripExpression } from './trip.js'

export type BreakerState = 'closed' | 'half-open' | 'open'

export class BreakerOpenError extends Error {
  readonly code = 'RESILIENCY_ERR_BREAKER_OPEN'
  constructor () {
    super('circuit breaker is open')
    this.name = 'BreakerOpenError'
  }
}

export class BreakerTooManyRequestsError extends Error {
  readonly code = 'RESILIENCY_ERR_BREAKER_TOO_MANY_REQUESTS'
  constructor () {
    super('too many requests')
    this.name = 'BreakerTooManyRequestsError'
  }
}

export interface BreakerSettings {
  /** 0 → 1. */
  maxRequests: number
  /** 0 → counts never reset while closed. */
  intervalMs: number
  /** 0 or less → 60 s. */
  timeoutMs: number
  /** undefined → consecutiveFailures > 5. */
  trip: TripExpression | undefined
}

export interface CircuitBreaker {
  readonly name: string
  readonly settings: BreakerSettings
  state (): BreakerState
  counts (): Counts
  /** Runs `fn` when the state allows it; rejects with BreakerOpenError / BreakerTooManyRequestsError otherwise. */
  execute<T> (fn: () => Promise<T>): Promise<T>
}

const zero = (): Counts => ({ requests: 0, totalSuccesses: 0, totalFailures: 0, consecutiveSuccesses: 0, consecutiveFailures: 0 })

/**
 * @example
 * const cb = createBreaker('nodeapp:neworder', settings, (name, from, to) => log.info(`Circuit breaker "${name}" changed state from ${from} to ${to}`))
 * await cb.execute(() => call())
 */
export function createBreaker (name: string, settings: BreakerSettings, onStateChange: (name: string, from: BreakerState, to: BreakerState) => void, now: () => number = Date.now): CircuitBreaker {
  const maxRequests = settings.maxRequests === 0 ? 1 : settings.maxRequests
  const timeoutMs = settings.timeoutMs <= 0 ? 60_000 : settings.timeoutMs
  const readyToTrip = (c: Counts): boolean => settings.trip === undefined ? c.consecutiveFailures > 5 : settings.trip.shouldTrip(c)
  let state: BreakerState = 'closed'
  let generation = 0
  let counts = zero()
  let expiry = 0

  function newGeneration (t: number): void {
    generation++
    counts = zero()
    expiry = state === 'closed' ? (settings.intervalMs > 0 ? t + settings.intervalMs : 0) : state === 'open' ? t + timeoutMs : 0
  }
  // Callers only move to a different state.
  function setState (to: BreakerState, t: number): void {
    const from = state
    state = to
    newGeneration(t)
    onStateChange(name, from, to)
  }
  function current (t: number): BreakerState {
    if (state === 'closed' && expiry !== 0 && expiry < t) newGeneration(t)
    else if (state === 'open' && expiry < t) setState('half-open', t)
    return state
  }
  function after (before: number, success: boolean): void {
    const t = now()
    const s = current(t)
    if (generation !== before) return
    // Same generation: the state is closed or half-open (opening starts a new generation).
    if (success) {
      counts.totalSuccesses++
      counts.consecutiveSuccesses++
      counts.consecutiveFailures = 0
      if (s === 'half-open' && counts.consecutiveSuccesses >= maxRequests) setState('closed', t)
      return
    }
    if (s === 'closed') {
      counts.totalFailures++
      counts.consecutiveFailures++
      counts.consecutiveSuccesses = 0
      if (readyToTrip({ ...counts })) setState('open', t)
    } else if (s === 'half-open') {
      setState('open', t)
    }
  }

  newGeneration(now())
  return {
    name,
    settings,
    state: () => current(now()),
    counts: () => ({ ...counts }),
    async execute (fn) {
      const s = current(now())
      if (s === 'open') throw new BreakerOpenError()
      if (s === 'half-open' && counts.requests >= maxRequests) throw new BreakerTooManyRequestsError()
      counts.requests++
      const before = generation
      let result
      try {
        result = await fn()
      } catch (err) {
        after(before, false)
        throw err
      }
      after(before, true)
      return result
    }
  }
}
