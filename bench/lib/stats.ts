// Medians with their spread over repetitions, and the ratios the report prints.

export interface Spread {
  median: number
  min: number
  max: number
  n: number
}

export function spread (values: readonly number[]): Spread {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  const n = sorted.length
  if (n === 0) return { median: NaN, min: NaN, max: NaN, n: 0 }
  const mid = Math.floor(n / 2)
  const median = n % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
  return { median, min: sorted[0] as number, max: sorted[n - 1] as number, n }
}

/** Ratio of two medians; NaN when either side is missing. */
export function ratio (a: Spread | undefined, b: Spread | undefined): number {
  if (a === undefined || b === undefined || !(b.median > 0)) return NaN
  return a.median / b.median
}

export function fmtNum (v: number, digits = 0): string {
  if (!Number.isFinite(v)) return 'n/a'
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

/** `12,300 (11,900–12,800)`: the median with min–max of the repetitions. */
export function fmtSpread (s: Spread | undefined, digits = 0): string {
  if (s === undefined || s.n === 0) return 'n/a'
  if (s.n === 1) return fmtNum(s.median, digits)
  return `${fmtNum(s.median, digits)} (${fmtNum(s.min, digits)}–${fmtNum(s.max, digits)})`
}

export function fmtRatio (v: number): string {
  return Number.isFinite(v) ? `${v.toFixed(2)}×` : 'n/a'
}
