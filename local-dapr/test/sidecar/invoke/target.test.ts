import t from 'tap'
import { appPath, findTarget, mapVerb, normalizeMethod, parseAppId, pathHasPrefix } from '../../../src/sidecar/invoke/target.js'

t.test('verbs', async (t) => {
  t.equal(mapVerb('get'), 'GET')
  t.equal(mapVerb('PURGE'), 'POST')
})

t.test('pathHasPrefix skips repeated slashes', async (t) => {
  t.equal(pathHasPrefix('/v1.0//invoke//app/method/x', 'v1.0', 'invoke'), 15)
  t.equal(pathHasPrefix('/v1.0/state/x', 'v1.0', 'invoke'), -1)
  t.equal(pathHasPrefix('/v1.0/invoke', 'v1.0', 'invoke'), -1)
  t.equal(pathHasPrefix('/v1.0/invoke/', 'v1.0', 'invoke'), 13)
  t.equal(pathHasPrefix('', 'v1.0'), -1)
})

t.test('findTarget: header, basic auth, URL', async (t) => {
  const h: Record<string, string> = { 'dapr-app-id': 'B' }
  t.same(findTarget('///foo//bar/', h), { targetId: 'B', method: 'foo/bar' })
  t.notOk('dapr-app-id' in h)
  const basic = { authorization: 'Basic ' + Buffer.from('dapr-app-id:C').toString('base64') }
  t.same(findTarget('/x', basic), { targetId: 'C', method: 'x' })
  t.same(findTarget('/v1.0/invoke/B/method/x', { authorization: 'Basic ' + Buffer.from('user:pw').toString('base64') }), { targetId: 'B', method: 'x' })
  t.same(findTarget('/v1.0/invoke/B/method/x', { authorization: 'Bearer z' }), { targetId: 'B', method: 'x' })
  t.same(findTarget('/v1.0//invoke//app/method//foo', {}), { targetId: 'app', method: '/foo' })
  t.same(findTarget('/v1.0/invoke/http%3A%2F%2Fh/method/m', {}), { targetId: 'http://h', method: 'm' })
  t.same(findTarget('/v1.0/invoke/%zz/method/m', {}), { targetId: '%zz', method: 'm' })
  t.equal(findTarget('/v1.0/invoke/B', {}), undefined)
  t.equal(findTarget('/v1.0/other', {}), undefined)
  t.equal(findTarget('/x', { 'dapr-app-id': '' }), undefined)
})

t.test('normalizeMethod', async (t) => {
  t.equal(normalizeMethod('admin/../public'), 'public')
  t.equal(normalizeMethod('../../x'), 'x')
  t.equal(normalizeMethod('..'), '')
  t.equal(normalizeMethod('.'), '')
  for (const m of ['a#b', 'a?b', 'a\0b']) t.throws(() => normalizeMethod(m), { message: /forbidden character/ })
  t.throws(() => normalizeMethod('é\rx'), { message: 'method contains control character at position 2: "é\\rx"' })
})

t.test('appPath escapes like Go', async (t) => {
  t.equal(appPath('test"stream', ''), '/test%22stream')
  t.equal(appPath('a b/€*', 'x=1'), '/a%20b/%E2%82%AC*?x=1')
  t.equal(appPath('ok%41', ''), '/ok%41')
  t.throws(() => appPath('test%stream', ''), { message: 'parse "/test%stream": invalid URL escape "%st"' })
})

t.test('parseAppId', async (t) => {
  t.same(parseAppId('B', 'default'), { appId: 'B', namespace: 'default' })
  t.same(parseAppId('B.ns', 'default'), { appId: 'B', namespace: 'ns' })
  t.throws(() => parseAppId('a.b.c', 'default'), { message: 'invalid app id a.b.c' })
})
