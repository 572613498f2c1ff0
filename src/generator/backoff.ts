// Which delivery answers end an order, which mean "the order service is down, keep trying",
// and how long to wait before the next try.
import type { InvokeResponse } from '../sidecar/index.js'

export type AttemptOutcome =
  | { kind: 'delivered' }
  | { kind: 'retry', reason: string }
  | { kind: 'fail', reason: string }

// 4xx statuses that say "not now" rather than "never": request timeout, too early, too many requests.
const NOT_NOW = new Set([408, 425, 429])

/**
 * True for a permanent answer, the only kind that ends an undelivered order: a 4xx other
 * than 408, 425 and 429.
 * @example
 * isPermanentStatus(409) // true
 * isPermanentStatus(503) // false
 */
export function isPermanentStatus (statusCode: number): boolean {
  return statusCode >= 400 && statusCode < 500 && !NOT_NOW.has(statusCode)
}

/**
 * Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"): a uniform delay in
 * [0, min(maxMs, baseMs * 2^(retry-1))), so retrying generators do not move in lockstep.
 * @example
 * fullJitterDelay(3, { baseMs: 100, maxMs: 5000 }, Math.random) // 0..399
 */
export function fullJitterDelay (retry: number, options: { baseMs: number, maxMs: number }, random: () => number): number {
  // 2^(retry-1) overflows to Infinity after ~1024 retries; min() keeps the cap.
  const cap = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(retry - 1, 1023))
  return Math.floor(random() * cap)
}

/**
 * A 2xx delivers; a permanent 4xx ends the order; everything else (5xx, 408, 425, 429, any
 * other status) means the order service or its store is not answering now: retry.
 */
export function classifyResponse (res: InvokeResponse): AttemptOutcome {
  if (res.ok) return { kind: 'delivered' }
  const reason = `HTTP ${res.statusCode}${errorCode(res)}`
  return isPermanentStatus(res.statusCode) ? { kind: 'fail', reason } : { kind: 'retry', reason }
}

/**
 * A failure without an answer from the order service. daprd's own permanent 4xx (403 ACL
 * denial, 404 no such app, 401 wrong API token) and a client option error (a bug that no
 * retry can fix) end the order; network errors, timeouts, daprd's invoke 500 and anything
 * unknown are retried: only a permanent answer may end an order the generator created.
 */
export function classifyError (err: unknown): AttemptOutcome {
  const { code, statusCode } = (err ?? {}) as { code?: unknown, statusCode?: unknown }
  const reason = `${typeof code === 'string' ? code : 'ERROR'}: ${err instanceof Error ? err.message : String(err)}`
  if (code === 'SIDECAR_ERR_INVALID_OPTION') return { kind: 'fail', reason }
  if (typeof statusCode === 'number' && isPermanentStatus(statusCode)) return { kind: 'fail', reason }
  return { kind: 'retry', reason }
}

function errorCode (res: InvokeResponse): string {
  try {
    const code = res.json<{ code?: unknown }>().code
    return typeof code === 'string' ? ` ${code}` : ''
  } catch {
    return ''
  }
}
