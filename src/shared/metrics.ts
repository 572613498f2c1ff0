// Prometheus metrics both services share: request durations per route, sidecar call durations
// and errors per operation, and the `GET /metrics` route, either on the app or on a port of its
// own. Every app gets its own Registry (never prom-client's global one), so two apps in one
// process (tests) never share or clash on a metric.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, Histogram, type Registry } from 'prom-client'

export const METRICS_PATH = '/metrics'

/** Route label of requests that matched no route, so unknown URLs cannot grow the label set. */
export const UNMATCHED_ROUTE = 'unmatched'

export interface HttpMetricsOptions {
  /** Where the histogram is registered and what `GET /metrics` serves. */
  registry: Registry
  /** Serve `GET /metrics` on this app (default true); false when a METRICS_PORT listener does. */
  route?: boolean | undefined
}

/**
 * `http_request_duration_seconds{method, route, status_code}` for every request of the app
 * (not encapsulated), observed when each response has been sent, and `GET /metrics` unless
 * `route` is false. `route` is the route pattern (`/orders/:orderId`), never the raw URL.
 * @example
 * await app.register(httpMetrics, { registry, route: config.METRICS_PORT === undefined })
 */
const httpMetricsPlugin: FastifyPluginAsync<HttpMetricsOptions> = async (app, options) => {
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving a request to sending its response, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [options.registry]
  })
  app.addHook('onResponse', async (request, reply) => {
    duration.observe({
      method: request.method,
      route: request.routeOptions.url ?? UNMATCHED_ROUTE,
      status_code: String(reply.statusCode)
    }, reply.elapsedTime / 1000)
  })
  if (options.route !== false) metricsRoute(app, options.registry)
}

export const httpMetrics = fp(httpMetricsPlugin, { name: 'app-metrics', fastify: '5.x' })

/**
 * `GET /metrics` in the Prometheus text format. No token: it must stay reachable by the
 * scraper, so keep it off public listeners (see `buildMetricsApp`).
 */
function metricsRoute (app: FastifyInstance, registry: Registry): void {
  app.get(METRICS_PATH, async (_request, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics())
  })
}

export interface MetricsAppOptions {
  registry: Registry
  logger?: FastifyBaseLogger | undefined
}

/**
 * A listener serving only `GET /metrics`, for a port the public load balancer does not
 * forward (METRICS_PORT). Scrapes are not logged: one every 15 s is noise, not news.
 * @example
 * const metricsApp = buildMetricsApp({ registry, logger })
 * await metricsApp.listen({ host: '0.0.0.0', port: 9464 })
 */
export function buildMetricsApp (options: MetricsAppOptions): FastifyInstance {
  const app = Fastify({
    ...(options.logger === undefined ? { logger: false } : { loggerInstance: options.logger }),
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true
  })
  metricsRoute(app, options.registry)
  return app
}

export interface SidecarMetrics {
  /** Times `call` as `operation`; a rejection also counts as an error under its `code`. */
  observe<T>(operation: string, call: () => Promise<T>): Promise<T>
}

/**
 * `sidecar_call_duration_seconds{operation}` and `sidecar_call_errors_total{operation, code}`,
 * for a service's own thin port around the sidecar client. An error's label is its stable
 * `code` (`SIDECAR_ERR_HTTP`, `SIDECAR_ERR_TIMEOUT`, ...), `UNKNOWN` when it has none.
 * @example
 * const sidecarMetrics = createSidecarMetrics(registry)
 * const entry = await sidecarMetrics.observe('state.get', () => client.state.get('statestore', 'order'))
 */
export function createSidecarMetrics (registry: Registry): SidecarMetrics {
  const duration = new Histogram({
    name: 'sidecar_call_duration_seconds',
    help: 'Duration of calls to the Dapr sidecar, by operation, failures included',
    labelNames: ['operation'] as const,
    registers: [registry]
  })
  const errors = new Counter({
    name: 'sidecar_call_errors_total',
    help: 'Calls to the Dapr sidecar that failed, by operation and error code',
    labelNames: ['operation', 'code'] as const,
    registers: [registry]
  })
  return {
    async observe (operation, call) {
      const end = duration.startTimer({ operation })
      try {
        const result = await call()
        end()
        return result
      } catch (err) {
        end()
        // Object() so that a thrown null or string reads as "no code" instead of throwing here.
        const code: unknown = Object(err).code
        errors.inc({ operation, code: typeof code === 'string' ? code : 'UNKNOWN' })
        throw err
      }
    }
  }
}
