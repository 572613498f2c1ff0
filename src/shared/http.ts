// What both services' HTTP layers share: the one error shape, the one way to define the errors
// routes throw, the error-handling plugin (error and not-found handlers, stalled bodies), and
// the Fastify server options.
import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import { Type, type Static } from '@sinclair/typebox'
import createError, { type FastifyErrorConstructor } from '@fastify/error'
import { LogController, type FastifyBaseLogger, type FastifyError, type FastifyPluginAsync, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import fp from 'fastify-plugin'
import { lazySerializers, lazyValidators } from './lazy-compile.js'
import { requestTrace } from './trace.js'

/** Every 4xx/5xx body of both services. */
export const ErrorResponseSchema = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  message: Type.String()
}, { $id: 'ErrorResponse' })
export type ErrorResponse = Static<typeof ErrorResponseSchema>

/**
 * Base of every expected failure a route throws: it has a stable `code` and a message that is
 * safe to send to the client, even for a 5xx (so never put a dependency's error text in it).
 * Never constructed itself: `defineHttpError` makes its subclasses. The error handler trusts
 * the status and message of these errors only.
 */
export abstract class HttpError<C extends string = string> extends Error {
  declare readonly statusCode: number
  declare readonly code: C
}

/** A stable error code: `<AREA>_ERR_<WHAT>`, e.g. `ORDER_ERR_CONFLICT`. */
export type ErrorCode = `${Uppercase<string>}_ERR_${Uppercase<string>}`

const CODE = /^[A-Z][A-Z0-9]*_ERR_[A-Z0-9_]+$/

/**
 * Defines one HTTP error with `@fastify/error`: `message` is a `util.format` template whose
 * `%s` take the call's arguments; a last argument `{ cause }` becomes the error's cause (logged,
 * never sent). Instances are `HttpError`s. Callable with or without `new`.
 * @example
 * const NotFound = defineHttpError('ORDER_ERR_NOT_FOUND', 404, 'Order %s not found')
 * throw NotFound('42') // { statusCode: 404, code: 'ORDER_ERR_NOT_FOUND', message: 'Order 42 not found' }
 */
export function defineHttpError<C extends ErrorCode, A extends unknown[] = []> (code: C, statusCode: number, message: string): FastifyErrorConstructor<{ code: C, statusCode: number }, A> & { prototype: HttpError<C> } {
  if (!CODE.test(code)) throw new TypeError(`error code ${code} is not <AREA>_ERR_<WHAT>`)
  if (!Number.isInteger(statusCode) || statusCode < 400 || statusCode > 599) throw new TypeError(`status of ${code} must be 4xx or 5xx, got ${statusCode}`)
  // @fastify/error builds the prototype from Base.prototype without calling Base, so an
  // abstract class works as the marker every one of our errors shares.
  return createError<C, number, A>(code, message, statusCode, HttpError as unknown as ErrorConstructor) as FastifyErrorConstructor<{ code: C, statusCode: number }, A> & { prototype: HttpError<C> }
}

// Codes of the answers the shared handlers write themselves, outside any route.
export const ERR_ROUTE_NOT_FOUND = 'APP_ERR_ROUTE_NOT_FOUND'
export const ERR_INTERNAL = 'APP_ERR_INTERNAL'
export const ERR_BAD_REQUEST = 'APP_ERR_BAD_REQUEST'
export const ERR_HEADERS_TOO_LARGE = 'APP_ERR_HEADERS_TOO_LARGE'
export const ERR_REQUEST_TIMEOUT = 'APP_ERR_REQUEST_TIMEOUT'

/**
 * How long a request body may stall between two chunks before its connection is closed.
 * Node's `requestTimeout` stops watching once the headers are in, so a client that sends
 * half a body would otherwise hold a socket and a parser for ever.
 */
export const BODY_IDLE_TIMEOUT_MS = 10_000

/**
 * Fastify's per-request access lines ("incoming request", "request completed") at debug
 * instead of info: at info a service tells its own story (the order service's two lines per
 * order); `LOG_LEVEL=debug` shows every request again. A request that errored stays at error.
 */
export class AccessLogAtDebug extends LogController {
  override incomingRequest (request: FastifyRequest): void {
    if (!this.isLogDisabled(request)) request.log.debug({ req: request }, 'incoming request')
  }

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error !== null && error !== undefined) return super.requestCompleted(error, request, reply)
    if (!this.isLogDisabled(request)) reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed')
  }
}

/**
 * Server options both apps use. `requestTimeout` bounds slow clients; keep-alive is longer
 * than the common 60 s idle timeout of proxies so they, not we, close idle sockets.
 * `return503OnClosing` is off because Fastify's own 503 body does not have our shape; while
 * closing, requests on open connections are still served and `/readyz` says 503.
 * Ajv type coercion is off: `orderId` is a string-or-integer union, and coercion would
 * silently turn `42` into `"42"` (or the reverse) depending on the branch order. Start-up
 * (docs/benchmarks.md): ajv does not check each schema against its meta-schema (compiling
 * that was a sixth of the start; the schemas are TypeBox's, checked by the tests), and each
 * validator and serializer is compiled on its first use (`lazy-compile.ts`).
 * Every request's logger carries `reqId` (a UUID, unique across replicas and restarts, unlike
 * Fastify's per-process counter) and the `traceId` of its W3C trace (`requestTrace`), so the
 * lines of one order can be found across services and next to daprd's spans.
 */
export function serverOptions (logger: FastifyBaseLogger | undefined): FastifyServerOptions & { loggerInstance?: FastifyBaseLogger } {
  return {
    ...(logger === undefined ? { logger: false } : { loggerInstance: logger }),
    genReqId: () => randomUUID(),
    logController: new AccessLogAtDebug(),
    childLoggerFactory: (parent, bindings, options, rawReq) =>
      parent.child({ ...bindings, traceId: requestTrace(rawReq).traceId }, options),
    connectionTimeout: 0,
    requestTimeout: 30_000,
    keepAliveTimeout: 72_000,
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    clientErrorHandler: answerClientError,
    ajv: { customOptions: { coerceTypes: false, allErrors: true, validateSchema: false } },
    schemaController: { compilersFactory: { buildValidator: lazyValidators(), buildSerializer: lazySerializers() } }
  }
}

export interface ErrorHandlingOptions {
  /** How long a request body may stall between two chunks; default `BODY_IDLE_TIMEOUT_MS`. */
  bodyIdleTimeoutMs?: number | undefined
}

/** Name other plugins list in `dependencies` when they use the `ErrorResponse#` schema. */
export const ERRORS_PLUGIN = 'app-errors'

/**
 * Gives every error the `{ statusCode, code, message }` shape, for the whole app (it is not
 * encapsulated): validation → 400 `FST_ERR_VALIDATION`; Fastify's own 4xx (bad JSON 400,
 * oversize 413, wrong content type 415) keep their `FST_ERR_*` code; an `HttpError` as thrown;
 * anything else → 500 with a generic message, logged with its stack. Registers the
 * `ErrorResponse` schema routes refer to as `{ $ref: 'ErrorResponse#' }`.
 * @example
 * await app.register(errorHandling, { bodyIdleTimeoutMs: 10_000 })
 */
const errorHandlingPlugin: FastifyPluginAsync<ErrorHandlingOptions> = async (app, options) => {
  const bodyIdleTimeoutMs = options.bodyIdleTimeoutMs ?? BODY_IDLE_TIMEOUT_MS
  app.addSchema(ErrorResponseSchema)

  // Close the connection of a request whose body stops arriving; restored once it is read.
  const armed = new WeakSet<object>()
  app.addHook('onRequest', async (request) => {
    const { headers, socket } = request.raw
    if (headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) return
    // Injected requests (app.inject) have no real socket to watch.
    if (typeof socket?.setTimeout !== 'function') return
    socket.setTimeout(bodyIdleTimeoutMs)
    socket.once('timeout', destroyStalled)
    armed.add(request.raw)
  })
  app.addHook('preHandler', async (request) => {
    if (!armed.has(request.raw)) return
    request.raw.socket.setTimeout(0)
    request.raw.socket.off('timeout', destroyStalled)
  })

  app.setErrorHandler<FastifyError | HttpError>((err, request, reply) => {
    const body = toErrorResponse(err)
    if (err instanceof HttpError && body.statusCode >= 500) {
      // Expected outages (sidecar or store down): one warning with the cause, no stack of ours.
      request.log.warn({ code: body.code, statusCode: body.statusCode, err: err.cause }, body.message)
    } else if (body.statusCode >= 500) {
      request.log.error({ err }, 'request failed')
    } else {
      request.log.info({ code: body.code, statusCode: body.statusCode }, body.message)
    }
    return reply.code(body.statusCode).send(body)
  })

  app.setNotFoundHandler((request, reply) => {
    return reply.code(404).send({
      statusCode: 404,
      code: ERR_ROUTE_NOT_FOUND,
      message: `Route ${request.method} ${request.url.split('?')[0]} not found`
    })
  })
}

export const errorHandling = fp(errorHandlingPlugin, { name: ERRORS_PLUGIN, fastify: '5.x' })

/** The answer the error handler gives for `err`; also what per-code metrics count. */
export function toErrorResponse (err: FastifyError | HttpError): ErrorResponse {
  if (err instanceof HttpError) return { statusCode: err.statusCode, code: err.code, message: err.message }
  if ('validation' in err && err.validation !== undefined) return { statusCode: 400, code: 'FST_ERR_VALIDATION', message: err.message }
  // Only Fastify's own errors are trusted to carry a client-facing status; a dependency's
  // error with a `statusCode` (a sidecar 400, say) is our bug, not the client's.
  const status = err.statusCode
  if (typeof err.code === 'string' && err.code.startsWith('FST_') && status !== undefined && status >= 400 && status < 500) {
    return { statusCode: status, code: err.code, message: err.message }
  }
  return { statusCode: 500, code: ERR_INTERNAL, message: 'Internal Server Error' }
}

function destroyStalled (this: Socket): void {
  this.destroy()
}

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (a malformed request line,
 * headers over the limit, a request timeout) answered in the shared `{ statusCode, code,
 * message }` shape, then the connection is closed.
 */
export function answerClientError (err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy()
    return
  }
  const [statusCode, code, message] = err.code === 'HPE_HEADER_OVERFLOW'
    ? [431, ERR_HEADERS_TOO_LARGE, 'Request header fields too large']
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, ERR_REQUEST_TIMEOUT, 'Request timeout']
      : [400, ERR_BAD_REQUEST, 'Bad request']
  const body = JSON.stringify({ statusCode, code, message })
  socket.end(`HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
}
