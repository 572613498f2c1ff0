import t from 'tap'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { requireApiToken, tokenMatches } from '../../src/order/auth.js'

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
  const call = (headers: Record<string, string>) => hook.call({} as never, { headers } as unknown as FastifyRequest, {} as FastifyReply)
  await t.rejects(call({}), { statusCode: 401, code: 'ORDER_ERR_UNAUTHORIZED' })
  await t.rejects(call({ 'dapr-api-token': 'nope' }), { statusCode: 401, code: 'ORDER_ERR_UNAUTHORIZED' })
  await t.resolves(call({ 'dapr-api-token': 'tok' }))
})
