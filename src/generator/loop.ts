// The generator's work: create an order every interval and deliver it through the sidecar.
// An order, once created, is delivered or retried for as long as it takes; only a permanent
// answer (a 4xx other than 408/425/429) ends it undelivered. While the order service, its
// store or a sidecar is down, delivery pauses: no new orders, only the oldest pending order
// probes with capped, jittered backoff; the first answer resumes everything, in order.
// Time, sleep and randomness are injected, so tests run without real time.
import { setTimeout as delay } from 'node:timers/promises'
import type { Logger } from 'pino'
import { isTransientSidecarError, type SidecarClient, type StateApi } from '../sidecar/index.js'
import { newTrace, type RequestTrace } from '../shared/trace.js'
import { classifyError, classifyResponse, fullJitterDelay, type AttemptOutcome } from './backoff.js'
import { createIdAllocator } from './ids.js'

/** Why an order ended undelivered: a permanent answer, or the generator stopped first. */
export type GiveUpKind = 'rejected' | 'stopped'

/** The backlog as it is now; read on every metrics scrape. */
export interface DeliveryStatus {
  /** Orders created and neither acknowledged nor rejected yet (at most GENERATOR_CONCURRENCY). */
  pending: number
  /** Age of the oldest of them; 0 when none is pending. */
  oldestPendingMs: number
  /** True while delivery (or id reservation) waits for a dependency to come back. */
  paused: boolean
}

/** Told about every order as it happens (the metrics); the summary is only known at the end. */
export interface DeliveryObserver {
  sent (): void
  delivered (latencyMs: number): void
  retried (): void
  gaveUp (kind: GiveUpKind): void
  /** Called once per run with a live view of the backlog. */
  watch? (status: () => DeliveryStatus): void
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
  /** Orders pending at once, at most: the bound on the generator's memory during an outage. */
  concurrency: number
  retryBaseMs: number
  retryMaxMs: number
  requestTimeoutMs: number
  logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>
  /** Stops new orders and retries; attempts already on the wire finish (bounded by requestTimeoutMs). */
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
  /** Orders ended without delivery: rejected with a permanent answer, or unacknowledged at a stop. */
  failed: number
  /** Retries, summed over all orders. */
  retried: number
  /** Times delivery paused because a dependency was down. */
  pauses: number
  /** From creation to the 2xx, retries included, over the last 10,000 deliveries; null when none. */
  p50LatencyMs: number | null
  p99LatencyMs: number | null
  /** Orders rejected with a permanent answer, with the reason (the first 1,000; `failed` counts all). */
  givenUp: GivenUp[]
  /** Ids created but never acknowledged when the run stopped (at most GENERATOR_CONCURRENCY). */
  unacknowledged: string[]
  /** Why the loop ended. */
  stoppedBy: 'count' | 'signal' | 'fatal'
  /** Set when the loop could not go on (the id counter is corrupt). */
  fatal?: string
}

/** How many latencies the percentiles look at, and how many rejections the summary lists. */
const LATENCY_WINDOW = 10_000
const MAX_LISTED = 1000

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
 * Waiters released together when the gate opens (or the signal aborts): the `first` ones
 * before the others, so orders waiting to be retried go before new ones are created.
 */
function createGate (signal: AbortSignal) {
  let waiters: { first: Array<() => void>, then: Array<() => void> } = { first: [], then: [] }
  signal.addEventListener('abort', () => open(), { once: true })
  function open (): void {
    const released = waiters
    waiters = { first: [], then: [] }
    for (const release of [...released.first, ...released.then]) release()
  }
  return {
    open,
    wait: async (first: boolean): Promise<void> => {
      if (!signal.aborted) await new Promise<void>((resolve) => (first ? waiters.first : waiters.then).push(resolve))
    }
  }
}

interface Order { orderId: string, createdAt: number, traceId: string, traceparent: string }

/**
 * Runs until `count` orders were sent or `signal` aborts, then waits for the orders pending
 * and returns the summary. It never throws for a delivery failure.
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
  let latencyCount = 0
  const summary: GeneratorSummary = {
    sent: 0, delivered: 0, failed: 0, retried: 0, pauses: 0, p50LatencyMs: null, p99LatencyMs: null, givenUp: [], unacknowledged: [], stoppedBy: 'count'
  }
  /** Created and not ended, in creation order (a Map keeps insertion order): the first is the oldest. */
  const pending = new Map<string, Order>()
  /** Set while delivery is paused; only the oldest pending order is tried meanwhile. */
  let outage: { since: number, retries: number } | undefined
  /** Set while ids cannot be reserved. */
  let idsDownSince: number | undefined
  const resumed = createGate(signal)

  observer?.watch?.(() => {
    const oldest = pending.values().next().value
    return { pending: pending.size, oldestPendingMs: oldest === undefined ? 0 : Math.max(0, now() - oldest.createdAt), paused: outage !== undefined || idsDownSince !== undefined }
  })

  const isPaused = (): boolean => outage !== undefined

  function pause (order: Order, reason: string): void {
    if (outage !== undefined) return
    outage = { since: now(), retries: 0 }
    summary.pauses++
    log.warn({ orderId: order.orderId, traceId: order.traceId, reason, pending: pending.size },
      `Delivery paused, no new orders until ${options.targetAppId} answers again: order ${order.orderId} got ${reason}`)
  }

  function resume (): void {
    if (outage === undefined) return
    const pausedMs = now() - outage.since
    log.info({ pausedMs, retries: outage.retries, pending: pending.size }, `Delivery resumed after ${pausedMs} ms (${outage.retries} retries)`)
    outage = undefined
    resumed.open()
  }

  function end (order: Order): void {
    pending.delete(order.orderId)
    // The service answered: whatever was paused can go on.
    resume()
  }

  function delivered (order: Order, attempts: number): void {
    end(order)
    const latencyMs = now() - order.createdAt
    summary.delivered++
    latencies[latencyCount++ % LATENCY_WINDOW] = latencyMs
    observer?.delivered(latencyMs)
    try {
      options.onDelivered?.(order.orderId)
    } catch (err) {
      log.error({ err, orderId: order.orderId, traceId: order.traceId }, `Order ${order.orderId} delivered but could not be recorded`)
    }
    log.info({ orderId: order.orderId, traceId: order.traceId, attempts, latencyMs }, `Order ${order.orderId} delivered`)
  }

  function rejected (order: Order, reason: string): void {
    end(order)
    summary.failed++
    if (summary.givenUp.length < MAX_LISTED) summary.givenUp.push({ orderId: order.orderId, reason, traceId: order.traceId })
    observer?.gaveUp('rejected')
    log.error({ orderId: order.orderId, traceId: order.traceId, reason }, `Order ${order.orderId} rejected, not retried: ${reason}`)
  }

  async function attempt (order: Order): Promise<AttemptOutcome> {
    try {
      const res = await options.sidecar.invoke(options.targetAppId, 'neworder', {
        httpMethod: 'POST',
        body: { data: { orderId: order.orderId } },
        timeoutMs: options.requestTimeoutMs,
        traceContext: { traceparent: order.traceparent }
      })
      return classifyResponse(res)
    } catch (err) {
      return classifyError(err)
    }
  }

  /** Delivers one order, retrying until it is acknowledged or rejected; returns early only when stopped. */
  async function deliver (order: Order): Promise<void> {
    // Retries of this order while it probes a paused delivery (the backoff's exponent).
    let probes = 0
    let attempts = 1
    let outcome = await attempt(order)
    while (outcome.kind === 'retry') {
      if (signal.aborted) return
      pause(order, outcome.reason)
      summary.retried++
      observer?.retried()
      ;(outage as { retries: number }).retries++
      if (pending.values().next().value === order) {
        // The oldest pending order probes; the first answer resumes the others.
        const wait = fullJitterDelay(++probes, backoff, random)
        log.debug({ orderId: order.orderId, traceId: order.traceId, attempt: attempts, retryInMs: wait, reason: outcome.reason }, `Order ${order.orderId} not delivered yet, retrying`)
        if (!await sleep(wait, signal)) return
      } else {
        // Younger orders wait for that answer, then go again in creation order.
        await resumed.wait(true)
        if (signal.aborted) return
        probes = 0
      }
      attempts++
      outcome = await attempt(order)
    }
    if (outcome.kind === 'delivered') delivered(order, attempts)
    else rejected(order, outcome.reason)
  }

  /** The next id, waiting out a store that is down; undefined when stopped meanwhile. */
  async function nextId (): Promise<string | undefined> {
    let id: string | undefined
    for (let retry = 1; id === undefined; retry++) {
      try {
        id = await ids.next()
      } catch (err) {
        const retryable = isTransientSidecarError(err) || (err as { code?: unknown }).code === 'SIDECAR_ERR_ETAG_MISMATCH'
        if (!retryable) throw err
        const wait = fullJitterDelay(retry, backoff, random)
        if (idsDownSince === undefined) {
          idsDownSince = now()
          summary.pauses++
          log.warn({ err }, 'Order ids could not be reserved, no new orders until the state store answers again')
        } else {
          log.debug({ err, retry, retryInMs: wait }, 'Order ids still cannot be reserved')
        }
        if (!await sleep(wait, signal)) return undefined
      }
    }
    if (idsDownSince !== undefined) {
      log.info({ pausedMs: now() - idsDownSince }, `Order ids reserved again after ${now() - idsDownSince} ms`)
      idsDownSince = undefined
    }
    return id
  }

  const inFlight = new Set<Promise<void>>()
  let nextStart = now()
  while (options.count === undefined || summary.sent < options.count) {
    if (signal.aborted) break
    if (isPaused()) {
      await resumed.wait(false)
      continue
    }
    if (inFlight.size >= options.concurrency) {
      await Promise.race(inFlight)
      continue
    }
    const wait = nextStart - now()
    if (wait > 0) {
      if (!await sleep(wait, signal)) break
      // Delivery may have paused meanwhile: check again before creating.
      continue
    }
    let orderId: string | undefined
    try {
      orderId = await nextId()
    } catch (err) {
      summary.stoppedBy = 'fatal'
      summary.fatal = `could not reserve order ids: ${(err as Error).message}`
      log.error({ err }, summary.fatal)
      break
    }
    // An outage that began while the id was reserved: the id waits, the order is not created yet.
    while (isPaused() && !signal.aborted) await resumed.wait(false)
    if (orderId === undefined || signal.aborted) break
    const { traceId, traceparent } = startTrace()
    const order: Order = { orderId, createdAt: now(), traceId, traceparent }
    pending.set(orderId, order)
    summary.sent++
    observer?.sent()
    // Fixed rate, but no burst to catch up after a stall or an outage.
    nextStart = Math.max(nextStart + options.intervalMs, now())
    const sending: Promise<void> = deliver(order).finally(() => inFlight.delete(sending))
    inFlight.add(sending)
  }
  if (summary.stoppedBy !== 'fatal' && signal.aborted) summary.stoppedBy = 'signal'
  await Promise.all(inFlight)

  if (pending.size > 0) {
    summary.unacknowledged = [...pending.keys()]
    summary.failed += pending.size
    for (let i = 0; i < pending.size; i++) observer?.gaveUp('stopped')
    log.error({ unacknowledged: summary.unacknowledged, traceIds: [...pending.values()].map((o) => o.traceId) },
      `Stopped with ${pending.size} orders created but never acknowledged: ${summary.unacknowledged.join(', ')}`)
  }
  const sorted = [...latencies].sort((a, b) => a - b)
  summary.p50LatencyMs = percentile(sorted, 0.5)
  summary.p99LatencyMs = percentile(sorted, 0.99)
  return summary
}
