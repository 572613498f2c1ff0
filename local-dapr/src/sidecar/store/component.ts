// What a state store factory receives from resources.ts, the parsers for the metadata
// values daprd decodes with Go semantics (strconv, time.ParseDuration), and the request
// option check every components-contrib store runs.

import { StoreError, type SetRequest } from './types.js'

/** A loaded `kind: Component`, reduced to what a store factory needs. */
export interface StoreComponent {
  /** `metadata.name`. */
  name: string
  /** `spec.version` (`v1`). */
  version: string
  /** `spec.metadata` as name → string value, names as written in the file. */
  metadata: Record<string, string>
}

/** A component metadata entry the store does not accept, or a value it cannot parse. */
export class ComponentMetadataError extends Error {
  readonly code = 'STORE_ERR_COMPONENT_METADATA'
  readonly field: string
  constructor (field: string, message: string) {
    super(message)
    this.name = 'ComponentMetadataError'
    this.field = field
  }
}

/**
 * Returns the metadata keyed by canonical field name. Names match case-insensitively,
 * as daprd's mapstructure decoding does; an unknown or duplicated name throws.
 *
 * @example
 * readComponentMetadata({ name: 's', version: 'v1', metadata: { redishost: 'h:1' } }, ['redisHost'])
 * // Map { 'redisHost' => 'h:1' }
 */
export function readComponentMetadata (component: StoreComponent, fields: readonly string[]): Map<string, string> {
  const byLower = new Map(fields.map((f) => [f.toLowerCase(), f]))
  const out = new Map<string, string>()
  for (const [name, value] of Object.entries(component.metadata)) {
    const field = byLower.get(name.toLowerCase())
    if (field === undefined) {
      throw new ComponentMetadataError(name, `unknown metadata field '${name}' (accepted: ${fields.join(', ')})`)
    }
    if (out.has(field)) throw new ComponentMetadataError(name, `metadata field '${field}' is given twice`)
    out.set(field, value)
  }
  return out
}

/** `strconv.Atoi` for values that must fit a JavaScript safe integer. */
export function parseGoInt (field: string, value: string): number {
  if (!/^[+-]?\d+$/.test(value)) throw new ComponentMetadataError(field, `metadata field '${field}': strconv.Atoi: parsing ${JSON.stringify(value)}: invalid syntax`)
  const n = Number(value)
  if (!Number.isSafeInteger(n)) throw new ComponentMetadataError(field, `metadata field '${field}': strconv.Atoi: parsing ${JSON.stringify(value)}: value out of range`)
  return n
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True'])
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False'])

/** `strconv.ParseBool`. */
export function parseGoBool (field: string, value: string): boolean {
  if (TRUE.has(value)) return true
  if (FALSE.has(value)) return false
  throw new ComponentMetadataError(field, `metadata field '${field}': strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`)
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const DURATION = /^[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/
const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g

/**
 * A duration as daprd's metadata decoder reads it, in milliseconds: a Go duration
 * string (`5s`, `1m30s`, `500ms`, `0`) or an integer number of milliseconds (`-1`
 * usually means "disabled", left to the caller).
 */
export function parseGoDuration (field: string, value: string): number {
  if (/^[+-]?\d+$/.test(value)) return parseGoInt(field, value)
  if (!DURATION.test(value)) throw new ComponentMetadataError(field, `metadata field '${field}': invalid duration ${JSON.stringify(value)}`)
  let ms = 0
  for (const m of value.matchAll(DURATION_PART)) ms += Number(m[1]) * (UNIT_MS[m[2] as string] as number)
  return value.startsWith('-') ? -ms : ms
}

/** components-contrib `state.CheckRequestOptions`: consistency first, then concurrency. */
export function checkRequestOptions (options: SetRequest['options']): void {
  const consistency = options?.consistency ?? ''
  if (consistency !== '' && consistency !== 'eventual' && consistency !== 'strong') {
    throw new StoreError('failed', `unrecognized consistency model '${consistency}'`)
  }
  const concurrency = options?.concurrency ?? ''
  if (concurrency !== '' && concurrency !== 'first-write' && concurrency !== 'last-write') {
    throw new StoreError('failed', `unrecognized concurrency model '${concurrency}'`)
  }
}
