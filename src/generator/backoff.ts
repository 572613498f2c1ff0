// Which delivery failures are worth another attempt, and how long to wait before it.
import { isTransientSidecarError, type InvokeResponse } from '../sidecar/index.js'

export type AttemptOutcome =
  | { kind: 'delivered' }
  | { kind: 'retry', reason: string }
  | { kind: 'fail', reason: string }

// The order service answers 503 when its store is down; proxies and daprd resiliency add the rest.
const RETRY_STATUSES = new Set([429, 502, 503, 504])

/**
 * Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"): a uniform delay in
 * [0, min(maxMs, baseMs * 2^(retry-1))), so retrying generators do not move in lockstep.
 * @example
 * fullJitterDelay(3, { baseMs: 100, maxMs: 5000 }, Math.random) // 0..399
 */
export function fullJitterDelay (retry: number, options: { baseMs: number, maxMs: number }, random: () => number): number {
  const cap = Math.min(options.maxMs, options.baseMs * 2 ** (retry - 1))
  return Math.floor(random() * cap)
}

/** Only a 2xx delivers; 429/502/503/504 are retried; every other status is final. */
export function classifyResponse (res: InvokeResponse): AttemptOutcome {
  if (res.ok) return { kind: 'delivered' }
  const reason = `HTTP ${res.statusCode}${errorCode(res)}`
  return RETRY_STATUSES.has(res.statusCode) ? { kind: 'retry', reason } : { kind: 'fail', reason }
}

/**
 * Network failures and timeouts are retried, and so is daprd's 500 `ERR_DIRECT_INVOKE`
 * (target unreachable, not resolvable yet, unhealthy); its 403 (ACL) and 404 are final, as
 * are auth, abort and option errors.
 */
export function classifyError (err: unknown): AttemptOutcome {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined
  const reason = `${typeof code === 'string' ? code : 'ERROR'}: ${err instanceof Error ? err.message : String(err)}`
  if (code === 'SIDECAR_ERR_INVOKE' && (err as { statusCode: number }).statusCode >= 500) return { kind: 'retry', reason }
  return isTransientSidecarError(err) ? { kind: 'retry', reason } : { kind: 'fail', reason }
}

function errorCode (res: InvokeResponse): string {
  try {
    const code = res.json<{ code?: unknown }>().code
    return typeof code === 'string' ? ` ${code}` : ''
  } catch {
    return ''
  }
}
