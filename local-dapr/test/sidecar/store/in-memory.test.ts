import t, { type Test } from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { createInMemoryStore, type InMemoryStoreOptions } from '../../../src/sidecar/store/in-memory.js'
import { ComponentMetadataError } from '../../../src/sidecar/store/component.js'
import { StoreError, type SetRequest } from '../../../src/sidecar/store/types.js'

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const T0 = Date.UTC(2026, 10, 26, 10, 0, 0, 500)

function setup (t: Test, metadata: Record<string, string> = {}, options: InMemoryStoreOptions = {}) {
  const clock = { ms: T0 }
  const store = createInMemoryStore({ name: 'statestore', version: 'v1', metadata }, { now: () => clock.ms, ...options })
  t.teardown(() => store.close())
  return { store, clock }
}
const set = (key: string, value: unknown, more: Partial<SetRequest> = {}): SetRequest => ({ key, value, metadata: {}, ...more })
const mismatch = (message: string) => new StoreError('etag-mismatch', message)

/** Asserts a StoreError of that kind (tap's object patterns do not type-check here). */
async function rejectsKind (t: Test, p: Promise<unknown>, kind: StoreError['kind'], msg?: string): Promise<void> {
  const err = await p.then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof StoreError, msg ?? 'rejects with a StoreError')
  t.equal((err as StoreError).kind, kind, msg ?? `kind ${kind}`)
}

t.test('describes itself as daprd lists it', async (t) => {
  const { store } = setup(t, { keyPrefix: 'MyPrefix', actorstatestore: 'true' })
  t.equal(store.name, 'statestore')
  t.equal(store.type, 'state.in-memory')
  t.equal(store.version, 'v1')
  t.same(store.features, ['ETAG', 'TRANSACTIONAL', 'TTL', 'DELETE_WITH_PREFIX', 'KEYS_LIKE'])
  t.equal(store.keyPrefix, 'myprefix', 'keyPrefix is lower-cased')
  t.equal(store.actorStateStore, true)
  t.equal(setup(t).store.keyPrefix, undefined)
  t.equal(setup(t).store.actorStateStore, false)
  t.throws(() => createInMemoryStore({ name: 's', version: 'v1', metadata: { actorStateStore: 'maybe' } }), { message: /ParseBool/ })
  await store.init()
  await store.ping()
})

t.test('an unknown metadata field is refused', async (t) => {
  const err = t.throws(() => createInMemoryStore({ name: 's', version: 'v1', metadata: { ttlInSeconds: '5' } })) as ComponentMetadataError
  t.equal(err.field, 'ttlInSeconds')
})

t.test('set then get returns Go-encoded bytes and a fresh UUID v4 etag on every write', async (t) => {
  const { store } = setup(t)
  t.equal(await store.get('nodeapp||k', {}), undefined, 'missing key')
  await store.set(set('nodeapp||k', { b: '<1>', a: 1 }))
  const first = await store.get('nodeapp||k', {})
  t.equal(first?.data.toString(), '{"a":1,"b":"\\u003c1\\u003e"}')
  t.match(first?.etag, UUID_V4)
  t.equal(first?.metadata, undefined, 'no TTL, no metadata')
  await store.set(set('nodeapp||k', 'hello'))
  const second = await store.get('nodeapp||k', {})
  t.equal(second?.data.toString(), '"hello"')
  t.not(second?.etag, first?.etag)
  await store.set(set('nodeapp||n', null))
  t.equal((await store.get('nodeapp||n', {}))?.data.toString(), 'null')
})

t.test('etag rules follow doValidateEtag', async (t) => {
  const { store } = setup(t)
  await store.set(set('k', 1))
  const etag = (await store.get('k', {}))?.etag as string

  await t.rejects(store.set(set('k', 2, { etag: 'stale' })), mismatch(`state etag not match for key=k: current=${etag}, expect=stale`))
  await rejectsKind(t, store.set(set('k', 2, { etag: 'stale', options: { concurrency: 'last-write' } })), 'etag-mismatch', 'checked under last-write too')
  await t.rejects(store.set(set('missing', 2, { etag: '5' })), mismatch('state not exist or expired for key=missing'))
  t.equal((await store.get('k', {}))?.data.toString(), '1', 'value unchanged')

  await store.set(set('k', 2, { etag }))
  const next = (await store.get('k', {}))?.etag as string
  t.not(next, etag)
  await store.set(set('k', 3, { etag: '' }))
  t.equal((await store.get('k', {}))?.data.toString(), '3', 'an empty etag is no etag')
})

t.test('first-write without an etag refuses an existing key, for set and delete', async (t) => {
  const { store } = setup(t)
  const fw = { concurrency: 'first-write' }
  await store.set(set('k', 1, { options: fw }))
  await t.rejects(store.set(set('k', 2, { options: fw })), mismatch('item already exists and no etag was passed'))
  await t.rejects(store.delete({ key: 'k', metadata: {}, options: fw }), mismatch('item already exists and no etag was passed'))
  await store.delete({ key: 'missing', metadata: {}, options: fw })
  const etag = (await store.get('k', {}))?.etag
  await store.set(set('k', 2, { etag, options: fw }))
  t.equal((await store.get('k', {}))?.data.toString(), '2')
})

t.test('delete: missing key without etag succeeds; with etag it is a mismatch', async (t) => {
  const { store } = setup(t)
  await store.delete({ key: 'missing', metadata: {} })
  await store.delete({ key: 'missing', etag: '', metadata: {} })
  await t.rejects(store.delete({ key: 'missing', etag: '1', metadata: {} }), mismatch('state not exist or expired for key=missing'))
  await store.set(set('k', 1))
  const etag = (await store.get('k', {}))?.etag as string
  await t.rejects(store.delete({ key: 'k', etag: 'x', metadata: {} }), mismatch(`state etag not match for key=k: current=${etag}, expect=x`))
  await store.delete({ key: 'k', etag, metadata: {} })
  t.equal(await store.get('k', {}), undefined)
})

t.test('unrecognised option values fail before anything else', async (t) => {
  const { store } = setup(t)
  await t.rejects(store.set(set('k', 1, { options: { concurrency: 'first' } })), new StoreError('failed', "unrecognized concurrency model 'first'"))
  await t.rejects(store.set(set('k', 1, { options: { consistency: 'weak' } })), new StoreError('failed', "unrecognized consistency model 'weak'"))
  await rejectsKind(t, store.delete({ key: 'k', metadata: {}, options: { concurrency: 'x' } }), 'failed')
  t.equal(await store.get('k', {}), undefined)
})

t.test('TTL: expiry time in metadata, hidden once passed, negative or zero means none', async (t) => {
  const { store, clock } = setup(t)
  await store.set(set('t', 'value1', { metadata: { ttlInSeconds: '3' } }))
  const got = await store.get('t', {})
  t.same(got?.metadata, { ttlExpireTime: '2026-11-26T10:00:03Z' }, 'RFC 3339 UTC, fraction truncated')
  clock.ms += 3000
  t.ok(await store.get('t', {}), 'still there at the expiry instant')
  clock.ms += 1
  t.equal(await store.get('t', {}), undefined, 'gone after it')
  t.equal(store.size, 0, 'removed on read')

  for (const ttl of ['-5', '0', '']) {
    await store.set(set('p', 1, { metadata: { ttlInSeconds: ttl } }))
    t.equal((await store.get('p', {}))?.metadata, undefined, `ttlInSeconds=${JSON.stringify(ttl)}`)
  }
  await store.set(set('p', 1, { metadata: { ttlInSeconds: '+10' } }))
  t.ok((await store.get('p', {}))?.metadata?.ttlExpireTime)
  await store.set(set('p', 2))
  t.equal((await store.get('p', {}))?.metadata, undefined, 'a write without TTL clears the expiry')
})

t.test('TTL: an unparsable value fails and stores nothing', async (t) => {
  const { store } = setup(t)
  await t.rejects(store.set(set('k', 1, { metadata: { ttlInSeconds: '1.5' } })), new StoreError('failed', 'strconv.Atoi: parsing "1.5": invalid syntax'))
  await t.rejects(store.set(set('k', 1, { metadata: { ttlInSeconds: '99999999999999' } })), new StoreError('failed', 'strconv.Atoi: parsing "99999999999999": value out of range'))
  t.equal(await store.get('k', {}), undefined)
})

t.test('an expired key counts as missing for etag checks and first-write', async (t) => {
  const { store, clock } = setup(t)
  await store.set(set('k', 1, { metadata: { ttlInSeconds: '1' } }))
  const etag = (await store.get('k', {}))?.etag
  clock.ms += 1001
  await t.rejects(store.set(set('k', 2, { etag })), mismatch('state not exist or expired for key=k'))
  await store.set(set('k', 3, { options: { concurrency: 'first-write' } }))
  t.equal((await store.get('k', {}))?.data.toString(), '3')
})

t.test('bulkGet keeps request order, hides missing and expired keys, carries TTL metadata', async (t) => {
  const { store, clock } = setup(t)
  await store.set(set('a', { x: 1 }))
  await store.set(set('b', 2, { metadata: { ttlInSeconds: '10' } }))
  await store.set(set('gone', 3, { metadata: { ttlInSeconds: '1' } }))
  clock.ms += 2000
  const a = await store.get('a', {})
  const items = await store.bulkGet(['b', 'missing', 'a', 'gone'], {}, 1)
  t.equal(items.length, 4)
  t.same(items.map((i) => i.key), ['b', 'missing', 'a', 'gone'])
  t.equal(items[0]?.data?.toString(), '2')
  t.same(items[0]?.metadata, { ttlExpireTime: '2026-11-26T10:00:10Z' })
  t.same(items[1], { key: 'missing' })
  t.same(items[2], { key: 'a', data: Buffer.from('{"x":1}'), etag: a?.etag })
  t.same(items[3], { key: 'gone' })
  t.same(await store.bulkGet([], {}), [])
})

t.test('multi applies everything or nothing', async (t) => {
  const { store } = setup(t)
  await store.set(set('k1', 'old'))
  await store.set(set('k2', 'two'))
  const etag1 = (await store.get('k1', {}))?.etag

  await t.rejects(store.multi([
    { operation: 'upsert', request: set('k1', 'new', { etag: etag1 }) },
    { operation: 'delete', request: { key: 'k2', metadata: {} } },
    { operation: 'upsert', request: set('k3', 3, { etag: 'stale' }) }
  ], {}), mismatch('state not exist or expired for key=k3'))
  t.equal((await store.get('k1', {}))?.data.toString(), '"old"', 'nothing applied')
  t.ok(await store.get('k2', {}))

  await rejectsKind(t, store.multi([
    { operation: 'upsert', request: set('k1', 'new') },
    { operation: 'upsert', request: set('k3', 3, { metadata: { ttlInSeconds: 'x' } }) }
  ], {}), 'failed')
  await rejectsKind(t, store.multi([
    { operation: 'upsert', request: set('k1', 'new') },
    { operation: 'delete', request: { key: 'k2', metadata: {}, options: { concurrency: 'bad' } } }
  ], {}), 'failed')
  await rejectsKind(t, store.multi([
    { operation: 'delete', request: { key: 'k2', etag: 'stale', metadata: {} } }
  ], {}), 'etag-mismatch')
  t.equal((await store.get('k1', {}))?.data.toString(), '"old"', 'still nothing applied')

  await store.multi([
    { operation: 'upsert', request: set('k1', 'new', { etag: etag1, metadata: { ttlInSeconds: '60' } }) },
    { operation: 'delete', request: { key: 'k2', metadata: {} } },
    { operation: 'upsert', request: set('k3', [3]) }
  ], { ttlInSeconds: '5' })
  const k1 = await store.get('k1', {})
  t.equal(k1?.data.toString(), '"new"')
  t.ok(k1?.metadata?.ttlExpireTime, 'per-operation TTL applies')
  t.equal(await store.get('k2', {}), undefined)
  t.equal((await store.get('k3', {}))?.metadata, undefined, 'transaction-level metadata is not a TTL')
  await store.multi([], {})
})

t.test('the background sweep removes expired items; close stops it', async (t) => {
  const { store, clock } = setup(t, {}, { sweepIntervalMs: 5 })
  await store.init()
  await store.init()
  await store.set(set('k', 1, { metadata: { ttlInSeconds: '1' } }))
  await store.set(set('keep', 1))
  clock.ms += 1001
  for (let i = 0; i < 400 && store.size > 1; i++) await sleep(5)
  t.equal(store.size, 1, 'expired item swept without a read')
  await store.close()
  await store.close()
})

t.test('defaults to the real clock and a 1 s sweep', async (t) => {
  const store = createInMemoryStore({ name: 's', version: 'v1', metadata: {} })
  t.teardown(() => store.close())
  await store.init()
  await store.set(set('k', 1, { metadata: { ttlInSeconds: '100' } }))
  const expire = Date.parse((await store.get('k', {}))?.metadata?.ttlExpireTime as string)
  t.ok(expire > Date.now() + 90_000, 'expiry is about 100 s ahead')
})
