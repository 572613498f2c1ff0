// The callee half of sidecar-to-sidecar invocation: a second HTTP server on loopback
// (daprd's internal gRPC port), reachable only with the secret from the registry entry.
// The caller has already picked the app path and processed the headers; this side applies
// its own rules (APP_API_TOKEN, app health) and streams the app's answer back unchanged.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { timingSafeEqual, createHash } from 'node:crypto'
import type { Logger } from 'pino'
import type { AppChannel } from './app-channel.js'
import { INTERNAL_ERROR_HEADER, INTERNAL_SECRET_HEADER, requestHeadersForApp, stripHopByHop } from './headers.js'

export const NO_APP_CHANNEL = 'cannot invoke local endpoint: app channel not initialized'

export function hasBody (req: IncomingMessage): boolean {
  const len = req.headers['content-length']
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined
}

/** Aborts the upstream call when the caller goes away before the answer is complete. */
export function abortOnHangUp (res: ServerResponse): AbortSignal {
  const ac = new AbortController()
  res.once('close', () => { if (!res.writableFinished) ac.abort() })
  return ac.signal
}

function digest (s: string): Buffer {
  return createHash('sha256').update(s).digest()
}

/**
 * @example
 * const internal = buildInternalServer({ secret, app, logger })
 * internal.listen(0, '127.0.0.1')
 */
export function buildInternalServer (opts: { secret: string, app: AppChannel | undefined, logger: Logger }): Server {
  const expected = digest(opts.secret)
  const server = createServer((req, res) => {
    const given = req.headers[INTERNAL_SECRET_HEADER]
    if (typeof given !== 'string' || !timingSafeEqual(digest(given), expected)) {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' })
      res.end('forbidden\n')
      return
    }
    const fail = (message: string): void => {
      res.writeHead(500, { [INTERNAL_ERROR_HEADER]: encodeURIComponent(message), 'content-type': 'text/plain; charset=utf-8' })
      res.end(message)
    }
    if (!opts.app) return fail(NO_APP_CHANNEL)
    opts.app.invoke(req.method as string, req.url as string, requestHeadersForApp(req.headers), hasBody(req) ? req : null, abortOnHangUp(res))
      .then((r) => {
        const headers = stripHopByHop(r.headers)
        delete headers['content-length']
        delete headers[INTERNAL_ERROR_HEADER]
        res.writeHead(r.statusCode, headers)
        r.body.pipe(res)
        r.body.on('error', () => res.destroy())
      }, (err: Error) => fail(err.message))
  })
  server.headersTimeout = 10_000
  server.requestTimeout = 0
  return server
}
