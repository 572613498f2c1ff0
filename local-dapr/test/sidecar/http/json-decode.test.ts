import t from 'tap'
import { decodeItem, field, goTypeName, isObject, optionsField, parseJson, stringField, stringMapField } from '../../../src/sidecar/http/json-decode.js'

t.test('parseJson errors read like Go', async (t) => {
  t.throws(() => parseJson(Buffer.from('  ')), { message: 'EOF' })
  t.throws(() => parseJson(Buffer.from('foobar')), { message: /^invalid character 'o' looking for beginning of value$/ })
  t.throws(() => parseJson(Buffer.from('[1')), { message: 'unexpected EOF' })
  t.same(parseJson(Buffer.from('[1]')), [1])
})

t.test('field helpers', async (t) => {
  t.equal(goTypeName([]), 'array')
  t.equal(goTypeName(true), 'bool')
  t.equal(goTypeName('x'), 'string')
  t.notOk(isObject(null))
  t.equal(field({ Key: 1, KEY: 2 }, 'key'), 2)
  t.equal(stringField({ key: null }, 'key', 'W'), undefined)
  t.throws(() => stringField({ key: 1 }, 'key', 'W'), { message: 'json: cannot unmarshal number into Go struct field W.key of type string' })
  t.same(stringMapField({ m: { a: 'b', n: null } }, 'm', 'W'), { a: 'b', n: '' })
  t.equal(stringMapField({}, 'm', 'W'), undefined)
  t.throws(() => stringMapField({ m: 'x' }, 'm', 'W'), { message: /map\[string\]string/ })
  t.throws(() => stringMapField({ m: { a: 1 } }, 'm', 'W'), { message: /W\.m of type string/ })
  t.same(optionsField({ options: { CONCURRENCY: 'first-write' } }, 'W'), { concurrency: 'first-write', consistency: undefined })
  t.equal(optionsField({ options: null }, 'W'), undefined)
  t.throws(() => optionsField({ options: [] }, 'W'), { message: /SetStateOption/ })
})

t.test('decodeItem', async (t) => {
  t.same(decodeItem(null, 'SetRequest', true), { key: '', value: null, etag: undefined, metadata: undefined, options: undefined })
  t.same(decodeItem({ key: 'k' }, 'DeleteRequest', false).value, null)
  t.same(decodeItem({ key: 'k', value: { a: 1 } }, 'SetRequest', true).value, { a: 1 })
  t.throws(() => decodeItem(1, 'SetRequest', true), { message: 'json: cannot unmarshal number into Go value of type state.SetRequest' })
})

t.test('a missing value is JSON null', async (t) => {
  t.equal(decodeItem({ key: 'k' }, 'SetRequest', true).value, null)
  t.equal(decodeItem({ value: 1 }, 'SetRequest', true).key, '')
})
