// The order service's routes as one encapsulated plugin: POST /neworder, GET /order and
// GET /orders/:orderId. Everything they use comes in as options; nothing is built here.
import type { FastifyError, FastifyPluginAsync, onRequestAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { ERRORS_PLUGIN, toErrorResponse, type HttpError } from '../shared/http.js'
import { requestTrace } from '../shared/trace.js'
import { requireApiToken } from './auth.js'
import { orderErrors } from './errors.js'
import type { OrderMetrics } from './metrics.js'
import { MAX_ORDER_DEPTH, NewOrderBodySchema, OrderAcceptedSchema, OrderDataSchema, OrderParamsSchema, nestsDeeperThan } from './schemas.js'
import type { OrderStore } from './store.js'

export interface OrderRoutesOptions {
  store: OrderStore
  metrics: OrderMetrics
  /** When set, `POST /neworder` requires `dapr-api-token` equal to it. */
  appApiToken?: string | undefined
}

/** The quickstart's limit was Express's 100 KB; an order is a few bytes. */
export const BODY_LIMIT = 64 * 1024

const err = { $ref: 'ErrorResponse#' }

/**
 * @example
 * await app.register(errorHandling)
 * await app.register(orderRoutes, { store: createOrderStore({ sidecar, storeName }), metrics: createOrderMetrics(registry) })
 */
const orderRoutesPlugin: FastifyPluginAsync<OrderRoutesOptions> = async (instance, { store, metrics, appApiToken }) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()

  // Counted first, so a request the token check refuses is received and then rejected.
  const countReceived: onRequestAsyncHookHandler = async () => { metrics.received.inc() }
  app.post('/neworder', {
    bodyLimit: BODY_LIMIT,
    onRequest: appApiToken === undefined ? [countReceived] : [countReceived, requireApiToken(appApiToken)],
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
}

/** Encapsulated: its hooks and settings stay inside; named so a missing error plugin fails loudly. */
export const orderRoutes = fp(orderRoutesPlugin, { name: 'order-routes', fastify: '5.x', dependencies: [ERRORS_PLUGIN], encapsulate: true })
