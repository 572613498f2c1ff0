// The daprd-shaped HTTP API server on plain node:http: raw paths, Go path cleaning,
// the API token middleware and the fallback of every unmatched request to service invocation.
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { timingSafeEqual, createHash } from 'node:crypto'
import type { Logger } from 'pino'
import type { ApiRequest } from './context.js'
import { BodyTooLargeError } from './context.js'
import { DaprError, errors, sendError } from './errors.js'
import { cleanPath, parseQuery, pathUnescape, queryUnescape } from './go-compat.js'
import { runtimeHandlers, type RuntimeApi } from './runtime.js'
import { respondOrFail, stateHandlers, type StateApiOptions } from './state.js'
import { findTarget } from '../invoke/target.js'

export interface ApiServerOptions {
  state: StateApiOptions
  runtime: RuntimeApi
  /** Service invocation (also the fallback for unmatched routes and methods). */
  invoke (ctx: ApiRequest): Promise<void>
  /** `DAPR_API_TOKEN`: when set, every route except GET healthz needs `dapr-api-token`. */
  apiToken?: string | undefined
  logger: Logger
  /** Log every API call at info (daprd's `--enable-api-logging`). */
  apiLogging?: boolean
}

type Handler = (ctx: ApiRequest) => Promise<void>
interface Route { methods: readonly string[], pattern: readonly string[], handler: Handler }

const POST_PUT = ['POST', 'PUT']

/** Splits `req.url` (origin- or absolute-form) into raw path and raw query. */
export function splitTarget (url: string): { rawPath: string, rawQuery: string } {
  let target = url
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?]*/.exec(target)
  if (scheme) target = target.slice(scheme[0].length)
  const q = target.indexOf('?')
  const rawPath = q < 0 ? target : target.slice(0, q)
  return { rawPath: rawPath === '' ? '/' : rawPath, rawQuery: q < 0 ? '' : target.slice(q + 1) }
}

/** Matches cleaned path segments against a pattern (`:p` one segment, `*` the non-empty rest). */
export function matchRoute (pattern: readonly string[], segments: readonly string[]): string[] | undefined {
  const params: string[] = []
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string
    if (p === '*') {
      if (i >= segments.length) return undefined
      params.push(segments.slice(i).join('/'))
      return params
    }
    const s = segments[i]
    if (s === undefined) return undefined
    if (p.startsWith(':')) params.push(s)
    else if (p !== s) return undefined
  }
  return pattern.length === segments.length ? params : undefined
}

function sameToken (given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false
  // Hash both sides so the comparison is constant-time whatever the lengths.
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}

/**
 * Builds (does not listen) the sidecar's public HTTP API server.
 * @example
 * const server = buildApiServer({ state, runtime, invoke, logger })
 * server.listen(3500, '127.0.0.1')
 */
export function buildApiServer (opts: ApiServerOptions): Server {
  const s = stateHandlers
  const r = runtimeHandlers
  const st = (h: (ctx: ApiRequest, o: StateApiOptions) => Promise<void>): Handler => (ctx) => h(ctx, opts.state)
  const rt = (h: (ctx: ApiRequest, a: RuntimeApi) => Promise<void>): Handler => (ctx) => h(ctx, opts.runtime)
  // Static segments before parameters, as chi prefers them.
  const routes: Route[] = [
    { methods: POST_PUT, pattern: ['v1.0', 'state', ':store', 'bulk'], handler: st(s.bulkGet) },
    { methods: POST_PUT, pattern: ['v1.0', 'state', ':store', 'transaction'], handler: st(s.transaction) },
    { methods: POST_PUT, pattern: ['v1.0', 'state', ':store'], handler: st(s.saveState) },
    { methods: ['GET'], pattern: ['v1.0', 'state', ':store', ':key'], handler: st(s.getState) },
    { methods: ['DELETE'], pattern: ['v1.0', 'state', ':store', ':key'], handler: st(s.deleteState) },
    { methods: POST_PUT, pattern: ['v1.0-alpha1', 'state', ':store', 'query'], handler: st(s.query) },
    { methods: ['GET'], pattern: ['v1.0', 'healthz'], handler: rt(r.healthz) },
    { methods: ['GET'], pattern: ['v1.0', 'healthz', 'outbound'], handler: rt(r.outbound) },
    { methods: ['GET'], pattern: ['v1.0', 'metadata'], handler: rt(r.metadata) },
    { methods: ['PUT'], pattern: ['v1.0', 'metadata', ':key'], handler: rt(r.putMetadata) },
    { methods: ['POST'], pattern: ['v1.0', 'shutdown'], handler: rt(r.shutdown) },
    { methods: POST_PUT, pattern: ['v1.0-alpha1', 'publish', 'bulk', ':pubsub', '*'], handler: r.publish },
    { methods: POST_PUT, pattern: ['v1.0', 'publish', ':pubsub', '*'], handler: r.publish }
  ]

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { rawPath, rawQuery } = splitTarget(req.url as string)
    const decodedPath = pathUnescape(rawPath)
    if (decodedPath === undefined) {
      // Go's server rejects a malformed escape while parsing the request line: plain text.
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' })
      res.end('400 Bad Request')
      return
    }
    const method = (req.method as string).toUpperCase()
    if (opts.apiLogging) opts.logger.info({ method, path: rawPath }, 'HTTP API called')
    if (opts.apiToken !== undefined) {
      const trimmed = decodedPath.replace(/^\/+|\/+$/g, '')
      const exempt = method === 'GET' && (trimmed === 'v1.0/healthz' || trimmed === 'v1.0/healthz/outbound')
      if (!exempt) {
        if (!sameToken(req.headers['dapr-api-token'], opts.apiToken)) {
          res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' })
          res.end('invalid api token\n')
          return
        }
        delete req.headers['dapr-api-token']
      }
    }
    const segments = cleanPath(rawPath).split('/').filter((x) => x !== '')
    const ctx: ApiRequest = { req, res, method, rawPath, rawQuery, query: parseQuery(rawQuery), params: [] }
    let handler: Handler = opts.invoke
    for (const route of routes) {
      const params = matchRoute(route.pattern, segments)
      if (params && route.methods.includes(method)) {
        // The path's escapes were validated above, so unescaping cannot fail here.
        ctx.params = params.map((p) => queryUnescape(p) as string)
        handler = route.handler
        break
      }
    }
    try {
      await respondOrFail(ctx, () => handler(ctx))
    } catch (err) {
      if (err instanceof BodyTooLargeError) return sendError(res, errors.malformed(err.message))
      opts.logger.error({ err, method, path: rawPath }, 'unexpected error in the HTTP API')
      if (!res.headersSent) sendError(res, new DaprError(500, 'ERROR', (err as Error).message))
      else res.destroy()
    }
  }

  // node:http hands CONNECT to a 'connect' listener, not to the request handler. daprd's app
  // channel rejects the verb: 500 ERR_DIRECT_INVOKE (or 404 when there is no target at all).
  function handleConnect (req: IncomingMessage, socket: Duplex): void {
    const write = (status: number, type: string, body: string): void => {
      socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] as string}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
    }
    if (opts.apiToken !== undefined && !sameToken(req.headers['dapr-api-token'], opts.apiToken)) return write(401, 'text/plain; charset=utf-8', 'invalid api token\n')
    const target = findTarget(pathUnescape(splitTarget(req.url as string).rawPath) ?? '', req.headers)
    const err = target ? errors.directInvoke(target.targetId, 'invalid HTTP verb') : errors.noAppId()
    write(err.status, 'application/json', err.body())
  }

  const server = createServer((req, res) => { handle(req, res).catch(() => res.destroy()) })
  server.on('connect', handleConnect)
  // daprd: ReadHeaderTimeout 10 s and no write timeout (long invocations stream freely).
  server.headersTimeout = 10_000
  server.requestTimeout = 0
  // Go's server sends no `Keep-Alive` header and keeps idle connections (daprd sets no
  // IdleTimeout); 0 does both here. close() still drops idle connections.
  server.keepAliveTimeout = 0
  return server
}
