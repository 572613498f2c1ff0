import t from 'tap'
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import { PUBLIC_DEMO_MODES, requireApiToken, requireSecret, routeGuards, tokenMatches } from '../../src/order/auth.js'

const call = (hook: onRequestAsyncHookHandler | undefined, headers: Record<string, string>) =>
  hook!.call({} as never, { headers } as unknown as FastifyRequest, {} as FastifyReply)

t.test('tokenMatches: equal strings only, whatever their lengths', async (t) => {
  t.ok(tokenMatches('abc', 'abc'))
  t.notOk(tokenMatches('abc', 'abd'))
  t.notOk(tokenMatches('abc', 'abcd'))
  t.notOk(tokenMatches('abc', ''))
  t.notOk(tokenMatches('abc', undefined))
  t.notOk(tokenMatches('abc', ['abc', 'abc']), 'a repeated header is refused')
})

t.test('requireApiToken rejects with 401 ORDER_ERR_UNAUTHORIZED and passes the right token', async (t) => {
  const hook = requireApiToken('tok')
  await t.rejects(call(hook, {}), { statusCode: 401, code: 'ORDER_ERR_UNAUTHORIZED', message: 'Missing or invalid dapr-api-token' })
  await t.rejects(call(hook, { 'dapr-api-token': 'nope' }), { statusCode: 401, code: 'ORDER_ERR_UNAUTHORIZED' })
  await t.rejects(call(hook, { 'x-api-key': 'tok' }), { statusCode: 401, code: 'ORDER_ERR_UNAUTHORIZED' }, 'only its own header counts')
  await t.resolves(call(hook, { 'dapr-api-token': 'tok' }))
})

t.test('requireSecret with no secret refuses everything, the empty string included', async (t) => {
  const hook = requireSecret('x-api-key', undefined)
  await t.rejects(call(hook, {}), { statusCode: 401, code: 'ORDER_ERR_UNAUTHORIZED', message: 'Missing or invalid x-api-key' })
  await t.rejects(call(hook, { 'x-api-key': '' }), { statusCode: 401, code: 'ORDER_ERR_UNAUTHORIZED' })
  await t.rejects(call(hook, { 'x-api-key': 'undefined' }), { statusCode: 401, code: 'ORDER_ERR_UNAUTHORIZED' })
})

t.test('routeGuards: the app channel guards writes with the app token when one is set, never reads', async (t) => {
  t.same(routeGuards({ channel: 'app' }), { writes: undefined })
  const guards = routeGuards({ channel: 'app', appApiToken: 'app-tok' })
  t.equal(guards.reads, undefined)
  await t.resolves(call(guards.writes, { 'dapr-api-token': 'app-tok' }))
  await t.rejects(call(guards.writes, { 'x-api-key': 'app-tok' }), { statusCode: 401, code: 'ORDER_ERR_UNAUTHORIZED' })
})

t.test('routeGuards: the public listener needs x-api-key on reads and writes, never the app token', async (t) => {
  const guards = routeGuards({ channel: 'public', apiKey: 'public-key-0123456789', demoMode: 'off' })
  for (const hook of [guards.reads, guards.writes]) {
    await t.resolves(call(hook, { 'x-api-key': 'public-key-0123456789' }))
    await t.rejects(call(hook, {}), { statusCode: 401, code: 'ORDER_ERR_UNAUTHORIZED', message: 'Missing or invalid x-api-key' })
    await t.rejects(call(hook, { 'x-api-key': 'public-key-012345678' }), { statusCode: 401, code: 'ORDER_ERR_UNAUTHORIZED' })
    await t.rejects(call(hook, { 'dapr-api-token': 'public-key-0123456789' }), { statusCode: 401, code: 'ORDER_ERR_UNAUTHORIZED' }, 'the key in the app token header does not count')
  }
})

t.test('routeGuards: demo modes open reads, or everything, and nothing else', async (t) => {
  t.same(PUBLIC_DEMO_MODES, ['off', 'reads', 'all'])
  const reads = routeGuards({ channel: 'public', apiKey: 'public-key-0123456789', demoMode: 'reads' })
  t.equal(reads.reads, undefined)
  await t.rejects(call(reads.writes, {}), { statusCode: 401, code: 'ORDER_ERR_UNAUTHORIZED' })
  await t.resolves(call(reads.writes, { 'x-api-key': 'public-key-0123456789' }))
  const readsNoKey = routeGuards({ channel: 'public', demoMode: 'reads' })
  await t.rejects(call(readsNoKey.writes, { 'x-api-key': '' }), { statusCode: 401, code: 'ORDER_ERR_UNAUTHORIZED' }, 'no key: writes are refused, not opened')
  t.same(routeGuards({ channel: 'public', apiKey: 'public-key-0123456789', demoMode: 'all' }), { reads: undefined, writes: undefined })
})
