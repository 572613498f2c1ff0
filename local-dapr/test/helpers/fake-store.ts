// A tiny StateStore for unit tests of the HTTP layer: in-memory-like etag rules,
// plus switches to make any call fail with a chosen StoreError kind.
import { randomUUID } from 'node:crypto'
import { StoreError, type StateStore, type StoreFeature, type SetRequest, type DeleteRequest, type TransactionOperation, type StoreErrorKind } from '../../src/sidecar/store/types.js'

export interface FakeStore extends StateStore {
  data: Map<string, { data: Buffer, etag: string }>
  calls: Array<{ op: string, arg: unknown, metadata?: unknown }>
  failNext: { op: string, kind: StoreErrorKind | 'plain', message: string } | undefined
  pingOk: boolean
}

export function fakeStore (name = 'S', opts: { features?: StoreFeature[], keyPrefix?: string, type?: 'state.in-memory' | 'state.redis' } = {}): FakeStore {
  const store: FakeStore = {
    name,
    type: opts.type ?? 'state.in-memory',
    version: 'v1',
    features: opts.features ?? ['ETAG', 'TRANSACTIONAL', 'TTL'],
    keyPrefix: opts.keyPrefix,
    data: new Map(),
    calls: [],
    failNext: undefined,
    pingOk: true,
    async init () {},
    async get (key, metadata) {
      maybeFail('get')
      store.calls.push({ op: 'get', arg: key, metadata })
      const v = store.data.get(key)
      if (v && key.endsWith('||plain')) return { data: v.data }
      return v ? { data: v.data, etag: v.etag, metadata: { ttlExpireTime: '2030-01-01T00:00:00Z' } } : undefined
    },
    async set (req: SetRequest) {
      maybeFail('set')
      store.calls.push({ op: 'set', arg: req })
      check(req.key, req.etag)
      store.data.set(req.key, { data: Buffer.from(JSON.stringify(req.value)), etag: randomUUID() })
    },
    async delete (req: DeleteRequest) {
      maybeFail('delete')
      store.calls.push({ op: 'delete', arg: req })
      check(req.key, req.etag)
      store.data.delete(req.key)
    },
    async bulkGet (keys, metadata, parallelism) {
      maybeFail('bulkGet')
      store.calls.push({ op: 'bulkGet', arg: { keys, parallelism }, metadata })
      return keys.map((key) => {
        if (key.endsWith('||broken')) return { key, error: 'broken item' }
        if (key.endsWith('||empty')) return { key, data: Buffer.alloc(0) }
        if (key.endsWith('||badjson')) return { key, data: Buffer.from('{bad'), etag: '1' }
        const v = store.data.get(key)
        return v ? { key, data: v.data, etag: v.etag, metadata: key.endsWith('||meta') ? { b: '2', a: '1' } : {} as Record<string, string> } : { key }
      })
    },
    async multi (ops: readonly TransactionOperation[], metadata) {
      maybeFail('multi')
      store.calls.push({ op: 'multi', arg: ops, metadata })
      for (const op of ops) check(op.request.key, op.request.etag)
      for (const op of ops) {
        if (op.operation === 'upsert') store.data.set(op.request.key, { data: Buffer.from(JSON.stringify(op.request.value)), etag: randomUUID() })
        else store.data.delete(op.request.key)
      }
    },
    async ping () { if (!store.pingOk) throw new StoreError('unavailable', 'down') },
    async close () {}
  }
  function maybeFail (op: string): void {
    const f = store.failNext
    if (f && f.op === op) {
      store.failNext = undefined
      throw f.kind === 'plain' ? new Error(f.message) : new StoreError(f.kind, f.message)
    }
  }
  function check (key: string, etag: string | undefined): void {
    if (etag === undefined || etag === '') return
    const cur = store.data.get(key)
    if (!cur) throw new StoreError('etag-mismatch', `state not exist or expired for key=${key}`)
    if (etag === 'invalid') throw new StoreError('etag-invalid', 'strconv.Atoi: parsing "invalid": invalid syntax')
    if (cur.etag !== etag) throw new StoreError('etag-mismatch', `state etag not match for key=${key}: current=${cur.etag}, expect=${etag}`)
  }
  return store
}
