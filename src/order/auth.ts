// Who may call the order routes on each of the service's two listeners.
// The Dapr app channel (HOST:PORT, loopback in the pod): daprd sends the token it was given as
// `dapr-api-token` on every call it makes to the app (dapr-http-api.md §2.8); the app refuses
// writes that lack it. The public listener (PUBLIC_HOST:PUBLIC_PORT, behind the NLB): clients
// send their own key as `x-api-key` on reads and writes; the app token is never accepted there.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { onRequestAsyncHookHandler } from 'fastify'
import { orderErrors } from './errors.js'

/** The header daprd puts the app token in. */
export const APP_TOKEN_HEADER = 'dapr-api-token'
/** The header public clients put the public API key in. */
export const PUBLIC_KEY_HEADER = 'x-api-key'

/** `off`: the key guards everything; `reads`: GETs are open; `all`: nothing is guarded. */
export const PUBLIC_DEMO_MODES = ['off', 'reads', 'all'] as const
export type PublicDemoMode = typeof PUBLIC_DEMO_MODES[number]

/** The access rule of one listener. */
export type OrderAccess =
  | { channel: 'app', appApiToken?: string | undefined }
  | { channel: 'public', apiKey?: string | undefined, demoMode: PublicDemoMode }

/** `onRequest` hooks for the order routes; a missing one leaves those routes open. */
export interface RouteGuards {
  reads?: onRequestAsyncHookHandler | undefined
  writes?: onRequestAsyncHookHandler | undefined
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest()

/**
 * Constant-time comparison: both sides are hashed first, so the buffers always have equal
 * length and neither the secret's length nor its prefix leaks through timing.
 * @example
 * tokenMatches('secret', request.headers['dapr-api-token'])
 */
export function tokenMatches (expected: string, given: string | string[] | undefined): boolean {
  if (typeof given !== 'string') return false
  return timingSafeEqual(sha256(expected), sha256(given))
}

/**
 * An `onRequest` hook answering 401 `ORDER_ERR_UNAUTHORIZED` before the body is even read,
 * unless `header` holds `expected`. With no `expected`, every request is refused. The answer
 * names the header, never the secret nor how the given value differs.
 * @example
 * app.get('/order', { onRequest: requireSecret('x-api-key', config.PUBLIC_API_KEY) }, handler)
 */
export function requireSecret (header: string, expected: string | undefined): onRequestAsyncHookHandler {
  return async function checkSecret (request) {
    if (expected === undefined || !tokenMatches(expected, request.headers[header])) throw orderErrors.unauthorized(header)
  }
}

/** The app channel's check: `dapr-api-token` equal to APP_API_TOKEN. */
export function requireApiToken (expected: string): onRequestAsyncHookHandler {
  return requireSecret(APP_TOKEN_HEADER, expected)
}

/**
 * Which routes need which credential on a listener. App channel: writes need the app token
 * when one is set, reads stay open (only daprd and the pod itself reach it). Public listener:
 * reads and writes need the public key, unless a demo mode opens them.
 * @example
 * routeGuards({ channel: 'public', apiKey: 'k', demoMode: 'off' }) // { reads: hook, writes: hook }
 */
export function routeGuards (access: OrderAccess): RouteGuards {
  if (access.channel === 'app') {
    return { writes: access.appApiToken === undefined ? undefined : requireApiToken(access.appApiToken) }
  }
  const guard = requireSecret(PUBLIC_KEY_HEADER, access.apiKey)
  return {
    reads: access.demoMode === 'off' ? guard : undefined,
    writes: access.demoMode === 'all' ? undefined : guard
  }
}
