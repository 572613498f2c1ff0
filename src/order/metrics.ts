// The order service's own numbers, and the instrumented port around its sidecar calls.
import { Counter, type Registry } from 'prom-client'
import type { SidecarMetrics } from '../shared/metrics.js'
import type { OrderSidecar } from './store.js'

/**
 * Every `POST /neworder` that reached the route is `received`; once answered it is exactly
 * one of `persisted` (stored by this call), `duplicates` (the same order was already
 * stored), `rejected{code}` (a 4xx) or `failed{code}` (a 5xx). Codes are the answer's `code`.
 */
export interface OrderMetrics {
  received: Counter
  persisted: Counter
  duplicates: Counter
  rejected: Counter<'code'>
  failed: Counter<'code'>
}

/**
 * @example
 * const metrics = createOrderMetrics(registry)
 * metrics.received.inc()
 */
export function createOrderMetrics (registry: Registry): OrderMetrics {
  const registers = [registry]
  return {
    received: new Counter({ name: 'orders_received_total', help: 'POST /neworder requests received', registers }),
    persisted: new Counter({ name: 'orders_persisted_total', help: 'New orders stored in the state store', registers }),
    duplicates: new Counter({ name: 'orders_duplicates_total', help: 'Orders received again, identical to the stored one; nothing written', registers }),
    rejected: new Counter({ name: 'orders_rejected_total', help: 'Orders refused with a 4xx, by error code', labelNames: ['code'] as const, registers }),
    failed: new Counter({ name: 'orders_failed_total', help: 'Orders that failed with a 5xx, by error code', labelNames: ['code'] as const, registers })
  }
}

/**
 * The sidecar as the service uses it, with every call timed and every failure counted by
 * operation (`state.get`, `state.save`, `healthz.outbound`).
 * @example
 * const sidecar = instrumentSidecar(createSidecarClient(), createSidecarMetrics(registry))
 */
export function instrumentSidecar (sidecar: OrderSidecar, metrics: SidecarMetrics): OrderSidecar {
  return {
    healthzOutbound: (options) => metrics.observe('healthz.outbound', () => sidecar.healthzOutbound(options)),
    state: {
      get: (store, key, options) => metrics.observe('state.get', () => sidecar.state.get(store, key, options)),
      save: (store, items, options) => metrics.observe('state.save', () => sidecar.state.save(store, items, options))
    }
  }
}
