// `matching` of a retry policy (daprd pkg/resiliency/retry.go): comma-separated codes and
// `start-end` ranges; HTTP codes must be 100-599, gRPC codes 0-16. An empty or absent list
// retries every code of its kind. Errors that carry no code are retried whatever it says.

export interface CodeRange { start: number, end: number }

export interface RetryMatching {
  /** undefined = every HTTP status is retried. */
  http: CodeRange[] | undefined
  /** undefined = every gRPC code is retried. */
  grpc: CodeRange[] | undefined
}

export const HTTP_CODES: CodeRange = { start: 100, end: 599 }
export const GRPC_CODES: CodeRange = { start: 0, end: 16 }

export class MatchingError extends Error {
  readonly code = 'RESILIENCY_ERR_MATCHING'
  constructor (message: string) {
    super(message)
    this.name = 'MatchingError'
  }
}

const inRange = (r: CodeRange, c: number): boolean => r.start <= c && c <= r.end

/** Go's strconv.Atoi, with its error text. */
function atoi (s: string): number {
  if (/^[+-]?[0-9]+$/.test(s)) {
    const n = Number(s)
    if (Number.isSafeInteger(n)) return n
    throw new MatchingError(`strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`)
  }
  throw new MatchingError(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`)
}

function compile (pattern: string, valid: CodeRange): CodeRange {
  const parts = pattern.split('-')
  if (parts.length > 2) throw new MatchingError(`invalid pattern ${pattern}, more than one '-' exists`)
  const at = (s: string, which: string): number => {
    try {
      return atoi(s)
    } catch (err) {
      throw new MatchingError(`failed to parse ${which} code ${s} from pattern ${pattern} to int, ${(err as Error).message}`)
    }
  }
  const start = at(parts[0] as string, 'start')
  if (!inRange(valid, start)) throw new MatchingError(`invalid pattern ${pattern}, start code ${start} is not valid`)
  const end = parts.length === 2 ? at(parts[1] as string, 'end') : start
  if (!inRange(valid, end)) throw new MatchingError(`invalid pattern ${pattern}, end code ${end} is not valid`)
  if (end < start) throw new MatchingError(`invalid pattern ${pattern}, start value should not bigger than end value`)
  return { start, end }
}

/**
 * `parsePatterns`: '' → undefined (all codes); empty items (`429,,503`) are skipped;
 * spaces are not trimmed (`429, 503` is an error, as in daprd).
 * @example
 * parsePatterns('429,502-504', HTTP_CODES) // [{start:429,end:429},{start:502,end:504}]
 */
export function parsePatterns (patterns: string | undefined, valid: CodeRange): CodeRange[] | undefined {
  if (patterns === undefined || patterns === '') return undefined
  return patterns.split(',').filter((p) => p !== '').map((p) => compile(p, valid))
}

export function parseMatching (m: { httpStatusCodes?: string | undefined, gRPCStatusCodes?: string | undefined } | undefined): RetryMatching {
  if (m === undefined) return { http: undefined, grpc: undefined }
  return { http: parsePatterns(m.httpStatusCodes, HTTP_CODES), grpc: parsePatterns(m.gRPCStatusCodes, GRPC_CODES) }
}

/**
 * `statusCodeNeedRetry`: codes 0-16 are read as gRPC codes, 100-599 as HTTP ones, anything
 * else is never retried.
 */
export function codeNeedsRetry (matching: RetryMatching, code: number): boolean {
  const ranges = inRange(GRPC_CODES, code) ? matching.grpc : inRange(HTTP_CODES, code) ? matching.http : []
  return ranges === undefined || ranges.some((r) => inRange(r, code))
}
