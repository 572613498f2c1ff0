// APP_API_TOKEN check: daprd sends the token it was given as `dapr-api-token` on every call
// it makes to the app (dapr-http-api.md §2.8); the app refuses writes that lack it.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { onRequestAsyncHookHandler } from 'fastify'
import { orderErrors } from './errors.js'

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest()

/**
 * Constant-time comparison: both sides are hashed first, so the buffers always have equal
 * length and neither the token's length nor its prefix leaks through timing.
 * @example
 * tokenMatches('secret', request.headers['dapr-api-token'])
 */
export function tokenMatches (expected: string, given: string | string[] | undefined): boolean {
  if (typeof given !== 'string') return false
  return timingSafeEqual(sha256(expected), sha256(given))
}

/** An `onRequest` hook answering 401 `ORDER_ERR_UNAUTHORIZED` before the body is even read. */
export function requireApiToken (expected: string): onRequestAsyncHookHandler {
  return async function checkApiToken (request) {
    if (!tokenMatches(expected, request.headers['dapr-api-token'])) throw orderErrors.unauthorized()
  }
}
