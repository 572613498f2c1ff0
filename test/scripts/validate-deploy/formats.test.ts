import t from 'tap'
import { goDurationMs, isGoInt, isLoopback, kitBool, parseEnvList, quantity, redisDurationMs } from '../../../scripts/validate-deploy/formats.js'

t.test('goDurationMs reads what time.ParseDuration reads and refuses the rest', async (t) => {
  t.equal(goDurationMs('25s'), 25_000)
  t.equal(goDurationMs('1m30s'), 90_000)
  t.equal(goDurationMs('1.5h'), 5_400_000)
  t.equal(goDurationMs('250ms'), 250)
  t.equal(goDurationMs('10us'), 0.01)
  t.equal(goDurationMs('2µs'), 0.002)
  t.equal(goDurationMs('-2s'), -2000)
  t.equal(goDurationMs('0'), 0)
  t.equal(goDurationMs('+0'), 0)
  t.equal(goDurationMs('25'), undefined, 'no unit: daprd will not start')
  t.equal(goDurationMs('1 s'), undefined)
  t.equal(goDurationMs('1d'), undefined)
  t.equal(goDurationMs(''), undefined)
})

t.test('isGoInt is strconv.ParseInt base 10', async (t) => {
  t.ok(isGoInt('500'))
  t.ok(isGoInt('-1'))
  t.notOk(isGoInt('1s'))
  t.notOk(isGoInt('1.5'))
})

t.test('kitBool reads dapr/kit spellings and flags the rest', async (t) => {
  t.equal(kitBool('true'), true)
  t.equal(kitBool(' YES '), true)
  t.equal(kitBool('off'), false)
  t.equal(kitBool(''), false)
  t.equal(kitBool('ture'), undefined)
})

t.test('quantity is Kubernetes resource.ParseQuantity', async (t) => {
  t.equal(quantity('300m'), 0.3)
  t.equal(quantity('1'), 1)
  t.equal(quantity('1000Mi'), 1000 * 2 ** 20)
  t.equal(quantity('1G'), 1e9)
  t.equal(quantity('1e3'), 1000)
  t.equal(quantity('.5'), 0.5)
  t.equal(quantity('1GB'), undefined)
  t.equal(quantity('300 m'), undefined)
  t.equal(quantity(''), undefined)
})

t.test('parseEnvList splits like the injector', async (t) => {
  t.same(parseEnvList(''), { pairs: [], problems: [] })
  t.same(parseEnvList('A=1, B=x,y'), { pairs: [['A', '1'], ['B', 'x,y']], problems: [] })
  t.same(parseEnvList('GOMEMLIMIT=900MiB').pairs, [['GOMEMLIMIT', '900MiB']])
  t.match(parseEnvList('GOMEMLIMIT').problems, [/has no "="/])
  t.match(parseEnvList('9X=1').problems, [/not an environment variable name/])
  t.match(parseEnvList('A=1 B=2').problems, [/contains another NAME=/])
  t.match(parseEnvList('A=1;B=2').problems, [/contains another NAME=/])
})

t.test('redisDurationMs: a bare number is milliseconds', async (t) => {
  t.equal(redisDurationMs('5'), 5)
  t.equal(redisDurationMs('-1'), -1)
  t.equal(redisDurationMs('5s'), 5000)
  t.equal(redisDurationMs('five'), undefined)
})

t.test('isLoopback', async (t) => {
  for (const a of ['127.0.0.1', '[::1]', '::1', 'localhost', '127.1.2.3']) t.ok(isLoopback(a), a)
  for (const a of ['0.0.0.0', '10.0.0.1', '[::]', 'nodeapp']) t.notOk(isLoopback(a), a)
})
