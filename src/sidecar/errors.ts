// One hierarchy for every way a sidecar call can fail, each with a stable literal `code`.
// Transport failures (network, timeout, abort), HTTP failures (daprd answered with an
// error status) and contract failures (a 2xx body that fails its schema) are kept apart,
// so a caller never mistakes "we never reached daprd" for "daprd said 500".

/** Every code a sidecar error can carry. Codes never change once shipped; messages may. */
export type SidecarErrorCode =
  | 'SIDECAR_ERR_HTTP'
  | 'SIDECAR_ERR_ETAG_MISMATCH'
  | 'SIDECAR_ERR_INVOKE'
  | 'SIDECAR_ERR_AUTH'
  | 'SIDECAR_ERR_NETWORK'
  | 'SIDECAR_ERR_TIMEOUT'
  | 'SIDECAR_ERR_ABORTED'
  | 'SIDECAR_ERR_INVALID_RESPONSE'
  | 'SIDECAR_ERR_INVALID_OPTION'

/** Where a failed call went: the method and the path (never the token, never the host). */
export interface SidecarRequestInfo {
  method: string
  path: string
}

/**
 * Base class of every error the sidecar client throws. Branch on `code`, not on the message.
 * @example
 * try { await sidecar.state.get('statestore', 'k') } catch (err) {
 *   if (err instanceof SidecarError && err.code === 'SIDECAR_ERR_NETWORK') retryLater()
 * }
 */
export class SidecarError extends Error {
  readonly code: SidecarErrorCode
  /** The HTTP method of the failed call; undefined only when no call was made (`SidecarOptionError`). */
  readonly method: string | undefined
  /** The daprd path of the failed call, without host or token; undefined as `method` is. */
  readonly path: string | undefined
  constructor (code: SidecarErrorCode, message: string, request?: SidecarRequestInfo, options?: ErrorOptions) {
    super(message, options)
    this.name = 'SidecarError'
    this.code = code
    this.method = request?.method
    this.path = request?.path
  }
}

/** One entry of Dapr's rich error `details` (`@type` plus fields, e.g. ErrorInfo's `reason`). */
export type DaprErrorDetail = Record<string, unknown> & { '@type'?: string }

export interface SidecarHttpErrorInit extends SidecarRequestInfo {
  statusCode: number
  /** Dapr's `errorCode` (`ERR_STATE_SAVE`...), or undefined when the body was not a Dapr error. */
  errorCode: string | undefined
  /** Dapr's `message`, or the start of a non-JSON body. */
  daprMessage: string
  details?: DaprErrorDetail[] | undefined
}

/**
 * daprd answered a state, health, metadata or publish call with an error status.
 * @example
 * catch (err) { if (err instanceof SidecarHttpError && err.errorCode === 'ERR_STATE_STORE_NOT_FOUND') fixConfig() }
 */
export class SidecarHttpError extends SidecarError {
  readonly statusCode: number
  readonly errorCode: string | undefined
  readonly daprMessage: string
  readonly details: DaprErrorDetail[] | undefined
  // Set by the base class; always present here, since daprd answered a call.
  declare readonly method: string
  declare readonly path: string
  constructor (init: SidecarHttpErrorInit, code: SidecarErrorCode = 'SIDECAR_ERR_HTTP') {
    const dapr = init.errorCode === undefined ? '' : ` (${init.errorCode})`
    super(code, `Dapr sidecar responded ${init.statusCode} to ${init.method} ${init.path}${dapr}: ${init.daprMessage}`, { method: init.method, path: init.path })
    this.name = 'SidecarHttpError'
    this.statusCode = init.statusCode
    this.errorCode = init.errorCode
    this.daprMessage = init.daprMessage
    this.details = init.details
  }
}

/**
 * A save or delete was refused because its ETag no longer matches (daprd's 409), or
 * `state.update` ran out of attempts. Inside `/transaction` daprd reports a mismatch as
 * 500 `ERR_STATE_TRANSACTION`, indistinguishable from other store failures, so a
 * transaction never throws this class: expect a plain `SidecarHttpError` there.
 * @example
 * catch (err) { if (err instanceof SidecarEtagMismatchError) reloadAndRetry() }
 */
export class SidecarEtagMismatchError extends SidecarHttpError {
  constructor (init: SidecarHttpErrorInit) {
    super(init, 'SIDECAR_ERR_ETAG_MISMATCH')
    this.name = 'SidecarEtagMismatchError'
  }
}

/**
 * daprd itself failed a service invocation (`ERR_DIRECT_INVOKE`: unknown or unreachable
 * app, forbidden method, ACL denial). The target app's own error statuses are not this:
 * they come back as an ordinary `InvokeResponse`.
 * @example
 * catch (err) { if (err instanceof SidecarInvokeError && err.statusCode === 403) alertAcl() }
 */
export class SidecarInvokeError extends SidecarHttpError {
  constructor (init: SidecarHttpErrorInit) {
    super(init, 'SIDECAR_ERR_INVOKE')
    this.name = 'SidecarInvokeError'
  }
}

/**
 * daprd rejected the API token (its plain-text `401 invalid api token`).
 * @example
 * catch (err) { if (err instanceof SidecarAuthError) log.fatal('DAPR_API_TOKEN does not match the sidecar') }
 */
export class SidecarAuthError extends SidecarError {
  readonly statusCode = 401
  constructor (info: SidecarRequestInfo) {
    super('SIDECAR_ERR_AUTH', `Dapr sidecar rejected the API token on ${info.method} ${info.path}: check DAPR_API_TOKEN`, info)
    this.name = 'SidecarAuthError'
  }
}

/**
 * The sidecar could not be reached or the connection failed mid-call; `cause` is undici's error.
 * @example
 * catch (err) { if (err instanceof SidecarNetworkError) log.warn({ err }, 'sidecar down') }
 */
export class SidecarNetworkError extends SidecarError {
  constructor (info: SidecarRequestInfo, cause: unknown) {
    super('SIDECAR_ERR_NETWORK', `Dapr sidecar unreachable on ${info.method} ${info.path}: ${describe(cause)}`, info, { cause })
    this.name = 'SidecarNetworkError'
  }
}

/**
 * A connect, headers, body or per-call timeout expired; `cause` is undici's error when there is one.
 * @example
 * catch (err) { if (err instanceof SidecarTimeoutError) metrics.timeouts.inc() }
 */
export class SidecarTimeoutError extends SidecarError {
  constructor (info: SidecarRequestInfo, message: string, cause?: unknown) {
    super('SIDECAR_ERR_TIMEOUT', `Dapr sidecar call ${info.method} ${info.path} timed out: ${message}`, info, { cause })
    this.name = 'SidecarTimeoutError'
  }
}

/**
 * The caller's `signal` aborted the call.
 * @example
 * const ac = new AbortController(); ac.abort()
 * await sidecar.healthz({ signal: ac.signal }) // throws SidecarAbortError
 */
export class SidecarAbortError extends SidecarError {
  constructor (info: SidecarRequestInfo, cause?: unknown) {
    super('SIDECAR_ERR_ABORTED', `Dapr sidecar call ${info.method} ${info.path} was aborted`, info, { cause })
    this.name = 'SidecarAbortError'
  }
}

/**
 * daprd answered 2xx but the body broke its contract (not JSON, wrong shape). The request
 * succeeded; its answer could not be used.
 * @example
 * catch (err) { if (err instanceof SidecarInvalidResponseError) log.error({ err }, 'sidecar version mismatch?') }
 */
export class SidecarInvalidResponseError extends SidecarError {
  constructor (info: SidecarRequestInfo, problem: string) {
    super('SIDECAR_ERR_INVALID_RESPONSE', `Dapr sidecar sent an invalid response to ${info.method} ${info.path}: ${problem}`, info)
    this.name = 'SidecarInvalidResponseError'
  }
}

/**
 * A client option or call argument is invalid; the message says how to fix it.
 * @example
 * createSidecarClient({ endpoint: 'localhost:3500' }) // throws: endpoint must be an http(s) URL ...
 */
export class SidecarOptionError extends SidecarError {
  constructor (message: string) {
    super('SIDECAR_ERR_INVALID_OPTION', message)
    this.name = 'SidecarOptionError'
  }
}

const TRANSIENT_STATUS = new Set([429, 502, 503, 504])
// daprd's 500s for a state store backend that failed (Redis down, timeout): worth retrying.
const TRANSIENT_STATE_CODES = new Set(['ERR_STATE_GET', 'ERR_STATE_SAVE', 'ERR_STATE_BULK_GET', 'ERR_STATE_DELETE'])

/**
 * Whether the same call may succeed later: network and timeout failures, HTTP
 * 429/502/503/504, daprd's 500 for a failing state backend, and daprd's 500
 * `ERR_DIRECT_INVOKE` (target not reachable yet). Never true for 4xx, ETag conflicts,
 * auth, contract or option errors, or aborts. Whether a retry is *safe* (idempotent)
 * is the caller's call.
 * @example
 * if (isTransientSidecarError(err)) await sleep(backoff); else throw err
 */
export function isTransientSidecarError (err: unknown): boolean {
  if (!(err instanceof SidecarError)) return false
  if (err.code === 'SIDECAR_ERR_NETWORK' || err.code === 'SIDECAR_ERR_TIMEOUT') return true
  if (!(err instanceof SidecarHttpError) || err instanceof SidecarEtagMismatchError) return false
  if (TRANSIENT_STATUS.has(err.statusCode)) return true
  // daprd's invoke machinery failed (target not resolvable or unreachable, resiliency timeout);
  // 403 (ACL) and 404 (no target) are the caller's mistakes.
  if (err instanceof SidecarInvokeError) return err.statusCode === 500
  return err.statusCode === 500 && err.errorCode !== undefined && TRANSIENT_STATE_CODES.has(err.errorCode)
}

function describe (cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code
    return typeof code === 'string' ? `${code} ${cause.message}` : cause.message
  }
  return String(cause)
}
