// The order service as Fastify apps: the shared plugins and the order routes wired together,
// once for the Dapr app channel and, when asked, once more for the public listener. Built
// here, started by server.ts.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { Registry } from 'prom-client'
import { health } from '../shared/health.js'
import { errorHandling, serverOptions } from '../shared/http.js'
import { createSidecarMetrics, httpMetrics } from '../shared/metrics.js'
import type { OrderAccess, PublicDemoMode } from './auth.js'
import { installExactJsonParser } from './exact-json.js'
import { createOrderMetrics, instrumentSidecar, type OrderMetrics } from './metrics.js'
import { orderRoutes } from './routes.js'
import { createOrderStore, type OrderSidecar, type OrderStore } from './store.js'

export type { OrderSidecar } from './store.js'
export { BODY_LIMIT } from './routes.js'

export interface OrderAppOptions {
  sidecar: OrderSidecar
  stateStoreName: string
  /** When set, `POST /neworder` on the app channel requires `dapr-api-token` equal to it. */
  appApiToken?: string | undefined
  /** A pino logger; none means no logs. */
  logger?: FastifyBaseLogger | undefined
  /** server.ts flips this at shutdown so `/readyz` fails while requests drain. */
  isDraining?: (() => boolean) | undefined
  /** Deadline of the readiness check's sidecar call; default 900 ms (under kubelet's 1 s). */
  readyTimeoutMs?: number | undefined
  /** Where the app's metrics are registered; default a fresh Registry of its own. */
  registry?: Registry | undefined
  /** Serve `GET /metrics` on the app channel (default true); false when a METRICS_PORT listener does. */
  metricsRoute?: boolean | undefined
}

/** The public listener's access: its own key on `x-api-key`, or a demo mode that opens it. */
export interface PublicAccessOptions {
  apiKey?: string | undefined
  demoMode: PublicDemoMode
}

export interface OrderAppsOptions extends OrderAppOptions {
  /** When set, a second app serves the same routes for public clients (PUBLIC_PORT). */
  public?: PublicAccessOptions | undefined
}

export interface OrderApps {
  /** The Dapr app channel: what daprd calls, guarded by the app token. */
  app: FastifyInstance
  /** The public listener, never serving `/metrics` and never accepting the app token. */
  publicApp: FastifyInstance | undefined
}

interface Shared {
  options: OrderAppOptions
  sidecar: OrderSidecar
  store: OrderStore
  metrics: OrderMetrics
  registry: Registry
}

function assemble (shared: Shared, access: OrderAccess, logger: FastifyBaseLogger | undefined, metricsRoute: boolean | undefined): FastifyInstance {
  const { options, sidecar, registry } = shared
  const app = Fastify(serverOptions(logger))
  // JSON only: without this, Fastify's text/plain parser turns a wrong content type into a 400.
  app.removeContentTypeParser('text/plain')
  // A number JSON.parse would change (1e400, integers beyond 2^53) is a 400, not stored altered.
  installExactJsonParser(app)
  app.register(errorHandling)
  app.register(httpMetrics, { registry, route: metricsRoute })
  app.register(health, {
    sidecar,
    isDraining: options.isDraining ?? (() => false),
    readyTimeoutMs: options.readyTimeoutMs ?? 900
  })
  app.register(orderRoutes, { store: shared.store, metrics: shared.metrics, access })
  return app
}

/**
 * Builds the service's listeners without listening or reading the environment. Both share
 * one sidecar, one store and one set of metrics; each registers the same route plugin with
 * its own access rule. The plugins load on the first `inject`, `ready` or `listen`.
 * @example
 * const { app, publicApp } = buildApps({ sidecar, stateStoreName: 'statestore', appApiToken, public: { apiKey, demoMode: 'off' } })
 */
export function buildApps (options: OrderAppsOptions): OrderApps {
  const registry = options.registry ?? new Registry()
  const sidecar = instrumentSidecar(options.sidecar, createSidecarMetrics(registry))
  const shared: Shared = {
    options,
    sidecar,
    store: createOrderStore({ sidecar, storeName: options.stateStoreName }),
    metrics: createOrderMetrics(registry),
    registry
  }
  const app = assemble(shared, { channel: 'app', appApiToken: options.appApiToken }, options.logger, options.metricsRoute)
  const publicApp = options.public === undefined
    ? undefined
    : assemble(shared, { channel: 'public', ...options.public }, options.logger?.child({ listener: 'public' }), false)
  return { app, publicApp }
}

/**
 * The app channel alone, as tests and benchmarks use it.
 * @example
 * const app = buildApp({ sidecar: createSidecarClient(), stateStoreName: 'statestore' })
 * const res = await app.inject({ method: 'POST', url: '/neworder', payload: { data: { orderId: '42' } } })
 */
export function buildApp (options: OrderAppOptions): FastifyInstance {
  return buildApps(options).app
}
