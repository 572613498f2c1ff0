// Service invocation through daprd (dapr-http-api.md §2): the target app's answer comes
// back unchanged, whatever its status; only daprd's own failures are thrown.
import type { Dispatcher } from 'undici'
import { SidecarInvokeError, SidecarOptionError, SidecarInvalidResponseError } from './errors.js'
import type { RawResponse, TraceContext, Transport } from './transport.js'

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS' | 'TRACE'

export interface InvokeOptions {
  /** Default `GET`. */
  httpMethod?: HttpMethod | undefined
  /** Passed to the app byte for byte: a raw string, or pairs encoded here with `%20` for spaces. */
  query?: string | Record<string, string | readonly string[]> | undefined
  headers?: Record<string, string> | undefined
  /** An object or number is sent as JSON, a string as text/plain, bytes as application/octet-stream. */
  body?: unknown
  /** Overrides the content type chosen from `body`. */
  contentType?: string | undefined
  signal?: AbortSignal | undefined
  /** Deadline for the whole call; daprd has no default invocation timeout. */
  timeoutMs?: number | undefined
  /** Forward `traceparent`/`tracestate` from the request being served. */
  traceContext?: TraceContext | undefined
}

/** The target app's response as daprd passed it back. */
export interface InvokeResponse {
  statusCode: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
  /** True for 2xx. */
  ok: boolean
  text (): string
  /** Parses the body; throws `SidecarInvalidResponseError` when it is not JSON. */
  json<T = unknown>(): T
}

export type InvokeFn = (appId: string, method: string, options?: InvokeOptions) => Promise<InvokeResponse>

// Statuses daprd itself uses for ERR_DIRECT_INVOKE: 404 no target, 403 ACL, 500 everything else.
const DAPR_INVOKE_STATUSES = new Set([403, 404, 500])

/**
 * Builds `invoke(appId, method, options)`.
 * @example
 * const res = await sidecar.invoke('nodeapp', 'neworder', { httpMethod: 'POST', body: { data: { orderId: '42' } } })
 * if (res.ok) accepted(res.json())
 */
export function createInvoke (transport: Transport): InvokeFn {
  return async function invoke (appId, method, options = {}) {
    if (typeof appId !== 'string' || appId.length === 0) throw new SidecarOptionError(`appId must be a non-empty string, got ${JSON.stringify(appId)}`)
    if (typeof method !== 'string') throw new SidecarOptionError(`method must be a string, got ${JSON.stringify(method)}`)
    const httpMethod = options.httpMethod ?? 'GET'
    const path = `/v1.0/invoke/${encodeURIComponent(appId)}/method/${encodeMethod(method)}`
    const { body, contentType } = encodeBody(options.body)
    const headers: Record<string, string> = { ...options.headers }
    const type = options.contentType ?? contentType
    if (type !== undefined) headers['content-type'] = type
    const res = await transport.call({
      method: httpMethod as Dispatcher.HttpMethod,
      path,
      query: encodeQuery(options.query),
      headers,
      body,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      traceContext: options.traceContext
    })
    const info = { method: httpMethod, path }
    if (await isDaprFailure(res)) await transport.fail(res, info, (init) => new SidecarInvokeError(init))
    return toResponse(res, info)
  }
}

async function isDaprFailure (res: RawResponse): Promise<boolean> {
  // daprd's token check answers 401 text before any app is called.
  if (res.statusCode === 401) return res.body.toString('utf8') === 'invalid api token\n'
  if (!DAPR_INVOKE_STATUSES.has(res.statusCode)) return false
  let parsed: unknown
  try {
    parsed = JSON.parse(res.body.toString('utf8'))
  } catch {
    return false
  }
  // Loaded only for a 403/404/500 with a JSON body: the check is not needed on the hot path.
  const { checkDaprError } = await import('./schemas.js')
  return checkDaprError(parsed) && parsed.errorCode === 'ERR_DIRECT_INVOKE'
}

function toResponse (res: RawResponse, info: { method: string, path: string }): InvokeResponse {
  return {
    statusCode: res.statusCode,
    headers: res.headers,
    body: res.body,
    ok: res.statusCode >= 200 && res.statusCode < 300,
    text: () => res.body.toString('utf8'),
    json: <T>() => {
      try {
        return JSON.parse(res.body.toString('utf8')) as T
      } catch {
        throw new SidecarInvalidResponseError(info, `the app's ${res.statusCode} body is not JSON`)
      }
    }
  }
}

/** Each segment percent-encoded, slashes kept: `orders/42` reaches the app as `/orders/42`. */
function encodeMethod (method: string): string {
  return method.replace(/^\/+/, '').split('/').map(encodeURIComponent).join('/')
}

function encodeQuery (query: InvokeOptions['query']): string | undefined {
  if (query === undefined) return undefined
  if (typeof query === 'string') return query.replace(/^\?/, '') || undefined
  const parts: string[] = []
  for (const [k, v] of Object.entries(query)) {
    for (const one of typeof v === 'string' ? [v] : v) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(one)}`)
  }
  return parts.length > 0 ? parts.join('&') : undefined
}

function encodeBody (body: unknown): { body: string | Uint8Array | undefined, contentType: string | undefined } {
  if (body === undefined) return { body: undefined, contentType: undefined }
  if (typeof body === 'string') return { body, contentType: 'text/plain; charset=utf-8' }
  if (body instanceof Uint8Array) return { body, contentType: 'application/octet-stream' }
  let json: string | undefined
  try {
    json = JSON.stringify(body)
  } catch (err) {
    throw new SidecarOptionError(`the invoke body cannot be serialised as JSON: ${(err as Error).message}`)
  }
  if (json === undefined) throw new SidecarOptionError(`the invoke body cannot be serialised as JSON: ${typeof body}`)
  return { body: json, contentType: 'application/json' }
}
