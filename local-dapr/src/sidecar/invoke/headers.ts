// Which headers travel with an invocation and back (dapr-http-api.md §2.4, §2.5).
import type { IncomingHttpHeaders } from 'node:http'

export type HeaderMap = Record<string, string | string[]>

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade',
  'http2-settings', 'te', 'trailer', 'proxy-authorization', 'proxy-authenticate'
])

/** Header names the local sidecars use between themselves; never forwarded to apps. */
export const INTERNAL_SECRET_HEADER = 'x-local-sidecar-secret'
export const INTERNAL_ERROR_HEADER = 'x-local-sidecar-error'

function connectionListed (headers: Record<string, unknown>): Set<string> {
  const c = headers.connection
  const list = Array.isArray(c) ? c.join(',') : typeof c === 'string' ? c : ''
  return new Set(list.split(',').map((x) => x.trim().toLowerCase()).filter(Boolean))
}

/** Drops hop-by-hop headers and the ones named in `Connection` (`IsHopByHopHeader`). */
export function stripHopByHop (headers: Record<string, string | string[] | undefined>): HeaderMap {
  const listed = connectionListed(headers)
  const out: HeaderMap = {}
  for (const [k, v] of Object.entries(headers)) {
    const name = k.toLowerCase()
    if (v === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue
    out[name] = v
  }
  return out
}

/**
 * The caller's headers as the app should get them: hop-by-hop, `*-bin`, `destination-app-id`,
 * Host and Expect removed, `grpc-*` renamed `dapr-grpc-*`, internal headers never passed on.
 */
export function requestHeadersForApp (incoming: IncomingHttpHeaders): HeaderMap {
  const out: HeaderMap = {}
  for (const [k, v] of Object.entries(stripHopByHop(incoming))) {
    if (k.endsWith('-bin') || k === 'destination-app-id' || k === 'host' || k === 'expect' ||
      k === INTERNAL_SECRET_HEADER || k === INTERNAL_ERROR_HEADER) continue
    out[k.startsWith('grpc-') ? 'dapr-' + k : k] = v
  }
  return out
}

/** Appends to a header the way Go's `Header.Add` + comma folding reads on the wire. */
export function appendHeader (headers: HeaderMap, name: string, value: string): void {
  const cur = headers[name]
  headers[name] = cur === undefined ? value : `${Array.isArray(cur) ? cur.join(', ') : cur}, ${value}`
}

/** The app's response headers as the caller should get them. */
export function responseHeadersForCaller (headers: Record<string, string | string[] | undefined>): HeaderMap {
  const out = stripHopByHop(headers)
  delete out['content-length']
  delete out[INTERNAL_ERROR_HEADER]
  return out
}
