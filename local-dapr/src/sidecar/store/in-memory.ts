// `state.in-memory` as components-contrib implements it (dapr-http-api.md §5.2):
// UUID etags, etag rules that differ from Redis, TTL kept in process with a 1 s sweep,
// atomic transactions. Every method body runs synchronously after its first line, so
// each call is atomic with respect to the others without a lock.

import { randomUUID } from 'node:crypto'
import { checkRequestOptions, parseGoBool, readComponentMetadata, type StoreComponent } from './component.js'
import { goJsonMarshal } from './encode.js'
import {
  StoreError,
  type BulkGetItem,
  type DeleteRequest,
  type GetResponse,
  type SetRequest,
  type StateStore,
  type StoreFeature,
  type TransactionOperation
} from './types.js'

/** daprd reads these for every state store; the in-memory component itself has none. */
export const IN_MEMORY_METADATA_FIELDS = ['keyPrefix', 'actorStateStore'] as const

const FEATURES: readonly StoreFeature[] = Object.freeze(['ETAG', 'TRANSACTIONAL', 'TTL', 'DELETE_WITH_PREFIX', 'KEYS_LIKE'])
// `new Date()` accepts at most ±8.64e15 ms; a later expiry could not be formatted.
const MAX_DATE_MS = 8.64e15

export interface InMemoryStoreOptions {
  /** Clock in epoch milliseconds; tests pass a fake one. */
  now?: (() => number) | undefined
  /** Background sweep period, 1000 ms as in daprd. */
  sweepIntervalMs?: number | undefined
}

export interface InMemoryStore extends StateStore {
  /** Items held, expired ones included until the sweep or a read removes them. */
  readonly size: number
  /** `actorStateStore` metadata: daprd then lists the derived `ACTOR` capability. */
  readonly actorStateStore: boolean
}

interface Item {
  data: Buffer
  etag: string
  expireAt: number | undefined
}

type Options = SetRequest['options']

/**
 * Builds an in-memory state store for one component.
 *
 * @example
 * const store = createInMemoryStore({ name: 'statestore', version: 'v1', metadata: {} })
 * await store.init()
 * await store.set({ key: 'nodeapp||order', value: { id: 1 }, metadata: {} })
 * (await store.get('nodeapp||order', {}))?.data.toString() // '{"id":1}'
 */
export function createInMemoryStore (component: StoreComponent, options: InMemoryStoreOptions = {}): InMemoryStore {
  const fields = readComponentMetadata(component, IN_MEMORY_METADATA_FIELDS)
  const actorStateStore = fields.has('actorStateStore') && parseGoBool('actorStateStore', fields.get('actorStateStore') as string)
  const now = options.now ?? Date.now
  const sweepIntervalMs = options.sweepIntervalMs ?? 1000
  const items = new Map<string, Item>()
  let sweeper: NodeJS.Timeout | undefined

  const isExpired = (item: Item): boolean => item.expireAt !== undefined && now() > item.expireAt
  const live = (key: string): Item | undefined => {
    const item = items.get(key)
    return item === undefined || isExpired(item) ? undefined : item
  }
  const responseMetadata = (item: Item): Record<string, string> | undefined =>
    item.expireAt === undefined ? undefined : { ttlExpireTime: rfc3339Seconds(item.expireAt) }

  // doValidateEtag: an etag is checked whatever the concurrency; first-write without
  // an etag only refuses an existing key.
  function validateEtag (key: string, etag: string | undefined, options: Options): void {
    const hasEtag = etag !== undefined && etag !== ''
    const item = live(key)
    if (!hasEtag) {
      if (options?.concurrency === 'first-write' && item !== undefined) {
        throw new StoreError('etag-mismatch', 'item already exists and no etag was passed')
      }
      return
    }
    if (item === undefined) throw new StoreError('etag-mismatch', `state not exist or expired for key=${key}`)
    if (item.etag !== etag) {
      throw new StoreError('etag-mismatch', `state etag not match for key=${key}: current=${item.etag}, expect=${etag}`)
    }
  }

  function prepareSet (request: SetRequest): () => void {
    checkRequestOptions(request.options)
    const ttl = parseTtl(request.metadata, now())
    const data = goJsonMarshal(request.value)
    validateEtag(request.key, request.etag, request.options)
    return () => {
      items.set(request.key, { data, etag: randomUUID(), expireAt: ttl > 0 ? now() + ttl * 1000 : undefined })
    }
  }

  function prepareDelete (request: DeleteRequest): () => void {
    checkRequestOptions(request.options)
    validateEtag(request.key, request.etag, request.options)
    return () => { items.delete(request.key) }
  }

  function sweep (): void {
    for (const [key, item] of items) if (isExpired(item)) items.delete(key)
  }

  return {
    name: component.name,
    type: 'state.in-memory',
    version: component.version,
    features: FEATURES,
    keyPrefix: fields.get('keyPrefix')?.toLowerCase(),
    actorStateStore,
    get size () { return items.size },

    async init () {
      if (sweeper === undefined) sweeper = setInterval(sweep, sweepIntervalMs).unref()
    },

    async get (key) {
      const item = items.get(key)
      if (item === undefined) return undefined
      if (isExpired(item)) {
        items.delete(key)
        return undefined
      }
      const response: GetResponse = { data: item.data, etag: item.etag }
      const metadata = responseMetadata(item)
      if (metadata !== undefined) response.metadata = metadata
      return response
    },

    async set (request) {
      prepareSet(request)()
    },

    async delete (request) {
      prepareDelete(request)()
    },

    async bulkGet (keys) {
      return keys.map((key): BulkGetItem => {
        const item = live(key)
        if (item === undefined) return { key }
        const out: BulkGetItem = { key, data: item.data, etag: item.etag }
        const metadata = responseMetadata(item)
        if (metadata !== undefined) out.metadata = metadata
        return out
      })
    },

    // Atomic: every operation is validated against the state before the transaction
    // (options, TTL, encoding, etag) and only then are all of them applied.
    async multi (operations: readonly TransactionOperation[]) {
      const apply = operations.map((op) => op.operation === 'upsert' ? prepareSet(op.request) : prepareDelete(op.request))
      for (const fn of apply) fn()
    },

    async ping () {},

    async close () {
      clearInterval(sweeper)
      sweeper = undefined
    }
  }
}

// `strconv.Atoi`; a negative TTL means no expiry. Returns whole seconds, 0 = none.
function parseTtl (metadata: Record<string, string>, nowMs: number): number {
  const raw = metadata.ttlInSeconds
  if (raw === undefined || raw === '') return 0
  if (!/^[+-]?\d+$/.test(raw)) throw new StoreError('failed', `strconv.Atoi: parsing ${JSON.stringify(raw)}: invalid syntax`)
  const seconds = Number(raw)
  if (seconds > 0 && nowMs + seconds * 1000 > MAX_DATE_MS) {
    throw new StoreError('failed', `strconv.Atoi: parsing ${JSON.stringify(raw)}: value out of range`)
  }
  return Math.max(seconds, 0)
}

/** Go's `t.UTC().Format(time.RFC3339)`: second precision, fraction truncated. */
function rfc3339Seconds (ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}
