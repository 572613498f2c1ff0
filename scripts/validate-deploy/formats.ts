// Value formats exactly as Dapr 1.18.3 and components-contrib 1.18.4 parse them, so a value the
// runtime would refuse, or silently read as something else, is caught offline:
// - Go's time.ParseDuration (daprd flags such as --dapr-block-shutdown-duration);
// - strconv.ParseInt base 10 (the injector's int annotations; a failure is logged and ignored);
// - dapr/kit IsTruthy (the injector's bool annotations: anything else is false, silently);
// - Kubernetes resource.ParseQuantity (sidecar CPU and memory);
// - the injector's `dapr.io/env` splitter (pkg/injector/patcher parseEnvVars);
// - the Redis component's durations (a bare integer is milliseconds, else a Go duration).

const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const GO_DURATION = /^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/
const GO_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g

/**
 * Milliseconds of a Go duration string ("1m30s", "250ms", "0"), or undefined where
 * time.ParseDuration fails ("25" has no unit, "1 s" has a space).
 * @example goDurationMs('1m30s') // 90000
 */
export function goDurationMs (value: string): number | undefined {
  if (value === '0' || value === '+0' || value === '-0') return 0
  if (!GO_DURATION.test(value)) return undefined
  let total = 0
  for (const m of value.matchAll(GO_PART)) total += Number(m[1]) * (GO_UNITS[m[2] as string] as number)
  return value.startsWith('-') ? -total : total
}

/** strconv.ParseInt(value, 10, 64) succeeds. */
export function isGoInt (value: string): boolean {
  return /^[+-]?\d+$/.test(value)
}

/** dapr/kit IsTruthy's true spellings; every other string reads as false. */
const TRUTHY = new Set(['y', 'yes', 'true', 't', 'on', '1'])
const FALSY = new Set(['n', 'no', 'false', 'f', 'off', '0', ''])

/** true/false as dapr/kit reads the value, or undefined when it is neither a true nor a false spelling (a typo that reads as false). */
export function kitBool (value: string): boolean | undefined {
  const v = value.trim().toLowerCase()
  if (TRUTHY.has(v)) return true
  if (FALSY.has(v)) return false
  return undefined
}

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/
const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60
}

/**
 * The number a Kubernetes quantity stands for ("300m" is 0.3, "1Gi" is 1073741824), or
 * undefined where resource.ParseQuantity fails ("1GB", "100 m").
 * @example quantity('250Mi') // 262144000
 */
export function quantity (value: string): number | undefined {
  const m = QUANTITY.exec(value)
  if (!m) return undefined
  const base = Number(m[1])
  if (m[2] !== undefined) return base * 10 ** Number(m[2].slice(1))
  return base * (m[3] === undefined ? 1 : SUFFIX[m[3]] as number)
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const ENV_SPLIT = /,\s*[a-zA-Z_][a-zA-Z0-9_]*=/g

/**
 * Splits a `dapr.io/env` value the way the injector does: on a comma followed by `NAME=`.
 * Returns the pairs and the problems: a part without `=` (the injector drops it silently), an
 * invalid name, or a value that looks like a second variable joined with a separator the
 * injector does not know (space or semicolon).
 * @example parseEnvList('A=1, B=x,y') // { pairs: [['A', '1'], ['B', 'x,y']], problems: [] }
 */
export function parseEnvList (value: string): { pairs: Array<[string, string]>, problems: string[] } {
  const pairs: Array<[string, string]> = []
  const problems: string[] = []
  if (value === '') return { pairs, problems }
  const cuts = [...value.matchAll(ENV_SPLIT)].map((m) => m.index)
  const parts: string[] = []
  let start = 0
  for (const cut of cuts) {
    parts.push(value.slice(start, cut))
    start = cut + 1
  }
  parts.push(value.slice(start))
  for (const raw of parts) {
    const part = raw.trim()
    const eq = part.indexOf('=')
    if (eq < 0) {
      problems.push(`"${part}" has no "=" (the injector drops it)`)
      continue
    }
    const name = part.slice(0, eq)
    const v = part.slice(eq + 1)
    if (!ENV_NAME.test(name)) problems.push(`"${name}" is not an environment variable name`)
    else if (/[\s;]+[A-Za-z_][A-Za-z0-9_]*=/.test(v)) problems.push(`the value of ${name} contains another NAME=; separate variables with commas`)
    pairs.push([name, v])
  }
  return { pairs, problems }
}

/**
 * A Redis component duration (dialTimeout, readTimeout, ...) in milliseconds: components-contrib
 * reads a bare integer as milliseconds ("5" is 5 ms), anything else as a Go duration.
 * @example redisDurationMs('5') // 5
 */
export function redisDurationMs (value: string): number | undefined {
  if (/^-?\d+$/.test(value)) return Number(value)
  return goDurationMs(value)
}

/** Whether a listen or channel address is loopback only (daprd's default is `[::1],127.0.0.1`). */
export function isLoopback (address: string): boolean {
  const a = address.trim().replace(/^\[(.*)\]$/, '$1')
  return a === 'localhost' || a === '::1' || /^127\.\d+\.\d+\.\d+$/.test(a)
}
