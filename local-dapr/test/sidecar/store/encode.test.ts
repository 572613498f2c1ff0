import t from 'tap'
import fc from 'fast-check'
import { isDeepStrictEqual } from 'node:util'
import { goJsonMarshal } from '../../../src/sidecar/store/encode.js'
import { StoreError } from '../../../src/sidecar/store/types.js'

const enc = (v: unknown): string => goJsonMarshal(v).toString('utf8')

t.test('scalars are written as Go writes them', async (t) => {
  t.equal(enc(null), 'null')
  t.equal(enc(undefined), 'null', 'an omitted value is stored as null')
  t.equal(enc(true), 'true')
  t.equal(enc(false), 'false')
  t.equal(enc(1), '1')
  t.equal(enc(-0), '-0', 'Go keeps the sign of negative zero')
  t.equal(enc(3.14159265), '3.14159265')
  t.equal(enc(1e21), '1e+21')
  t.equal(enc(1e-7), '1e-7')
  t.equal(enc(123456789012345680000), '123456789012345680000')
  t.equal(enc('hello'), '"hello"', 'a string keeps its quotes')
})

t.test('HTML characters and line separators are escaped, other escapes as Go 1.22+', async (t) => {
  t.equal(enc('<a href="x">&</a>'), '"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e"')
  t.equal(enc('\u2028\u2029'), '"\\u2028\\u2029"')
  t.equal(enc('\b\f\n\r\t\u0001\u001f\\'), '"\\b\\f\\n\\r\\t\\u0001\\u001f\\\\"')
  t.equal(enc('é😀'), '"é😀"', 'non-ASCII is written as UTF-8, not escaped')
})

t.test('a lone surrogate becomes U+FFFD, as after Go decoded it; an escaped backslash is kept', async (t) => {
  t.equal(enc('a\ud800b'), '"a\ufffdb"')
  t.equal(enc('\udfff'), '"\ufffd"')
  t.equal(enc('\\ud800'), '"\\\\ud800"', 'a literal backslash followed by ud800 is not a surrogate')
})

t.test('object keys are sorted by UTF-8 bytes, recursively', async (t) => {
  t.equal(enc({ b: 1, a: { d: [1, { z: null, y: 'x' }], c: false } }), '{"a":{"c":false,"d":[1,{"y":"x","z":null}]},"b":1}')
  // UTF-16 order puts U+1F600 (surrogate 0xD83D) before U+FF61; UTF-8 byte order does not.
  t.equal(enc({ '\uff61': 1, '😀': 2 }), '{"｡":1,"😀":2}', 'code point order, not UTF-16 order')
  t.equal(enc({ ab: 1, a: 2 }), '{"a":2,"ab":1}', 'a prefix sorts first')
  t.equal(enc({ a: 2, ab: 1 }), '{"a":2,"ab":1}')
  t.equal(enc({ '<': 1 }), '{"\\u003c":1}', 'keys are escaped too')
  t.equal(enc([]), '[]')
  t.equal(enc({}), '{}')
})

t.test('output is valid JSON that decodes to the same value (property)', async (t) => {
  fc.assert(fc.property(fc.jsonValue(), (v) => {
    // JSON.stringify drops the sign of -0, Go keeps it: compare without it.
    const back = JSON.parse(enc(v), (_k, x: unknown) => Object.is(x, -0) ? 0 : x) as unknown
    return isDeepStrictEqual(back, JSON.parse(JSON.stringify(v)))
  }))
  t.pass('checked')
})

t.test('a non-finite number fails as in Go', async (t) => {
  t.throws(() => enc(Number.NaN), new StoreError('failed', 'json: unsupported value: NaN'))
})
