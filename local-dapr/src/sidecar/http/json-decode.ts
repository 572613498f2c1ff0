// Decoding request bodies into daprd's Go request types, with the Go error texts:
// `encoding/json` for save/bulk/transaction bodies, mapstructure for transaction ops.
// Go's encoding/json matches object keys to struct fields case-insensitively.

export class DecodeError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'DecodeError'
  }
}

export function goTypeName (v: unknown): string {
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'boolean') return 'bool'
  return typeof v
}

/** JSON.parse with Go's error texts for the common cases (`EOF`, `invalid character`). */
export function parseJson (body: Buffer): unknown {
  const text = body.toString('utf8')
  if (text.trim() === '') throw new DecodeError('EOF')
  try {
    return JSON.parse(text)
  } catch (err) {
    const m = /token '?(.)'?/.exec((err as Error).message)
    if (m) throw new DecodeError(`invalid character '${m[1] as string}' looking for beginning of value`)
    throw new DecodeError('unexpected EOF')
  }
}

export function isObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** The value of the last key equal (case-insensitively) to `name`, as encoding/json resolves it. */
export function field (obj: Record<string, unknown>, name: string): unknown {
  let out: unknown
  const lower = name.toLowerCase()
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) out = obj[k]
  return out
}

/** A Go `string` field: absent/null → undefined, non-string → decode error. */
export function stringField (obj: Record<string, unknown>, name: string, where: string): string | undefined {
  const v = field(obj, name)
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw new DecodeError(`json: cannot unmarshal ${goTypeName(v)} into Go struct field ${where}.${name} of type string`)
  return v
}

/** A Go `map[string]string` field. */
export function stringMapField (obj: Record<string, unknown>, name: string, where: string): Record<string, string> | undefined {
  const v = field(obj, name)
  if (v === undefined || v === null) return undefined
  if (!isObject(v)) throw new DecodeError(`json: cannot unmarshal ${goTypeName(v)} into Go struct field ${where}.${name} of type map[string]string`)
  const out: Record<string, string> = {}
  for (const [k, val] of Object.entries(v)) {
    if (val === null) { out[k] = ''; continue }
    if (typeof val !== 'string') throw new DecodeError(`json: cannot unmarshal ${goTypeName(val)} into Go struct field ${where}.${name} of type string`)
    out[k] = val
  }
  return out
}

export interface Options { concurrency?: string | undefined, consistency?: string | undefined }

export function optionsField (obj: Record<string, unknown>, where: string): Options | undefined {
  const v = field(obj, 'options')
  if (v === undefined || v === null) return undefined
  if (!isObject(v)) throw new DecodeError(`json: cannot unmarshal ${goTypeName(v)} into Go struct field ${where}.options of type state.SetStateOption`)
  return {
    concurrency: stringField(v, 'concurrency', where + '.options'),
    consistency: stringField(v, 'consistency', where + '.options')
  }
}

export interface DecodedItem {
  key: string
  value: unknown
  etag: string | undefined
  metadata: Record<string, string> | undefined
  options: Options | undefined
}

/** One `state.SetRequest` / `state.DeleteRequest` element (`where` names the Go type). */
export function decodeItem (v: unknown, where: string, withValue: boolean): DecodedItem {
  if (v === null) return { key: '', value: null, etag: undefined, metadata: undefined, options: undefined }
  if (!isObject(v)) throw new DecodeError(`json: cannot unmarshal ${goTypeName(v)} into Go value of type state.${where}`)
  const value = withValue ? field(v, 'value') : undefined
  return {
    key: stringField(v, 'key', where) ?? '',
    value: value === undefined ? null : value,
    etag: stringField(v, 'etag', where),
    metadata: stringMapField(v, 'metadata', where),
    options: optionsField(v, where)
  }
}
