// Go standard-library semantics that daprd's HTTP layer exposes on the wire:
// path.Clean, url.QueryUnescape / PathUnescape, url.ParseQuery, encoding/json's
// HTML-escaping, and %q quoting. Reproducing them is what makes the local sidecar
// answer byte-for-byte like daprd (dapr-http-api.md §1.1, §1.2, §2.3).

/** Go's `path.Clean`: collapse slashes, resolve `.`/`..`, drop trailing slash; "" → ".". */
export function cleanPath (p: string): string {
  if (p === '') return '.'
  const rooted = p.startsWith('/')
  const out: string[] = []
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop()
      else if (!rooted) out.push('..')
      continue
    }
    out.push(seg)
  }
  const joined = out.join('/')
  if (rooted) return '/' + joined
  return joined === '' ? '.' : joined
}

function hexVal (c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10
  return -1
}

function unescape (s: string, plusIsSpace: boolean): string | undefined {
  const bytes = Buffer.from(s, 'utf8')
  const out: number[] = []
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i] as number
    if (c === 0x25) {
      const hi = hexVal(bytes[i + 1] ?? 0)
      const lo = hexVal(bytes[i + 2] ?? 0)
      if (hi < 0 || lo < 0) return undefined
      out.push(hi * 16 + lo)
      i += 2
    } else if (c === 0x2b && plusIsSpace) {
      out.push(0x20)
    } else {
      out.push(c)
    }
  }
  return Buffer.from(out).toString('utf8')
}

/** Go's `url.QueryUnescape`: `%XX` decoded and `+` → space; undefined on a bad escape. */
export function queryUnescape (s: string): string | undefined {
  return unescape(s, true)
}

/** Go's `url.PathUnescape` (what `r.URL.Path` holds): `+` stays `+`. */
export function pathUnescape (s: string): string | undefined {
  return unescape(s, false)
}

/** Go's `url.ParseQuery` as `r.URL.Query()` uses it: invalid pairs are skipped. */
export function parseQuery (rawQuery: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const part of rawQuery.split('&')) {
    if (part === '' || part.includes(';')) continue
    const eq = part.indexOf('=')
    const k = queryUnescape(eq < 0 ? part : part.slice(0, eq))
    const v = queryUnescape(eq < 0 ? '' : part.slice(eq + 1))
    if (k === undefined || v === undefined) continue
    const list = out.get(k)
    if (list) list.push(v)
    else out.set(k, [v])
  }
  return out
}

/** `encoding/json.Marshal` escaping on top of JSON.stringify: `<>&` and U+2028/9 as \u escapes. */
export function goJson (value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))
}

/** Go's `%q` for the strings daprd quotes in messages (close enough for printable text). */
export function goQuote (s: string): string {
  // eslint-disable-next-line no-control-regex -- control bytes are exactly what %q escapes
  return '"' + s.replace(/[\\"\x00-\x1f\x7f]/g, (c) => {
    switch (c) {
      case '\\': return '\\\\'
      case '"': return '\\"'
      case '\n': return '\\n'
      case '\r': return '\\r'
      case '\t': return '\\t'
      default: return '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0')
    }
  }) + '"'
}
