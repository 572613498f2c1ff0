// The single place that sends requests to daprd: headers (token, trace context),
// timeouts, abort, bounded retries of idempotent reads, and the mapping of transport
// failures and error responses onto the client's error classes. Requests go through
// undici's low-level `dispatch` with a handler that gathers the answer into one Buffer:
// `request()` builds a stream, an abort listener and a body mixin per answer, which the
// benchmarks showed costing 9-40 % of the client's CPU per call (docs/benchmarks.md).
import { setTimeout as sleep } from 'node:timers/promises'
import type { Dispatcher } from 'undici'
import {
  SidecarAbortError,
  SidecarAuthError,
  SidecarHttpError,
  SidecarInvalidResponseError,
  SidecarNetworkError,
  SidecarTimeoutError,
  type SidecarHttpErrorInit,
  type SidecarRequestInfo
} from './errors.js'

/** W3C trace context to forward from an incoming request. */
export interface TraceContext {
  traceparent?: string | undefined
  tracestate?: string | undefined
}

export interface CallOptions {
  method: Dispatcher.HttpMethod
  /** Path below the endpoint, already percent-encoded, starting with `/v1.0`. */
  path: string
  /** Raw query string without the leading `?`. */
  query?: string | undefined
  headers?: Record<string, string> | undefined
  body?: string | Uint8Array | undefined
  signal?: AbortSignal | undefined
  /** Deadline for the whole call, including reading the body. */
  timeoutMs?: number | undefined
  traceContext?: TraceContext | undefined
  /** Retry connection failures: only for calls that change nothing (reads, health). */
  idempotent?: boolean | undefined
}

export interface RawResponse {
  statusCode: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

export interface TransportOptions {
  dispatcher: Dispatcher
  /** `http://host:port` of the sidecar; sent with every request so any Dispatcher (Pool, Agent, MockAgent) routes it. */
  origin: string
  /** Path prefix of the endpoint (`''` for `http://127.0.0.1:3500`). */
  basePath: string
  apiToken: string | undefined
  headersTimeoutMs: number
  bodyTimeoutMs: number
  /** Connection-failure retries for idempotent calls, and the first backoff. */
  readRetries: number
  readRetryDelayMs: number
}

export interface Transport {
  call (options: CallOptions): Promise<RawResponse>
  /**
   * Rejects with the error daprd's non-2xx answer stands for; always `await` it. Asynchronous
   * because the check of daprd's error body is loaded on the first failure, not at import.
   */
  fail (response: RawResponse, info: SidecarRequestInfo, makeError?: (init: SidecarHttpErrorInit) => SidecarHttpError): Promise<never>
}

// undici's codes for a connection that never came up or broke: safe to retry a read on.
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ENOTFOUND', 'EAI_AGAIN'])
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])
const EMPTY = Buffer.alloc(0)

export function createTransport (options: TransportOptions): Transport {
  const { dispatcher, origin, basePath, apiToken } = options

  async function once (call: CallOptions): Promise<RawResponse> {
    const info = { method: call.method, path: call.path }
    let headers = call.headers
    if (apiToken !== undefined || call.traceContext !== undefined) {
      headers = { ...call.headers }
      if (apiToken !== undefined) headers['dapr-api-token'] = apiToken
      if (call.traceContext?.traceparent) headers.traceparent = call.traceContext.traceparent
      if (call.traceContext?.tracestate) headers.tracestate = call.traceContext.tracestate
    }

    let deadline: AbortSignal | undefined
    let signal = call.signal
    if (call.timeoutMs !== undefined) {
      deadline = AbortSignal.timeout(call.timeoutMs)
      signal = signal === undefined ? deadline : AbortSignal.any([signal, deadline])
    }
    const path = basePath + call.path + (call.query ? `?${call.query}` : '')
    try {
      return await send(dispatcher, {
        origin,
        method: call.method,
        path,
        headers,
        body: call.body,
        headersTimeout: options.headersTimeoutMs,
        bodyTimeout: options.bodyTimeoutMs
      }, signal)
    } catch (err) {
      if (deadline?.aborted === true) throw new SidecarTimeoutError(info, `no answer within ${call.timeoutMs} ms`, err)
      if (call.signal?.aborted === true) throw new SidecarAbortError(info, err)
      const code = (err as { code?: unknown } | null)?.code
      if (typeof code === 'string' && TIMEOUT_CODES.has(code)) throw new SidecarTimeoutError(info, code, err)
      throw new SidecarNetworkError(info, err)
    }
  }

  async function call (opts: CallOptions): Promise<RawResponse> {
    if (opts.idempotent !== true) return await once(opts)
    for (let attempt = 0; ; attempt++) {
      try {
        return await once(opts)
      } catch (err) {
        if (attempt >= options.readRetries || !isConnectionFailure(err)) throw err
        await sleep(options.readRetryDelayMs * 2 ** attempt, undefined, opts.signal ? { signal: opts.signal } : undefined)
          .catch((abortErr: unknown) => { throw new SidecarAbortError({ method: opts.method, path: opts.path }, abortErr) })
      }
    }
  }

  async function fail (response: RawResponse, info: SidecarRequestInfo, makeError?: (init: SidecarHttpErrorInit) => SidecarHttpError): Promise<never> {
    // daprd's token middleware answers with Go's http.Error: plain text, not JSON.
    if (response.statusCode === 401) throw new SidecarAuthError(info)
    const init: SidecarHttpErrorInit = { ...info, statusCode: response.statusCode, errorCode: undefined, daprMessage: '' }
    const parsed = parseJson(response.body)
    const { checkDaprError } = await import('./schemas.js')
    if (checkDaprError(parsed)) {
      init.errorCode = parsed.errorCode
      init.daprMessage = parsed.message
      init.details = parsed.details
    } else {
      init.daprMessage = response.body.subarray(0, 512).toString('utf8').trim() || '(empty body)'
    }
    throw (makeError ?? defaultError)(init)
  }

  return { call, fail }
}

/**
 * One request through undici's dispatch API with a handler that keeps the body chunks and
 * joins them once: no stream, no body mixin, no per-call abort listener unless a signal is given.
 */
function send (dispatcher: Dispatcher, opts: Dispatcher.DispatchOptions, signal: AbortSignal | undefined): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason)
      return
    }
    let abort: ((err: Error) => void) | undefined
    let statusCode = 0
    let rawHeaders: Buffer[] = []
    const chunks: Buffer[] = []
    const onAbort = (): void => { abort?.(signal?.reason as Error) }
    if (signal !== undefined) signal.addEventListener('abort', onAbort, { once: true })
    const done = (): void => { if (signal !== undefined) signal.removeEventListener('abort', onAbort) }
    const handler: Dispatcher.DispatchHandler = {
      onConnect (abortRequest) {
        if (signal?.aborted === true) abortRequest(signal.reason as Error)
        else abort = abortRequest
      },
      onHeaders (status, headers) {
        statusCode = status
        rawHeaders = headers as Buffer[]
        return true
      },
      onData (chunk) {
        chunks.push(chunk)
        return true
      },
      onComplete () {
        done()
        const body = chunks.length === 0 ? EMPTY : chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks)
        resolve({ statusCode, headers: headerObject(rawHeaders), body })
      },
      onError (err) {
        done()
        reject(err)
      }
    }
    dispatcher.dispatch(opts, handler)
  })
}

/** Lower-cased names; a repeated header becomes an array, as undici's `request()` gives them. */
function headerObject (raw: Buffer[]): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = Object.create(null) as Record<string, string | string[] | undefined>
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as Buffer).toString('latin1').toLowerCase()
    const value = (raw[i + 1] as Buffer).toString('latin1')
    const prev = out[name]
    if (prev === undefined) out[name] = value
    else if (Array.isArray(prev)) prev.push(value)
    else out[name] = [prev, value]
  }
  return out
}

/** Parses a JSON body, or throws `SidecarInvalidResponseError`. */
export function parseJsonBody (response: RawResponse, info: SidecarRequestInfo): unknown {
  const parsed = parseJson(response.body)
  if (parsed === NOT_JSON) throw new SidecarInvalidResponseError(info, 'the body is not JSON')
  return parsed
}

const NOT_JSON = Symbol('not json')

function parseJson (body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    return NOT_JSON
  }
}

function defaultError (init: SidecarHttpErrorInit): SidecarHttpError {
  return new SidecarHttpError(init)
}

function isConnectionFailure (err: unknown): boolean {
  if (!(err instanceof SidecarNetworkError)) return false
  const cause = err.cause as { code?: unknown, cause?: { code?: unknown } } | undefined
  const code = cause?.code ?? cause?.cause?.code
  return typeof code === 'string' && CONNECTION_CODES.has(code)
}
