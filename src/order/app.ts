// The order service as a Fastify app: the shared plugins and the order routes wired together.
// Built here, started by server.ts.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { Registry } from 'prom-client'
import { health } from '../shared/health.js'
import { errorHandling, serverOptions } from '../shared/http.js'
import { createSidecarMetrics, httpMetrics } from '../shared/metrics.js'
import { installExactJsonParser } from './exact-json.js'
import { createOrderMetrics, instrumentSidecar } from './metrics.js'
import { orderRoutes } from './routes.js'
import { createOrderStore, type OrderSidecar } from './store.js'

export type { OrderSidecar } from './store.js'
export { BODY_LIMIT } from './routes.js'

export interface OrderAppOptions {
  sidecar: OrderSidecar
  stateStoreName: string
  /** When set, `POST /neworder` requires `dapr-api-token` equal to it. */
  appApiToken?: string | undefined
  /** A pino logger; none means no logs. */
  logger?: FastifyBaseLogger | undefined
  /** server.ts flips this at shutdown so `/readyz` fails while requests drain. */
  isDraining?: (() => boolean) | undefined
  /** Deadline of the readiness check's sidecar call; default 900 ms (under kubelet's 1 s). */
  readyTimeoutMs?: number | undefined
  /** Where the app's metrics are registered; default a fresh Registry of its own. */
  registry?: Registry | undefined
  /** Serve `GET /metrics` on this app (default true); false when a METRICS_PORT listener does. */
  metricsRoute?: boolean | undefined
}

/**
 * Builds the order service without listening or reading the environment. The plugins load
 * on the first `inject`, `ready` or `listen`.
 * @example
 * const app = buildApp({ sidecar: createSidecarClient(), stateStoreName: 'statestore' })
 * const res = await app.inject({ method: 'POST', url: '/neworder', payload: { data: { orderId: '42' } } })
 */
export function buildApp (options: OrderAppOptions): FastifyInstance {
  const app = Fastify(serverOptions(options.logger))
  const registry = options.registry ?? new Registry()
  const sidecar = instrumentSidecar(options.sidecar, createSidecarMetrics(registry))
  // JSON only: without this, Fastify's text/plain parser turns a wrong content type into a 400.
  app.removeContentTypeParser('text/plain')
  // A number JSON.parse would change (1e400, integers beyond 2^53) is a 400, not stored altered.
  installExactJsonParser(app)
  app.register(errorHandling)
  app.register(httpMetrics, { registry, route: options.metricsRoute })
  app.register(health, {
    sidecar,
    isDraining: options.isDraining ?? (() => false),
    readyTimeoutMs: options.readyTimeoutMs ?? 900
  })
  app.register(orderRoutes, {
    store: createOrderStore({ sidecar, storeName: options.stateStoreName }),
    metrics: createOrderMetrics(registry),
    appApiToken: options.appApiToken
  })
  return app
}
