// Byte-exact re-encoding of a decoded JSON value the way Go's `encoding/json.Marshal`
// writes it, which is what daprd's in-memory store keeps (dapr-http-api.md §3.9).
// daprd decodes the request's `value` into `any` and the store marshals it again, so
// the stored bytes never keep the client's formatting.

import { StoreError } from './types.js'

/**
 * Encodes a `JSON.parse` result as Go's `json.Marshal` would after Go decoded the same
 * JSON: object keys sorted by UTF-8 bytes, `<` `>` `&` U+2028 U+2029 escaped, `\b` and
 * `\f` short escapes (Go ≥ 1.22), lone surrogates as U+FFFD (Go's decoder replaces them).
 * Numbers use JavaScript's shortest round-trip form, which is Go's `'g'`-like float
 * format for every finite double (exponent below 1e-6 and from 1e21), plus `-0`.
 *
 * @example
 * goJsonMarshal({ b: '<x>', a: 1 }).toString() // '{"a":1,"b":"\u003cx\u003e"}'
 */
export function goJsonMarshal (value: unknown): Buffer {
  return Buffer.from(encode(value), 'utf8')
}

function encode (value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'number') return encodeNumber(value)
  if (typeof value === 'string') return encodeString(value)
  if (Array.isArray(value)) return '[' + value.map(encode).join(',') + ']'
  const obj = value as Record<string, unknown>
  const keys = Object.keys(obj).sort(compareCodePoints)
  return '{' + keys.map((k) => encodeString(k) + ':' + encode(obj[k])).join(',') + '}'
}

function encodeNumber (n: number): string {
  if (!Number.isFinite(n)) throw new StoreError('failed', `json: unsupported value: ${String(n)}`)
  if (Object.is(n, -0)) return '-0'
  return String(n)
}

// JSON.stringify already writes `"`, `\\`, the short escapes and `\u00xx` (lower-case
// hex, as Go) for control characters, and `\udxxx` for lone surrogates.
// An escaped backslash is matched first so that `\\ud800` (a literal backslash) is kept.
const GO_EXTRA_ESCAPES = /\\\\|[<>&\u2028\u2029]|\\ud[89a-f][0-9a-f]{2}/g

function encodeString (s: string): string {
  return JSON.stringify(s).replace(GO_EXTRA_ESCAPES, (m) => {
    if (m.length === 1) return '\\u' + m.charCodeAt(0).toString(16).padStart(4, '0')
    return m === '\\\\' ? m : '\ufffd'
  })
}

// Go sorts map keys as byte strings; UTF-8 byte order equals code point order, which
// differs from JavaScript's default UTF-16 order for characters above U+FFFF.
function compareCodePoints (a: string, b: string): number {
  const ia = a[Symbol.iterator]()
  const ib = b[Symbol.iterator]()
  for (;;) {
    const ca = ia.next()
    const cb = ib.next()
    if (ca.done === true || cb.done === true) return (ca.done === true ? 0 : 1) - (cb.done === true ? 0 : 1)
    const d = (ca.value.codePointAt(0) as number) - (cb.value.codePointAt(0) as number)
    if (d !== 0) return d
  }
}
