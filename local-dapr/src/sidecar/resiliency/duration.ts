// Go's time.ParseDuration and Duration.String, and the "integer means milliseconds" rule
// daprd applies to every duration of a Resiliency resource (resiliency.go parseDuration,
// dapr/kit config.Decode). Values are nanoseconds as bigint, so nothing is rounded.

const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5
  μs: 1_000n, // U+03BC
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n
}

const MAX = (1n << 63n) - 1n

export class DurationError extends Error {
  readonly code = 'RESILIENCY_ERR_DURATION'
  constructor (message: string) {
    super(message)
    this.name = 'DurationError'
  }
}

const quote = (s: string): string => JSON.stringify(s)

/**
 * `time.ParseDuration`: `300ms`, `-1.5h`, `2h45m`; `0` needs no unit. Nanoseconds.
 * @example
 * parseGoDuration('1.5s') // 1_500_000_000n
 */
export function parseGoDuration (input: string): bigint {
  const invalid = (): DurationError => new DurationError(`time: invalid duration ${quote(input)}`)
  let s = input
  let neg = false
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-'
    s = s.slice(1)
  }
  if (s === '0') return 0n
  if (s === '') throw invalid()
  let total = 0n
  while (s !== '') {
    const m = /^([0-9]*)(?:\.([0-9]*))?/.exec(s) as RegExpExecArray
    const whole = m[1] as string
    const frac = m[2]
    if (whole === '' && (frac === undefined || frac === '')) throw invalid()
    s = s.slice(m[0].length)
    const unitMatch = /^[^0-9.]*/.exec(s) as RegExpExecArray
    const unitName = unitMatch[0]
    if (unitName === '') throw new DurationError(`time: missing unit in duration ${quote(input)}`)
    const unit = UNITS[unitName]
    if (unit === undefined) throw new DurationError(`time: unknown unit ${quote(unitName)} in duration ${quote(input)}`)
    s = s.slice(unitName.length)
    let v = whole === '' ? 0n : BigInt(whole)
    if (v > (1n << 63n) / unit) throw invalid()
    v *= unit
    if (frac !== undefined && frac !== '') {
      // Go keeps the fraction's digits as long as they fit, then scales them to the unit.
      v += (BigInt(frac) * unit) / 10n ** BigInt(frac.length)
      if (v > 1n << 63n) throw invalid()
    }
    total += v
    if (total > 1n << 63n) throw invalid()
  }
  if (neg) return -total
  if (total > MAX) throw invalid()
  return total
}

/**
 * daprd's rule for Resiliency durations: a base-10 integer is milliseconds, anything else
 * is a Go duration. Nanoseconds.
 * @example
 * parseDaprDuration('1500') // 1_500_000_000n
 * parseDaprDuration('5s')   // 5_000_000_000n
 */
export function parseDaprDuration (value: string): bigint {
  if (/^[+-]?[0-9]+$/.test(value)) {
    const ms = BigInt(value)
    // Go's ParseInt/Atoi fail past int64, and daprd then tries ParseDuration (which fails).
    if (ms <= MAX && ms >= -MAX - 1n) return ms * 1_000_000n
  }
  return parseGoDuration(value)
}

/** Nanoseconds to milliseconds, for timers. */
export function nsToMs (ns: bigint): number {
  return Number(ns) / 1e6
}

function fmtFrac (v: bigint, digits: number): string {
  const s = v.toString().padStart(digits, '0').replace(/0+$/, '')
  return s === '' ? '' : '.' + s
}

/**
 * Go's `Duration.String()`: `1.5s`, `637.216ms`, `2m0s`, `0s`.
 * @example
 * formatGoDuration(500_000_000n) // '500ms'
 */
export function formatGoDuration (ns: bigint): string {
  if (ns === 0n) return '0s'
  const sign = ns < 0n ? '-' : ''
  const u = ns < 0n ? -ns : ns
  if (u < 1_000n) return `${sign}${u}ns`
  if (u < 1_000_000n) return `${sign}${u / 1_000n}${fmtFrac(u % 1_000n, 3)}µs`
  if (u < 1_000_000_000n) return `${sign}${u / 1_000_000n}${fmtFrac(u % 1_000_000n, 6)}ms`
  const secs = u / 1_000_000_000n
  const frac = fmtFrac(u % 1_000_000_000n, 9)
  const h = secs / 3600n
  const m = (secs % 3600n) / 60n
  const sec = secs % 60n
  if (h > 0n) return `${sign}${h}h${m}m${sec}${frac}s`
  if (m > 0n) return `${sign}${m}m${sec}${frac}s`
  return `${sign}${sec}${frac}s`
}
