import t from 'tap'
import Fastify from 'fastify'
import { canonicalDecimal, firstInexactNumber, installExactJsonParser, isExactNumber } from '../../src/order/exact-json.js'
import { errorHandling } from '../../src/shared/http.js'

t.test('canonicalDecimal spells every value one way', async (t) => {
  t.equal(canonicalDecimal('1.50'), '15e-1')
  t.equal(canonicalDecimal('15e-1'), '15e-1')
  t.equal(canonicalDecimal('0.15E1'), '15e-1')
  t.equal(canonicalDecimal('-0.0012300'), '-123e-5')
  t.equal(canonicalDecimal('100'), '1e2')
  t.equal(canonicalDecimal('1e+21'), '1e21')
  t.equal(canonicalDecimal('-0'), '0')
  t.equal(canonicalDecimal('0.000e5'), '0')
  t.equal(canonicalDecimal('1e99999999999999999999'), '1e99999999999999999999', 'an exponent beyond 2^53 stays exact')
  t.throws(() => canonicalDecimal('Infinity'), TypeError)
})

t.test('isExactNumber: what reads back as the same decimal', async (t) => {
  for (const ok of ['0', '-0', '42', '-7', '999999999999999', '9007199254740991', '-9007199254740991', '9007199254740992', '0.1', '0.30000000000000004', '1.5', '1E2', '1e21', '5e-324', '1.7976931348623157e308', '123456.789']) {
    t.equal(isExactNumber(ok), true, ok)
  }
  for (const bad of ['1e400', '-1e400', '1e309', '9007199254740993', '-9007199254740993', '18446744073709551615', '1e-400', '4.9e-324', '0.1000000000000000000001', '1.00000000000000000001', '3.141592653589793238']) {
    t.equal(isExactNumber(bad), false, bad)
  }
})

t.test('firstInexactNumber finds the first bad number outside strings', async (t) => {
  t.equal(firstInexactNumber('{"a":[1,2.5,1e400,9007199254740993]}'), '1e400')
  t.equal(firstInexactNumber('{"a":"1e400","b":"9007199254740993 \\" 1e400"}'), undefined, 'numbers inside strings, escaped quotes included, are text')
  t.equal(firstInexactNumber('{"1e400":1}'), undefined, 'keys are strings too')
  t.equal(firstInexactNumber('[true,false,null,-0.5e-3]'), undefined)
  t.equal(firstInexactNumber(`[${'1,'.repeat(20_000)}9007199254740993]`), '9007199254740993')
})

t.test('installExactJsonParser: Fastify\'s parsing first, then a 400 with a code for an inexact number', async (t) => {
  const app = Fastify()
  await app.register(errorHandling)
  installExactJsonParser(app)
  const seen: unknown[] = []
  app.post('/', async (request) => { seen.push(request.body); return { ok: true } })
  t.teardown(() => app.close())
  const post = async (payload: string) => await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload })
  t.same((await post('{"n":1.5}')).json(), { ok: true })
  t.match((await post('{"n":1e400}')).json(), { statusCode: 400, code: 'ORDER_ERR_INEXACT_NUMBER', message: /1e400/ })
  t.match((await post(`{"n":${'9'.repeat(5000)}}`)).json(), { code: 'ORDER_ERR_INEXACT_NUMBER', message: /^The number 9{37}\.\.\. cannot/ }, 'a long number is cut short in the message')
  t.match((await post('{"n":')).json(), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' })
  t.match((await post('{"__proto__":{"a":1}}')).json(), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' })
  t.same(seen, [{ n: 1.5 }], 'the handler ran only for the exact body')

  const lenient = Fastify({ onProtoPoisoning: 'remove' })
  installExactJsonParser(lenient)
  lenient.post('/', async (request) => request.body)
  t.teardown(() => lenient.close())
  const res = await lenient.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload: '{"__proto__":{"a":1},"b":2}' })
  t.same(res.json(), { b: 2 }, 'the app\'s own poisoning settings are kept')
})
