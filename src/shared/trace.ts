// W3C Trace Context (https://www.w3.org/TR/trace-context/) without a tracing SDK: the apps
// create no spans of their own, they carry `traceparent`/`tracestate` from the request that
// caused a sidecar call to that call, so daprd's spans of one order form one trace.
import { randomBytes } from 'node:crypto'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'

/** What an app forwards on its sidecar calls, plus the trace id its log lines carry. */
export interface RequestTrace {
  traceId: string
  traceparent: string
  tracestate?: string | undefined
}

export interface Traceparent {
  version: string
  traceId: string
  parentId: string
  flags: string
}

// version-traceid-parentid-flags, lowercase hex only; a later version may append fields.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/
const ALL_ZERO = /^0+$/
/** The spec requires passing on at least 512 characters; longer lists are dropped, not cut. */
export const MAX_TRACESTATE_LENGTH = 512

/**
 * Parses a `traceparent` header strictly; undefined for anything the spec says to ignore
 * (version ff, all-zero ids, uppercase, extra fields on version 00, several headers joined).
 * @example
 * parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')?.traceId // '4bf92f35...'
 */
export function parseTraceparent (value: unknown): Traceparent | undefined {
  if (typeof value !== 'string') return undefined
  const m = TRACEPARENT.exec(value)
  if (m === null) return undefined
  const [, version, traceId, parentId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined]
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined
  if (ALL_ZERO.test(traceId) || ALL_ZERO.test(parentId)) return undefined
  return { version, traceId, parentId, flags }
}

/**
 * A new sampled trace: a random 16-byte trace id and 8-byte span id, flags 01.
 * @example
 * const { traceparent, traceId } = newTrace()
 * await sidecar.invoke('nodeapp', 'neworder', { httpMethod: 'POST', body, traceContext: { traceparent } })
 */
export function newTrace (random: (size: number) => Buffer = randomBytes): RequestTrace {
  // An all-zero id is invalid; with real randomness each loop runs once.
  let traceId: string
  do traceId = random(16).toString('hex'); while (ALL_ZERO.test(traceId))
  let spanId: string
  do spanId = random(8).toString('hex'); while (ALL_ZERO.test(spanId))
  return { traceId, traceparent: `00-${traceId}-${spanId}-01` }
}

/**
 * The trace of an incoming request: its own `traceparent` (and `tracestate`) when valid,
 * else a new trace. An invalid `traceparent` invalidates `tracestate` too (spec §3.3).
 * @example
 * traceFromHeaders(request.headers).traceId
 */
export function traceFromHeaders (headers: IncomingHttpHeaders, random?: (size: number) => Buffer): RequestTrace {
  const parsed = parseTraceparent(headers.traceparent)
  if (parsed === undefined) return newTrace(random)
  const raw = headers.tracestate
  const tracestate = Array.isArray(raw) ? raw.join(',') : raw
  return {
    traceId: parsed.traceId,
    traceparent: headers.traceparent as string,
    ...(tracestate !== undefined && tracestate !== '' && tracestate.length <= MAX_TRACESTATE_LENGTH ? { tracestate } : {})
  }
}

const traces = new WeakMap<IncomingMessage, RequestTrace>()

/**
 * The trace of a raw request, decided once: the request's child logger and its handler must
 * agree on the trace id even when it was generated here.
 * @example
 * const trace = requestTrace(request.raw)
 * await sidecar.state.get('statestore', key, { traceContext: trace })
 */
export function requestTrace (raw: IncomingMessage): RequestTrace {
  let trace = traces.get(raw)
  if (trace === undefined) {
    trace = traceFromHeaders(raw.headers)
    traces.set(raw, trace)
  }
  return trace
}
