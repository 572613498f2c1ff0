// The order service as a Fastify app: built here, started by server.ts.
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type onRequestAsyncHookHandler } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Registry } from 'prom-client'
import type { SidecarClient, StateApi } from '../sidecar/index.js'
import { registerHealthRoutes } from '../shared/health.js'
import { installErrorHandlers, serverOptions, toErrorResponse, type HttpError } from '../shared/http.js'
import { createSidecarMetrics, registerHttpMetrics, registerMetricsRoute } from '../shared/metrics.js'
import { requestTrace } from '../shared/trace.js'
import { requireApiToken } from './auth.js'
import { orderErrors } from './errors.js'
import { installExactJsonParser } from './exact-json.js'
import { createOrderMetrics, instrumentSidecar } from './metrics.js'
import { MAX_ORDER_DEPTH, NewOrderBodySchema, OrderAcceptedSchema, OrderDataSchema, OrderParamsSchema, nestsDeeperThan } from './schemas.js'
import { createOrderStore } from './store.js'

/** The part of the sidecar client the order service uses. */
export type OrderSidecar = Pick<SidecarClient, 'healthzOutbound'> & { state: Pick<StateApi, 'get' | 'save'> }

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

/** The quickstart's limit was Express's 100 KB; an order is a few bytes. */
export const BODY_LIMIT = 64 * 1024

const err = { $ref: 'ErrorResponse#' }

/**
 * Builds the order service without listening or reading the environment.
 * @example
 * const app = buildApp({ sidecar: createSidecarClient(), stateStoreName: 'statestore' })
 * const res = await app.inject({ method: 'POST', url: '/neworder', payload: { data: { orderId: '42' } } })
 */
export function buildApp (options: OrderAppOptions): FastifyInstance {
  const app = Fastify(serverOptions(options.logger)).withTypeProvider<TypeBoxTypeProvider>()
  const registry = options.registry ?? new Registry()
  const metrics = createOrderMetrics(registry)
  const sidecar = instrumentSidecar(options.sidecar, createSidecarMetrics(registry))
  const store = createOrderStore({ sidecar, storeName: options.stateStoreName })
  installErrorHandlers(app)
  registerHttpMetrics(app, registry)
  if (options.metricsRoute !== false) registerMetricsRoute(app, registry)
  // JSON only: without this, Fastify's text/plain parser turns a wrong content type into a 400.
  app.removeContentTypeParser('text/plain')
  // A number JSON.parse would change (1e400, integers beyond 2^53) is a 400, not stored altered.
  installExactJsonParser(app)
  registerHealthRoutes(app, {
    sidecar,
    isDraining: options.isDraining ?? (() => false),
    readyTimeoutMs: options.readyTimeoutMs ?? 900
  })

  // Counted first, so a request the token check refuses is received and then rejected.
  const countReceived: onRequestAsyncHookHandler = async () => { metrics.received.inc() }
  app.post('/neworder', {
    bodyLimit: BODY_LIMIT,
    onRequest: options.appApiToken === undefined ? [countReceived] : [countReceived, requireApiToken(options.appApiToken)],
    // Runs before the error handler, for every error this route answers (auth, body, schema, store).
    // Before schema validation and the store, both of which recurse into the data.
    preValidation: async (request) => {
      if (nestsDeeperThan(request.body, MAX_ORDER_DEPTH + 1)) throw orderErrors.tooDeep(MAX_ORDER_DEPTH)
    },
    onError: async (_request, _reply, error: FastifyError | HttpError) => {
      const { statusCode, code } = toErrorResponse(error)
      if (statusCode >= 500) metrics.failed.inc({ code })
      else metrics.rejected.inc({ code })
    },
    schema: {
      body: NewOrderBodySchema,
      response: { 200: OrderAcceptedSchema, 400: err, 401: err, 409: err, 413: err, 415: err, 500: err, 503: err }
    }
  }, async (request) => {
    const { data } = request.body
    // request.log already carries reqId and traceId (serverOptions).
    const log = request.log.child({ orderId: data.orderId })
    log.info(`Got a new order! Order ID: ${data.orderId}`)
    const outcome = await store.create(data, requestTrace(request.raw))
    if (outcome === 'created') {
      metrics.persisted.inc()
      log.info(`Successfully persisted state for Order ID: ${data.orderId}`)
    } else {
      metrics.duplicates.inc()
      log.info(`Order ID: ${data.orderId} was already persisted; nothing written`)
    }
    return { orderId: data.orderId }
  })

  app.get('/order', {
    schema: { response: { 200: OrderDataSchema, 404: err, 500: err, 503: err } }
  }, async (request) => {
    const data = await store.latest(requestTrace(request.raw))
    if (data === undefined) throw orderErrors.noOrderYet()
    return data
  })

  app.get('/orders/:orderId', {
    schema: { params: OrderParamsSchema, response: { 200: OrderDataSchema, 400: err, 404: err, 500: err, 503: err } }
  }, async (request) => {
    const data = await store.get(request.params.orderId, requestTrace(request.raw))
    if (data === undefined) throw orderErrors.notFound(request.params.orderId)
    return data
  })

  return app
}
