// Numbers in a JSON body that JavaScript cannot hold exactly. JSON.parse turns `1e400` into
// Infinity (which the store then writes as null) and `9007199254740993` into
// 9007199254740992: the order would be acknowledged with data other than what was sent. So a
// body is refused when any number in it reads back as a different decimal once parsed.
import type { FastifyInstance } from 'fastify'
import { orderErrors } from './errors.js'

// In valid JSON, outside strings, the only digits are number tokens; strings are matched to be skipped.
const TOKENS = /"(?:[^"\\]|\\.)*"|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/g
// Up to 15 digits, no fraction or exponent: always exact (2^53 has 16 digits).
const SMALL_INTEGER = /^-?\d{1,15}$/
type PoisoningActions = Parameters<FastifyInstance['getDefaultJsonParser']>

const NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/

/**
 * A decimal number in one canonical spelling, `<sign><digits>e<exponent>` with no leading or
 * trailing zeros in the digits (and `0` for zero of either sign), so spellings of one value
 * compare equal: `1.50`, `15e-1` and `0.15E1` are all `15e-1`.
 * @example
 * canonicalDecimal('-0.0012300') // '-123e-5'
 */
export function canonicalDecimal (text: string): string {
  const m = NUMBER.exec(text)
  if (m === null) throw new TypeError(`not a decimal number: ${text}`)
  const [, sign, int, frac = '', exp = '0'] = m as unknown as [string, string, string, string | undefined, string | undefined]
  const digits = (int + frac).replace(/^0+/, '')
  if (digits === '') return '0'
  const significant = digits.replace(/0+$/, '')
  // BigInt keeps an absurd exponent (1e99999999999999999999) exact; such a value is not finite anyway.
  const exponent = BigInt(exp) - BigInt(frac.length) + BigInt(digits.length - significant.length)
  return `${sign}${significant}e${exponent}`
}

/**
 * True when the number token `token` becomes a double that still denotes the same decimal
 * value (its shortest round-trip form, as JSON.stringify writes it, names the same number).
 * @example
 * isExactNumber('0.1') // true: stored and read back as 0.1
 * isExactNumber('9007199254740993') // false: becomes 9007199254740992
 * isExactNumber('1e400') // false: becomes Infinity, stored as null
 */
export function isExactNumber (token: string): boolean {
  if (SMALL_INTEGER.test(token)) return true
  const value = Number(token)
  if (!Number.isFinite(value)) return false
  return canonicalDecimal(String(value)) === canonicalDecimal(token)
}

/**
 * The first number in the JSON text `text` that cannot be held exactly; undefined when all
 * can. `text` must be valid JSON (parse it first).
 * @example
 * firstInexactNumber('{"a":[1,2.5,1e400]}') // '1e400'
 */
export function firstInexactNumber (text: string): string | undefined {
  for (const [token] of text.matchAll(TOKENS)) {
    if (token.charCodeAt(0) !== 34 /* " */ && !isExactNumber(token)) return token
  }
  return undefined
}

/**
 * Replaces the app's `application/json` parser with Fastify's own (same prototype-poisoning
 * settings, same body limits) followed by the exactness check: a body with such a number is
 * a 400 `ORDER_ERR_INEXACT_NUMBER`, and the route never runs, so nothing is stored.
 * @example
 * installExactJsonParser(app) // before the routes are registered
 */
export function installExactJsonParser (app: FastifyInstance): void {
  // initialConfig holds both settings with Fastify's defaults ('error') filled in.
  const { onProtoPoisoning, onConstructorPoisoning } = app.initialConfig as { onProtoPoisoning: PoisoningActions[0], onConstructorPoisoning: PoisoningActions[1] }
  const parse = app.getDefaultJsonParser(onProtoPoisoning, onConstructorPoisoning)
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    parse(request, body as string, (err, value) => {
      if (err !== null) return done(err, undefined)
      const inexact = firstInexactNumber(body as string)
      if (inexact !== undefined) return done(orderErrors.inexactNumber(inexact.length > 40 ? `${inexact.slice(0, 37)}...` : inexact), undefined)
      done(null, value)
    })
  })
}
