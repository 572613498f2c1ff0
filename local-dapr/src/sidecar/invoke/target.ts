// Where an invocation goes and which app path it reaches (dapr-http-api.md §2.1-2.3):
// daprd's findTargetIDAndMethod, NormalizeMethod, verb mapping and app-id forms.
import type { IncomingHttpHeaders } from 'node:http'
import { cleanPath, goQuote, queryUnescape } from '../http/go-compat.js'

const VERBS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'])

/** The proto enum mapping: unknown verbs travel as POST. */
export function mapVerb (method: string): string {
  const up = method.toUpperCase()
  return VERBS.has(up) ? up : 'POST'
}

/** Go's `pathHasPrefix`: index after `/<parts...>/` with repeated slashes skipped, or -1. */
export function pathHasPrefix (path: string, ...parts: string[]): number {
  let found = 0
  let start = 0
  let i = 0
  for (; i < path.length; i++) {
    if (path[i] !== '/') {
      if (found >= parts.length) return i
      continue
    }
    if (i - start > 0) {
      if (path.slice(start, i) !== parts[found]) return -1
      found++
    }
    start = i + 1
  }
  return found >= parts.length ? i : -1
}

/**
 * `findTargetIDAndMethod` on the decoded path: the `dapr-app-id` header (deleted here),
 * Basic auth user `dapr-app-id`, then `/v1.0/invoke/{id}/method/{method...}`.
 */
export function findTarget (decodedPath: string, headers: IncomingHttpHeaders): { targetId: string, method: string } | undefined {
  const header = headers['dapr-app-id']
  if (typeof header === 'string' && header !== '') {
    delete headers['dapr-app-id']
    return { targetId: header, method: cleanPath(decodedPath).replace(/^\//, '') }
  }
  const auth = headers.authorization
  if (auth?.startsWith('Basic ')) {
    const pair = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':')
    if (pair.length === 2 && pair[0]?.toLowerCase() === 'dapr-app-id') {
      return { targetId: pair[1] as string, method: cleanPath(decodedPath).replace(/^\//, '') }
    }
  }
  const idx = pathHasPrefix(decodedPath, 'v1.0', 'invoke')
  if (idx > 0) {
    const rest = decodedPath.slice(idx)
    const m = rest.indexOf('/method/')
    if (m > 0) {
      const raw = rest.slice(0, m)
      return { targetId: queryUnescape(raw) || raw, method: rest.slice(m + '/method/'.length) }
    }
  }
  return undefined
}

/** `NormalizeMethod`: reject `#`, `?`, NUL and control bytes, resolve traversal. */
export function normalizeMethod (method: string): string {
  if (method.includes('#') || method.includes('?') || method.includes('\0')) throw new Error(`method contains forbidden character: ${goQuote(method)}`)
  // eslint-disable-next-line no-control-regex -- control bytes are what daprd rejects
  const ctl = /[\x01-\x1f\x7f]/.exec(method)
  if (ctl) throw new Error(`method contains control character at position ${Buffer.byteLength(method.slice(0, ctl.index))}: ${goQuote(method)}`)
  let cleaned = cleanPath(method)
  while (cleaned.startsWith('../')) cleaned = cleaned.slice(3)
  if (cleaned === '..' || cleaned === '.') cleaned = ''
  return cleaned
}

// Bytes Go's URL.EscapedPath leaves alone in a path: unreserved, sub-delims, ':', '@', '/', '%'.
const PATH_SAFE = /[A-Za-z0-9\-._~!$&'()*+,;=:@/%]/

/**
 * The app path daprd's app channel requests: `/<method>` escaped like Go's URL, plus
 * `?<raw query>`. A `%` that is not a valid escape fails as Go's url.Parse does.
 */
export function appPath (method: string, rawQuery: string): string {
  const bad = /%(?![0-9A-Fa-f]{2})(.{0,2})/s.exec(method)
  if (bad) throw new Error(`parse ${goQuote('/' + method)}: invalid URL escape ${goQuote('%' + (bad[1] as string))}`)
  let out = '/'
  for (const ch of method) {
    if (PATH_SAFE.test(ch)) out += ch
    else for (const b of Buffer.from(ch, 'utf8')) out += '%' + b.toString(16).toUpperCase().padStart(2, '0')
  }
  return rawQuery === '' ? out : `${out}?${rawQuery}`
}

/** `requestAppIDAndNamespace`: `id`, `id.namespace`, or an error for two or more dots. */
export function parseAppId (target: string, ownNamespace: string): { appId: string, namespace: string } {
  const parts = target.split('.')
  if (parts.length === 1) return { appId: target, namespace: ownNamespace }
  if (parts.length === 2) return { appId: parts[0] as string, namespace: parts[1] as string }
  throw new Error(`invalid app id ${target}`)
}
