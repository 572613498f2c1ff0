import t from 'tap'
import { cleanPath, goJson, goQuote, parseQuery, pathUnescape, queryUnescape } from '../../../src/sidecar/http/go-compat.js'

t.test('cleanPath follows Go path.Clean', async (t) => {
  const cases: Array<[string, string]> = [['', '.'], ['/', '/'], ['//a//b/', '/a/b'], ['/a/./b/../c', '/a/c'], ['/..', '/'], ['a/../..', '..'], ['../../x', '../../x'], ['a/..', '.'], ['./', '.'], ['x/./y', 'x/y']]
  for (const [i, o] of cases) t.equal(cleanPath(i), o, i)
})

t.test('unescaping', async (t) => {
  t.equal(queryUnescape('a+b%20c%2Fd%e2%82%ac'), 'a b c/d€')
  t.equal(pathUnescape('a+b%2B'), 'a+b+')
  t.equal(queryUnescape('%zz'), undefined)
  t.equal(queryUnescape('%4'), undefined)
  t.equal(queryUnescape('a%'), undefined, 'a % at the very end')
  t.equal(pathUnescape('%aF%Af'), '\ufffd\ufffd')
})

t.test('parseQuery like r.URL.Query()', async (t) => {
  const q = parseQuery('a=1&a=2&b&c=x+y&&bad=%zz&semi=1;2&%zz=1&metadata.k=v')
  t.same([...q], [['a', ['1', '2']], ['b', ['']], ['c', ['x y']], ['metadata.k', ['v']]])
})

t.test('goJson escapes like encoding/json', async (t) => {
  t.equal(goJson({ a: '<&>\u2028\u2029' }), '{"a":"\\u003c\\u0026\\u003e\\u2028\\u2029"}')
})

t.test('goQuote', async (t) => {
  t.equal(goQuote('a"b\\c\n\r\t\x00\x7f'), '"a\\"b\\\\c\\n\\r\\t\\x00\\x7f"')
})
