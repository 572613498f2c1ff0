// What every API handler gets: the raw request plus daprd's parsed view of it.
import type { IncomingMessage, ServerResponse } from 'node:http'

export const MAX_BODY_BYTES = 4 << 20

export class BodyTooLargeError extends Error {
  readonly code = 'ERR_BODY_TOO_LARGE'
  constructor () {
    // daprd's limit reader fails with exactly this text (dapr/kit streams/limitreadcloser.go).
    super('stream too large')
    this.name = 'BodyTooLargeError'
  }
}

export interface ApiRequest {
  req: IncomingMessage
  res: ServerResponse
  /** Upper-cased HTTP method. */
  method: string
  /** Raw (escaped) path as received. */
  rawPath: string
  /** Raw query string without `?`, exactly as received. */
  rawQuery: string
  /** Parsed query (Go `r.URL.Query()`). */
  query: Map<string, string[]>
  /** Route parameters, already `url.QueryUnescape`d. */
  params: string[]
}

/** Reads the whole body, failing once it exceeds `limit` bytes (daprd's `MaxBodySizeMiddleware`). */
export function readBody (req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let failed = false
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (failed) return
      if (size > limit) {
        // Keep draining (not destroying) so the connection can still carry the error response.
        failed = true
        chunks.length = 0
        reject(new BodyTooLargeError())
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => { if (!failed) resolve(Buffer.concat(chunks)) })
    req.on('error', (err) => { if (!failed) { failed = true; reject(err) } })
  })
}

/** `getMetadataFromRequest`: `metadata.*` query parameters, prefix removed, first value kept. */
export function metadataFromQuery (query: Map<string, string[]>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of query) {
    if (k.startsWith('metadata.')) out[k.slice('metadata.'.length)] = v[0] as string
  }
  return out
}
