import t from 'tap'
import {
  ComponentMetadataError,
  checkRequestOptions,
  parseGoBool,
  parseGoDuration,
  parseGoInt,
  readComponentMetadata
} from '../../../src/sidecar/store/component.js'
import { StoreError } from '../../../src/sidecar/store/types.js'

const comp = (metadata: Record<string, string>) => ({ name: 's', version: 'v1', metadata })

t.test('metadata names match case-insensitively and come back canonical', async (t) => {
  const m = readComponentMetadata(comp({ REDISHOST: 'h:1', keyPrefix: 'Name' }), ['redisHost', 'keyPrefix', 'redisDB'])
  t.same([...m], [['redisHost', 'h:1'], ['keyPrefix', 'Name']])
})

t.test('an unknown or repeated name fails, naming the field', async (t) => {
  const unknown = t.throws(() => readComponentMetadata(comp({ nope: '1' }), ['redisHost'])) as ComponentMetadataError
  t.equal(unknown.code, 'STORE_ERR_COMPONENT_METADATA')
  t.equal(unknown.field, 'nope')
  t.match(unknown.message, "unknown metadata field 'nope' (accepted: redisHost)")
  const twice = t.throws(() => readComponentMetadata(comp({ redisHost: 'a', redishost: 'b' }), ['redisHost'])) as ComponentMetadataError
  t.match(twice.message, "metadata field 'redisHost' is given twice")
})

t.test('integers parse like strconv.Atoi', async (t) => {
  t.equal(parseGoInt('f', '42'), 42)
  t.equal(parseGoInt('f', '+7'), 7)
  t.equal(parseGoInt('f', '-3'), -3)
  t.throws(() => parseGoInt('f', '1.5'), { message: "metadata field 'f': strconv.Atoi: parsing \"1.5\": invalid syntax", field: 'f' })
  t.throws(() => parseGoInt('f', ' 1'), { message: /invalid syntax/ })
  t.throws(() => parseGoInt('f', '99999999999999999999'), { message: /value out of range/ })
})

t.test('booleans parse like strconv.ParseBool', async (t) => {
  for (const v of ['1', 't', 'T', 'TRUE', 'true', 'True']) t.equal(parseGoBool('f', v), true, v)
  for (const v of ['0', 'f', 'F', 'FALSE', 'false', 'False']) t.equal(parseGoBool('f', v), false, v)
  t.throws(() => parseGoBool('enableTLS', 'yes'), { message: "metadata field 'enableTLS': strconv.ParseBool: parsing \"yes\": invalid syntax" })
})

t.test('durations accept Go duration strings or integer milliseconds', async (t) => {
  t.equal(parseGoDuration('d', '5s'), 5000)
  t.equal(parseGoDuration('d', '500ms'), 500)
  t.equal(parseGoDuration('d', '1m30s'), 90_000)
  t.equal(parseGoDuration('d', '1.5h'), 5_400_000)
  t.equal(parseGoDuration('d', '2000us'), 2)
  t.equal(parseGoDuration('d', '1000000ns'), 1)
  t.equal(parseGoDuration('d', '-2s'), -2000)
  t.equal(parseGoDuration('d', '250'), 250)
  t.equal(parseGoDuration('d', '-1'), -1)
  t.equal(parseGoDuration('d', '0'), 0)
  t.throws(() => parseGoDuration('dialTimeout', '5 s'), { message: "metadata field 'dialTimeout': invalid duration \"5 s\"" })
  t.throws(() => parseGoDuration('d', 's'), { message: /invalid duration/ })
})

t.test('request options accept the four known values and empty', async (t) => {
  checkRequestOptions(undefined)
  checkRequestOptions({})
  checkRequestOptions({ concurrency: 'first-write', consistency: 'strong' })
  checkRequestOptions({ concurrency: 'last-write', consistency: 'eventual' })
  checkRequestOptions({ concurrency: '', consistency: '' })
  t.throws(() => checkRequestOptions({ concurrency: 'first' }), new StoreError('failed', "unrecognized concurrency model 'first'"))
  t.throws(() => checkRequestOptions({ consistency: 'weak', concurrency: 'first' }), new StoreError('failed', "unrecognized consistency model 'weak'"), 'consistency is checked first')
  const err = t.throws(() => checkRequestOptions({ concurrency: 'x' })) as StoreError
  t.equal(err.kind, 'failed')
})
