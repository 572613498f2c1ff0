// The generator's work: create an order every interval, deliver it through the sidecar with
// bounded retries, and account for every order. Time, sleep and randomness are injected,
// so tests run without real time.
import { setTimeout as delay } from 'node:timers/promises'
import type { Logger } from 'pino'
import { isTransientSidecarError, type SidecarClient, type StateApi } from '../sidecar/index.js'
import { newTrace, type RequestTrace } from '../shared/trace.js'
import { classifyError, classifyResponse, fullJitterDelay, type AttemptOutcome } from './backoff.js'
import { createIdAllocator } from './ids.js'

/** Why an order was given up: a final answer, no attempts left, or stopped while waiting to retry. */
export type GiveUpKind = 'rejected' | 'exhausted' | 'stopped'

/** Told about every order as it happens (the metrics); the summary is only known at the end. */
export interface DeliveryObserver {
  sent (): void
  delivered (latencyMs: number): void
  retried (): void
  gaveUp (kind: GiveUpKind): void
}

export interface GeneratorOptions {
  sidecar: { invoke: SidecarClient['invoke'], state: Pick<StateApi, 'update'> }
  targetAppId: string
  storeName: string
  counterKey: string
  blockSize: number
  intervalMs: number
  /** Stop after this many orders; undefined runs until `signal` aborts. */
  count?: number | undefined
  concurrency: number
  maxAttempts: number
  retryBaseMs: number
  retryMaxMs: number
  requestTimeoutMs: number
  logger: Pick<Logger, 'info' | 'warn' | 'error'>
  /** Stops new orders and pending retries; attempts already on the wire finish. */
  signal: AbortSignal
  /** Called once per delivered order, in delivery order (e.g. to append it to a file). */
  onDelivered?: ((orderId: string) => void) | undefined
  now?: (() => number) | undefined
  /** Resolves true after `ms`, or false as soon as `signal` aborts. */
  sleep?: ((ms: number, signal: AbortSignal) => Promise<boolean>) | undefined
  random?: (() => number) | undefined
  /** Starts each order's W3C trace; default `newTrace` (random ids, sampled). */
  trace?: (() => RequestTrace) | undefined
  observer?: DeliveryObserver | undefined
}

export interface GivenUp { orderId: string, reason: string, traceId: string }

export interface GeneratorSummary {
  /** Orders created and sent at least once. */
  sent: number
  delivered: number
  /** Orders given up on; each is in `givenUp` with its reason. */
  failed: number
  /** Retries, summed over all orders. */
  retried: number
  /** From creation to the 2xx, retries included; null when nothing was delivered. */
  p50LatencyMs: number | null
  p99LatencyMs: number | null
  deliveredIds: string[]
  givenUp: GivenUp[]
  /** Why the loop ended. */
  stoppedBy: 'count' | 'signal' | 'fatal'
  /** Set when the loop could not go on (ids could not be reserved). */
  fatal?: string
}

/** A sleep that resolves false instead of throwing when the signal aborts. */
export async function abortableSleep (ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await delay(ms, undefined, { signal })
    return true
  } catch {
    return false
  }
}

/** Nearest-rank percentile of an ascending list; null for an empty one. */
export function percentile (sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number
}

/**
 * Runs until `count` orders were sent or `signal` aborts, then waits for the orders in
 * flight and returns the summary. It never throws for a delivery failure.
 * @example
 * const summary = await runGenerator({ sidecar, targetAppId: 'nodeapp', ..., signal: controller.signal })
 * if (summary.failed > 0) process.exitCode = 1
 */
export async function runGenerator (options: GeneratorOptions): Promise<GeneratorSummary> {
  const now = options.now ?? Date.now
  const sleep = options.sleep ?? abortableSleep
  const random = options.random ?? Math.random
  const startTrace = options.trace ?? newTrace
  const observer = options.observer
  const { signal, logger: log } = options
  const backoff = { baseMs: options.retryBaseMs, maxMs: options.retryMaxMs }
  const ids = createIdAllocator({ sidecar: options.sidecar, storeName: options.storeName, counterKey: options.counterKey, blockSize: options.blockSize })

  const latencies: number[] = []
  const summary: GeneratorSummary = {
    sent: 0, delivered: 0, failed: 0, retried: 0, p50LatencyMs: null, p99LatencyMs: null, deliveredIds: [], givenUp: [], stoppedBy: 'count'
  }

  function giveUp (orderId: string, traceId: string, kind: GiveUpKind, reason: string): void {
    summary.failed++
    summary.givenUp.push({ orderId, reason, traceId })
    observer?.gaveUp(kind)
    log.error({ orderId, traceId, reason }, `Gave up on order ${orderId}: ${reason}`)
  }

  async function deliver (orderId: string): Promise<void> {
    const started = now()
    // One trace per order, retries included: daprd's spans of every attempt join it, and the
    // order service logs the same traceId.
    const { traceId, traceparent } = startTrace()
    let last = ''
    for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
      let outcome: AttemptOutcome
      try {
        const res = await options.sidecar.invoke(options.targetAppId, 'neworder', {
          httpMethod: 'POST',
          body: { data: { orderId } },
          timeoutMs: options.requestTimeoutMs,
          traceContext: { traceparent }
        })
        outcome = classifyResponse(res)
      } catch (err) {
        outcome = classifyError(err)
      }
      if (outcome.kind === 'delivered') {
        const latencyMs = now() - started
        summary.delivered++
        summary.deliveredIds.push(orderId)
        latencies.push(latencyMs)
        observer?.delivered(latencyMs)
        try {
          options.onDelivered?.(orderId)
        } catch (err) {
          log.error({ err, orderId, traceId }, `Order ${orderId} delivered but could not be recorded`)
        }
        log.info({ orderId, traceId, attempts: attempt, latencyMs }, `Order ${orderId} delivered`)
        return
      }
      if (outcome.kind === 'fail') return giveUp(orderId, traceId, 'rejected', outcome.reason)
      last = outcome.reason
      if (attempt === options.maxAttempts) break
      const wait = fullJitterDelay(attempt, backoff, random)
      summary.retried++
      observer?.retried()
      log.warn({ orderId, traceId, attempt, retryInMs: wait, reason: last }, `Order ${orderId} not delivered yet, retrying`)
      if (!await sleep(wait, signal)) return giveUp(orderId, traceId, 'stopped', `stopped before delivery, last: ${last}`)
    }
    giveUp(orderId, traceId, 'exhausted', `no success after ${options.maxAttempts} attempts, last: ${last}`)
  }

  /** The next id, retrying a store that is down; undefined when stopped meanwhile. */
  async function nextId (attempt = 1): Promise<string | undefined> {
    try {
      return await ids.next()
    } catch (err) {
      const retryable = isTransientSidecarError(err) || (err as { code?: unknown }).code === 'SIDECAR_ERR_ETAG_MISMATCH'
      if (!retryable || attempt >= options.maxAttempts) throw err
      const wait = fullJitterDelay(attempt, backoff, random)
      log.warn({ err, attempt, retryInMs: wait }, 'Could not reserve order ids, retrying')
      if (!await sleep(wait, signal)) return undefined
      return nextId(attempt + 1)
    }
  }

  const inFlight = new Set<Promise<void>>()
  let nextStart = now()
  while (options.count === undefined || summary.sent < options.count) {
    if (signal.aborted) break
    if (inFlight.size >= options.concurrency) {
      await Promise.race(inFlight)
      continue
    }
    const wait = nextStart - now()
    if (wait > 0 && !await sleep(wait, signal)) break
    let orderId: string | undefined
    try {
      orderId = await nextId()
    } catch (err) {
      summary.stoppedBy = 'fatal'
      summary.fatal = `could not reserve order ids: ${(err as Error).message}`
      log.error({ err }, summary.fatal)
      break
    }
    if (orderId === undefined) break
    summary.sent++
    observer?.sent()
    // Fixed rate, but no burst to catch up after a stall.
    nextStart = Math.max(nextStart + options.intervalMs, now())
    const sending: Promise<void> = deliver(orderId).finally(() => inFlight.delete(sending))
    inFlight.add(sending)
  }
  if (summary.stoppedBy !== 'fatal' && signal.aborted) summary.stoppedBy = 'signal'
  await Promise.all(inFlight)

  const sorted = [...latencies].sort((a, b) => a - b)
  summary.p50LatencyMs = percentile(sorted, 0.5)
  summary.p99LatencyMs = percentile(sorted, 0.99)
  return summary
}
