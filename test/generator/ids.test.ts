import t from 'tap'
import { CounterCorruptError, createIdAllocator } from '../../src/generator/ids.js'
import { fakeSidecar } from '../helpers/fake-sidecar.js'

const options = (sidecar: ReturnType<typeof fakeSidecar>, blockSize = 3) => ({ sidecar, storeName: 'statestore', counterKey: 'order-id-counter', blockSize })

t.test('hands out a block, then reserves the next one', async (t) => {
  const sidecar = fakeSidecar()
  const ids = createIdAllocator(options(sidecar))
  const got: string[] = []
  for (let i = 0; i < 7; i++) got.push(await ids.next())
  t.same(got, ['1', '2', '3', '4', '5', '6', '7'])
  t.equal(sidecar.calls.filter((c) => c.op === 'update').length, 3)
  t.equal(sidecar.data.get('order-id-counter')?.value, 9)
})

t.test('a restarted generator (a new allocator on the same store) never reuses an id', async (t) => {
  const sidecar = fakeSidecar()
  const first = createIdAllocator(options(sidecar, 100))
  t.same([await first.next(), await first.next()], ['1', '2'])
  const second = createIdAllocator(options(sidecar, 100))
  t.same([await second.next(), await second.next()], ['101', '102'], 'the rest of the first block is skipped')
})

t.test('concurrent callers share one reservation', async (t) => {
  const sidecar = fakeSidecar()
  const ids = createIdAllocator(options(sidecar, 5))
  const got = await Promise.all([ids.next(), ids.next(), ids.next(), ids.next()])
  t.same(got.sort(), ['1', '2', '3', '4'])
  t.equal(sidecar.calls.filter((c) => c.op === 'update').length, 1)
})

t.test('a failed reservation is reported and the next call tries again', async (t) => {
  const sidecar = fakeSidecar()
  let fail = true
  sidecar.failWhen((op) => op === 'update' && fail ? new Error('store down') : undefined)
  const ids = createIdAllocator(options(sidecar))
  await t.rejects(ids.next(), /store down/)
  fail = false
  t.equal(await ids.next(), '1')
})

t.test('a counter that is not a counter is refused, never guessed around', async (t) => {
  for (const value of ['12', -1, 1.5, Number.MAX_SAFE_INTEGER]) {
    const sidecar = fakeSidecar()
    sidecar.data.set('order-id-counter', { value, etag: 1 })
    const err = await createIdAllocator(options(sidecar)).next().catch((e: unknown) => e)
    t.ok(err instanceof CounterCorruptError, JSON.stringify(value))
    t.match(err, { code: 'GENERATOR_ERR_COUNTER_CORRUPT', message: /state key order-id-counter holds/ })
  }
})
