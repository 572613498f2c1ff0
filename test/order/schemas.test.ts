import t from 'tap'
import { Value } from '@sinclair/typebox/value'
import { LATEST_ORDER_KEY, MAX_ORDER_DEPTH, NewOrderBodySchema, OrderIdSchema, nestsDeeperThan, orderKey } from '../../src/order/schemas.js'

t.test('order ids: 1-64 chars of [A-Za-z0-9._-], or a non-negative safe integer', async (t) => {
  for (const ok of ['42', 'a', 'A.b_c-9', 'x'.repeat(64), 0, 42, Number.MAX_SAFE_INTEGER]) t.ok(Value.Check(OrderIdSchema, ok), JSON.stringify(ok))
  for (const bad of ['', 'x'.repeat(65), 'a b', 'a/b', 'a||b', 'é', -1, 1.5, 2 ** 53, null, true, {}]) t.notOk(Value.Check(OrderIdSchema, bad), JSON.stringify(bad))
})

t.test('a new order keeps the other fields of data', async (t) => {
  t.ok(Value.Check(NewOrderBodySchema, { data: { orderId: '1', note: 'x' } }))
  t.notOk(Value.Check(NewOrderBodySchema, { data: { note: 'x' } }))
})

t.test('keys: a number and its decimal string share one key, distinct from the latest key', async (t) => {
  t.equal(orderKey(42), 'order-42')
  t.equal(orderKey('42'), 'order-42')
  t.not(orderKey('order'), LATEST_ORDER_KEY)
})

t.test('ids "." and anything with ".." are refused: URL clients resolve them as path segments', async (t) => {
  for (const bad of ['.', '..', 'a..b', '../x', '...']) t.notOk(Value.Check(OrderIdSchema, bad), JSON.stringify(bad))
  for (const ok of ['.a', 'a.', 'a.b.c', '.-']) t.ok(Value.Check(OrderIdSchema, ok), JSON.stringify(ok))
})

t.test('nestsDeeperThan walks without recursion, so 100,000 levels cannot overflow the stack', async (t) => {
  t.notOk(nestsDeeperThan(1, 0))
  t.notOk(nestsDeeperThan({ a: [1, { b: null }] }, 3))
  t.ok(nestsDeeperThan({ a: [1, { b: null }] }, 2))
  t.ok(nestsDeeperThan(JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)), MAX_ORDER_DEPTH))
})
