import t from 'tap'
import { createOrderStore, digestOf } from '../../src/order/store.js'
import { HttpError } from '../../src/shared/http.js'
import { errors, fakeSidecar } from '../helpers/fake-sidecar.js'

function setup () {
  const sidecar = fakeSidecar()
  return { sidecar, store: createOrderStore({ sidecar, storeName: 'statestore' }) }
}

t.test('create makes two state calls: the order key (first-write), then the latest key; no read', async (t) => {
  const { sidecar, store } = setup()
  t.equal(await store.create({ orderId: '42' }), 'created')
  t.same(sidecar.calls, [{ op: 'save', key: 'order-42' }, { op: 'save', key: 'order' }])
  t.same(await store.get('42'), { orderId: '42' })
  t.same(await store.latest(), { orderId: '42' })
})

t.test('an identical order is "existing" and changes nothing; a different one is a 409', async (t) => {
  const { sidecar, store } = setup()
  await store.create({ orderId: '1', a: { x: 1, y: 2 } })
  await store.create({ orderId: '2' })
  const before = sidecar.calls.length
  t.equal(await store.create({ a: { y: 2, x: 1 }, orderId: '1' }), 'existing')
  // The refused first-write, then the read that tells why; the latest key is left alone.
  t.same(sidecar.calls.slice(before), [{ op: 'save', key: 'order-1' }, { op: 'get', key: 'order-1' }])
  t.same(await store.latest(), { orderId: '2' })
  await t.rejects(store.create({ orderId: '1', a: { x: 1 } }), { statusCode: 409, code: 'ORDER_ERR_CONFLICT' })
  t.same(await store.get('1'), { orderId: '1', a: { x: 1, y: 2 } }, 'the stored order is unchanged')
})

t.test('Redis refuses a first-write on an existing key with a 500 ERR_STATE_SAVE: still "existing" or a 409', async (t) => {
  const { sidecar, store } = setup()
  sidecar.data.set('order-3', { value: { data: { orderId: '3' }, digest: digestOf({ orderId: '3' }) }, etag: 1 })
  sidecar.failWhen((op, key) => op === 'save' && key === 'order-3' ? errors.storeDown() : undefined)
  t.equal(await store.create({ orderId: '3' }), 'existing')
  await t.rejects(store.create({ orderId: '3', other: 1 }), { statusCode: 409, code: 'ORDER_ERR_CONFLICT' })
  t.equal(await store.latest(), undefined)
})

t.test('losing a first-write race to the same order is "existing": the winner records the latest', async (t) => {
  const { sidecar, store } = setup()
  // A concurrent request stores the identical order between our read and our write.
  sidecar.failWhen((op, key) => {
    if (op === 'save' && key === 'order-5' && !sidecar.data.has('order-5')) {
      sidecar.data.set('order-5', { value: { data: { orderId: '5' }, digest: digestOf({ orderId: '5' }) }, etag: 99 })
    }
    return undefined
  })
  t.equal(await store.create({ orderId: '5' }), 'existing')
  t.same(sidecar.calls.map((c) => `${c.op} ${c.key}`), ['save order-5', 'get order-5'], 'no write of the latest key by the loser')
})

t.test('losing a first-write race to a different order is a 409 and leaves the latest alone', async (t) => {
  const { sidecar, store } = setup()
  sidecar.failWhen((op, key) => {
    if (op === 'save' && key === 'order-5' && !sidecar.data.has('order-5')) {
      sidecar.data.set('order-5', { value: { data: { orderId: '5', other: true }, digest: digestOf({ orderId: '5', other: true }) }, etag: 99 })
    }
    return undefined
  })
  await t.rejects(store.create({ orderId: '5' }), { code: 'ORDER_ERR_CONFLICT' })
  t.equal(await store.latest(), undefined)
})

t.test('a write that landed but whose answer was lost counts as created', async (t) => {
  const { sidecar, store } = setup()
  sidecar.failWhen((op, key) => op === 'save' && key === 'order-6' ? { error: errors.timeout(), afterApply: true } : undefined)
  t.equal(await store.create({ orderId: '6' }), 'created')
  t.same(await store.latest(), { orderId: '6' })
})

t.test('a store that fails on write is a 503 and nothing names the order', async (t) => {
  const { sidecar, store } = setup()
  sidecar.failWhen((op) => op === 'save' ? errors.storeDown() : undefined)
  const err = await store.create({ orderId: '7' }).catch((e: unknown) => e)
  t.ok(err instanceof HttpError)
  t.match(err, { statusCode: 503, code: 'ORDER_ERR_STORE_UNAVAILABLE' })
  t.equal((err as Error).cause instanceof Error, true, 'the sidecar error is kept as the cause')
  t.equal(sidecar.data.size, 0)
})

t.test('when the re-read after a failed write fails too, the write error is reported', async (t) => {
  const { sidecar, store } = setup()
  let gets = 0
  sidecar.failWhen((op) => {
    if (op === 'save') return errors.network()
    if (op === 'get') { gets++; return errors.network() }
    return undefined
  })
  await t.rejects(store.create({ orderId: '8' }), { statusCode: 503, code: 'ORDER_ERR_STORE_UNAVAILABLE' })
  t.equal(gets, 1, 'one re-read')
})

t.test('a failing latest-key write is a 503 after the order itself is stored and findable', async (t) => {
  const { sidecar, store } = setup()
  sidecar.failWhen((op, key) => op === 'save' && key === 'order' ? errors.network() : undefined)
  await t.rejects(store.create({ orderId: '9' }), { statusCode: 503, code: 'ORDER_ERR_STORE_UNAVAILABLE' })
  t.same(await store.get('9'), { orderId: '9' })
  t.equal(await store.latest(), undefined, 'the latest key never names a missing order')
})

t.test('errors that are not transient pass through unchanged (they become 500s)', async (t) => {
  const { sidecar, store } = setup()
  const notFound = errors.storeNotFound()
  sidecar.failWhen(() => notFound)
  await t.rejects(store.get('1'), notFound)
  await t.rejects(store.latest(), notFound)
})

t.test('values that are not orders are refused, not served', async (t) => {
  const { sidecar, store } = setup()
  sidecar.data.set('order-1', { value: 'junk', etag: 1 })
  sidecar.data.set('order', { value: { no: 'id' }, etag: 2 })
  await t.rejects(store.get('1'), /state key order-1 does not hold an order record/)
  await t.rejects(store.latest(), /state key order does not hold order data/)
})

t.test('digestOf ignores key order at every depth and keeps array order and types', async (t) => {
  t.equal(digestOf({ a: 1, b: { c: [1, { d: null, e: 'x' }] } }), digestOf({ b: { c: [1, { e: 'x', d: null }] }, a: 1 }))
  t.not(digestOf({ a: [1, 2] }), digestOf({ a: [2, 1] }))
  t.not(digestOf({ orderId: 42 }), digestOf({ orderId: '42' }))
  t.match(digestOf({}), /^[0-9a-f]{64}$/)
})

t.test('every state call carries the trace context it was given', async (t) => {
  const { sidecar, store } = setup()
  const seen: Array<{ op: string, key: string, traceContext: unknown }> = []
  const { get, save } = sidecar.state
  sidecar.state.get = async (storeName, key, options?: { traceContext?: unknown }) => {
    seen.push({ op: 'get', key, traceContext: options?.traceContext })
    return get(storeName, key)
  }
  sidecar.state.save = async (storeName, item, options?: { traceContext?: unknown }) => {
    seen.push({ op: 'save', key: (item as { key: string }).key, traceContext: options?.traceContext })
    return save(storeName, item)
  }
  const trace = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'a=1' }
  await store.create({ orderId: '9' }, trace)
  await store.get('9', trace)
  await store.latest(trace)
  t.same(seen.map((s) => `${s.op} ${s.key}`), ['save order-9', 'save order', 'get order-9', 'get order'])
  t.ok(seen.every((s) => s.traceContext === trace), 'the same context on every call')
  // The recovery read after a failed first-write carries it too.
  seen.length = 0
  sidecar.failWhen((op, key) => op === 'save' && key === 'order-10' ? { error: errors.network(), afterApply: true } : undefined)
  t.equal(await store.create({ orderId: '10' }, trace), 'created')
  t.same(seen.map((s) => `${s.op} ${s.key}`), ['save order-10', 'get order-10', 'save order'])
  t.ok(seen.every((s) => s.traceContext === trace))
})

t.test('digestOf is the digest earlier releases stored: any JSON value, the same bytes as the hand-written canonical form', async (t) => {
  const fc = await import('fast-check')
  const { createHash } = await import('node:crypto')
  // The canonical JSON the service used before safe-stable-stringify; stored digests were made with it.
  const before = (value: unknown): string => {
    if (Array.isArray(value)) return `[${value.map(before).join(',')}]`
    if (value !== null && typeof value === 'object') {
      return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${before((value as Record<string, unknown>)[k])}`).join(',')}}`
    }
    return JSON.stringify(value)
  }
  fc.assert(fc.property(fc.jsonValue(), (value) => {
    const parsed: unknown = JSON.parse(JSON.stringify(value))
    return digestOf(parsed) === createHash('sha256').update(before(parsed)).digest('hex')
  }), { numRuns: 2000 })
  t.equal(digestOf({ orderId: '42' }), createHash('sha256').update('{"orderId":"42"}').digest('hex'))
  t.throws(() => digestOf({ orderId: '1', n: 10n }), 'what JSON cannot carry is refused, not dropped')
})
