// The generator's own numbers, and the instrumented port around its sidecar calls.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { UpdateOptions } from '../sidecar/index.js'
import type { SidecarMetrics } from '../shared/metrics.js'
import type { DeliveryObserver, DeliveryStatus, GeneratorOptions } from './loop.js'

/**
 * `generator_orders_sent_total`, `_delivered_total`, `_given_up_total{reason}` (reason:
 * rejected, stopped), `generator_retries_total`, and
 * `generator_delivery_duration_seconds` (creation to 2xx, retries included); the backlog
 * gauges of `registerBacklogMetrics` once the loop calls `watch`.
 * @example
 * const summary = await runGenerator({ ...options, observer: createGeneratorMetrics(registry) })
 */
export function createGeneratorMetrics (registry: Registry): DeliveryObserver {
  const registers = [registry]
  const sent = new Counter({ name: 'generator_orders_sent_total', help: 'Orders created and sent at least once', registers })
  const delivered = new Counter({ name: 'generator_orders_delivered_total', help: 'Orders the order service acknowledged with a 2xx', registers })
  const retries = new Counter({ name: 'generator_retries_total', help: 'Delivery attempts repeated after a transient failure', registers })
  const givenUp = new Counter({
    name: 'generator_orders_given_up_total',
    help: 'Orders never delivered, by reason: rejected (a permanent 4xx answer), stopped (created but not acknowledged when the generator stopped)',
    labelNames: ['reason'] as const,
    registers
  })
  const latency = new Histogram({
    name: 'generator_delivery_duration_seconds',
    help: 'From creating an order to its 2xx, retries and waits included',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers
  })
  return {
    sent: () => { sent.inc() },
    delivered: (latencyMs) => {
      delivered.inc()
      latency.observe(latencyMs / 1000)
    },
    retried: () => { retries.inc() },
    gaveUp: (reason) => { givenUp.inc({ reason }) },
    watch: (status) => { registerBacklogMetrics(registry, status) }
  }
}

/**
 * The backlog, read from the loop at every scrape: `generator_orders_pending`,
 * `generator_oldest_pending_age_seconds` and `generator_delivery_paused` (0/1). During an
 * outage pending stays at most GENERATOR_CONCURRENCY while the age grows.
 * @example
 * registerBacklogMetrics(registry, () => ({ pending: 2, oldestPendingMs: 1500, paused: true }))
 */
export function registerBacklogMetrics (registry: Registry, status: () => DeliveryStatus): Gauge[] {
  const registers = [registry]
  return [new Gauge({
    name: 'generator_orders_pending',
    help: 'Orders created and not yet acknowledged or rejected',
    registers,
    collect () { this.set(status().pending) }
  }), new Gauge({
    name: 'generator_oldest_pending_age_seconds',
    help: 'Age of the oldest order not yet acknowledged; 0 when none is pending',
    registers,
    collect () { this.set(status().oldestPendingMs / 1000) }
  }), new Gauge({
    name: 'generator_delivery_paused',
    help: '1 while delivery waits for the order service, its store or a sidecar (no new orders meanwhile), else 0',
    registers,
    collect () { this.set(status().paused ? 1 : 0) }
  })]
}

/**
 * The sidecar as the loop uses it, with every call timed and every failure counted by
 * operation (`invoke`, `state.update`; one `state.update` is a read and a conditional write,
 * retried on conflict inside the client).
 * @example
 * const sidecar = instrumentSidecar(client, createSidecarMetrics(registry))
 */
export function instrumentSidecar (sidecar: GeneratorOptions['sidecar'], metrics: SidecarMetrics): GeneratorOptions['sidecar'] {
  return {
    invoke: (appId, method, options) => metrics.observe('invoke', () => sidecar.invoke(appId, method, options)),
    state: {
      update: <T>(store: string, key: string, fn: (current: T | undefined) => T, options?: UpdateOptions) =>
        metrics.observe('state.update', () => sidecar.state.update<T>(store, key, fn, options))
    }
  }
}
