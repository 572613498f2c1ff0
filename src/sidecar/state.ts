// The Dapr state API over daprd's HTTP port (dapr-http-api.md §3): get, save, delete,
// bulk get, transactions, and an ETag-guarded read-modify-write.
import {
  SidecarEtagMismatchError,
  SidecarHttpError,
  SidecarInvalidResponseError,
  SidecarOptionError,
  type SidecarHttpErrorInit
} from './errors.js'
import { parseJsonBody, type RawResponse, type TraceContext, type Transport } from './transport.js'

export type Concurrency = 'first-write' | 'last-write'
export type Consistency = 'eventual' | 'strong'
/** Metadata values are sent as strings, as daprd requires (`map[string]string`). */
export type StateMetadata = Record<string, string | number | boolean>

export interface CallContext {
  signal?: AbortSignal | undefined
  traceContext?: TraceContext | undefined
  /** Deadline for this call, on top of the client's connect/headers/body timeouts. */
  timeoutMs?: number | undefined
}

/** One item to save. `value` is any JSON-serialisable value (a string is stored with its quotes). */
export interface SaveItem {
  key: string
  value: unknown
  /** Only write when the stored ETag still matches (else `SidecarEtagMismatchError`). */
  etag?: string | undefined
  concurrency?: Concurrency | undefined
  consistency?: Consistency | undefined
  metadata?: StateMetadata | undefined
  /** Expiry in seconds; sent as `metadata.ttlInSeconds`. */
  ttlInSeconds?: number | undefined
}

export interface DeleteItem {
  key: string
  etag?: string | undefined
  concurrency?: Concurrency | undefined
  consistency?: Consistency | undefined
  metadata?: StateMetadata | undefined
}

export interface StateEntry<T> {
  key: string
  value: T
  /** The store's ETag (Redis: a version number; in-memory: a UUID). */
  etag: string | undefined
  /** Response metadata from `metadata.*` headers, e.g. in-memory's `ttlExpireTime`. */
  metadata: Record<string, string>
}

export type BulkStateItem<T> =
  | { key: string, found: true, value: T, etag?: string | undefined, metadata?: Record<string, string> | undefined }
  | { key: string, found: false, error?: string | undefined }

export type TransactionOperation =
  | { operation: 'upsert', request: SaveItem }
  | { operation: 'delete', request: DeleteItem }

export interface GetOptions extends CallContext {
  consistency?: Consistency | undefined
  metadata?: StateMetadata | undefined
}

export interface SaveOptions extends CallContext {
  /** Sent as `?metadata.<k>=<v>`; daprd merges it into every item, URL values winning. */
  metadata?: StateMetadata | undefined
}

export interface DeleteOptions extends CallContext {
  etag?: string | undefined
  concurrency?: Concurrency | undefined
  consistency?: Consistency | undefined
  metadata?: StateMetadata | undefined
}

export interface BulkOptions extends CallContext {
  parallelism?: number | undefined
  metadata?: StateMetadata | undefined
}

export interface UpdateOptions extends CallContext {
  /** Reads and conditional writes to try before giving up; default 5. */
  maxAttempts?: number | undefined
}

export interface StateApi {
  /**
   * Reads one key; `undefined` when daprd answers 204 (missing or expired).
   * @example
   * const entry = await sidecar.state.get<Order>('statestore', 'order-42')
   * if (entry) render(entry.value, entry.etag)
   */
  get<T = unknown>(store: string, key: string, options?: GetOptions): Promise<StateEntry<T> | undefined>
  /**
   * Saves one item or several. Several items are not atomic in daprd: some may be stored
   * when others fail (use `transaction` for all-or-nothing on stores that support it).
   * @example
   * await sidecar.state.save('statestore', { key: 'order-42', value: { orderId: '42' }, ttlInSeconds: 3600 })
   */
  save(store: string, items: SaveItem | readonly SaveItem[], options?: SaveOptions): Promise<void>
  /**
   * Deletes a key; deleting a missing key without an ETag succeeds.
   * @example
   * await sidecar.state.delete('statestore', 'order-42', { etag: entry.etag })
   */
  delete(store: string, key: string, options?: DeleteOptions): Promise<void>
  /**
   * Reads several keys in one call; the result keeps the request order and says which are missing.
   * @example
   * const items = await sidecar.state.getBulk('statestore', ['a', 'b'])
   * const found = items.filter((i) => i.found)
   */
  getBulk<T = unknown>(store: string, keys: readonly string[], options?: BulkOptions): Promise<Array<BulkStateItem<T>>>
  /**
   * Applies upserts and deletes in one transaction. An ETag conflict inside a transaction is
   * reported by daprd as 500 `ERR_STATE_TRANSACTION`, like any other store failure, so it
   * throws `SidecarHttpError`, never `SidecarEtagMismatchError`. On Redis in cluster mode all
   * keys must share a hash slot.
   * @example
   * await sidecar.state.transaction('statestore', [
   *   { operation: 'upsert', request: { key: 'a', value: 1 } },
   *   { operation: 'delete', request: { key: 'b' } }
   * ])
   */
  transaction(store: string, operations: readonly TransactionOperation[], options?: SaveOptions): Promise<void>
  /**
   * Read-modify-write guarded by the ETag: reads the key, applies `fn`, writes back only if
   * nobody wrote in between, and retries on conflict up to `maxAttempts`. A missing key is
   * created with `first-write` concurrency, so two creators cannot both win; on Redis that
   * marks the key, and later writes to it must carry its ETag (as this helper's do).
   * @example
   * const { value } = await sidecar.state.update<number>('statestore', 'counter', (n) => (n ?? 0) + 100)
   */
  update<T>(store: string, key: string, fn: (current: T | undefined) => T, options?: UpdateOptions): Promise<{ value: T, attempts: number }>
}

export function createStateApi (transport: Transport): StateApi {
  async function get<T> (store: string, key: string, options: GetOptions = {}): Promise<StateEntry<T> | undefined> {
    const path = statePath(store, key)
    const info = { method: 'GET', path }
    const res = await transport.call({
      method: 'GET',
      path,
      query: queryString({ consistency: options.consistency }, options.metadata),
      idempotent: true,
      ...context(options)
    })
    if (res.statusCode === 204) return undefined
    if (res.statusCode !== 200) await transport.fail(res, info)
    const value = parseJsonBody(res, info) as T
    return { key, value, etag: header(res, 'etag'), metadata: responseMetadata(res) }
  }

  async function save (store: string, items: SaveItem | readonly SaveItem[], options: SaveOptions = {}): Promise<void> {
    const list = Array.isArray(items) ? items as readonly SaveItem[] : [items as SaveItem]
    const path = storePath(store)
    const body = serialise(list.map(wireSaveItem))
    const res = await transport.call({ method: 'POST', path, query: queryString({}, options.metadata), body, headers: JSON_HEADERS, ...context(options) })
    if (!isSuccess(res)) await transport.fail(res, { method: 'POST', path }, mismatchOn409)
  }

  async function remove (store: string, key: string, options: DeleteOptions = {}): Promise<void> {
    const path = statePath(store, key)
    const headers = options.etag ? { 'if-match': options.etag } : undefined
    const query = queryString({ concurrency: options.concurrency, consistency: options.consistency }, options.metadata)
    const res = await transport.call({ method: 'DELETE', path, query, headers, ...context(options) })
    if (!isSuccess(res)) await transport.fail(res, { method: 'DELETE', path }, mismatchOn409)
  }

  async function getBulk<T> (store: string, keys: readonly string[], options: BulkOptions = {}): Promise<Array<BulkStateItem<T>>> {
    for (const key of keys) requireName('key', key)
    const path = storePath(store) + '/bulk'
    const info = { method: 'POST', path }
    const body = serialise({ keys, parallelism: options.parallelism })
    const res = await transport.call({ method: 'POST', path, query: queryString({}, options.metadata), body, headers: JSON_HEADERS, idempotent: true, ...context(options) })
    if (res.statusCode !== 200) await transport.fail(res, info)
    const parsed = parseJsonBody(res, info)
    const { checkBulkGetResponse } = await import('./schemas.js')
    if (!checkBulkGetResponse(parsed)) throw new SidecarInvalidResponseError(info, 'the bulk response is not an array of { key, data?, etag? }')
    // daprd answers in request order; match by key anyway so a reordering proxy cannot mislabel values.
    const byKey = new Map<string, typeof parsed>()
    for (const item of parsed) {
      const queue = byKey.get(item.key)
      if (queue === undefined) byKey.set(item.key, [item])
      else queue.push(item)
    }
    return keys.map((key): BulkStateItem<T> => {
      const item = byKey.get(key)?.shift()
      if (item === undefined) throw new SidecarInvalidResponseError(info, `the bulk response has no entry for key ${JSON.stringify(key)}`)
      if (item.error !== undefined) return { key, found: false, error: item.error }
      if (!('data' in item)) return { key, found: false }
      return { key, found: true, value: item.data as T, etag: item.etag, metadata: item.metadata }
    })
  }

  async function transaction (store: string, operations: readonly TransactionOperation[], options: SaveOptions = {}): Promise<void> {
    const path = storePath(store) + '/transaction'
    const wire = operations.map((op) => {
      if (op.operation === 'upsert') return { operation: 'upsert', request: wireSaveItem(op.request) }
      if (op.operation === 'delete') return { operation: 'delete', request: wireDeleteItem(op.request) }
      throw new SidecarOptionError(`transaction operation must be "upsert" or "delete", got ${JSON.stringify((op as { operation: unknown }).operation)}`)
    })
    const body = serialise({ operations: wire })
    const res = await transport.call({ method: 'POST', path, query: queryString({}, options.metadata), body, headers: JSON_HEADERS, ...context(options) })
    if (!isSuccess(res)) await transport.fail(res, { method: 'POST', path })
  }

  async function update<T> (store: string, key: string, fn: (current: T | undefined) => T, options: UpdateOptions = {}): Promise<{ value: T, attempts: number }> {
    const maxAttempts = options.maxAttempts ?? 5
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new SidecarOptionError(`maxAttempts must be a positive integer, got ${maxAttempts}`)
    let lastConflict: SidecarHttpError | undefined
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const current = await get<T>(store, key, options)
      const value = fn(current?.value)
      try {
        if (current?.etag !== undefined) {
          await save(store, { key, value, etag: current.etag }, options)
        } else {
          await save(store, { key, value, concurrency: 'first-write' }, options)
        }
        return { value, attempts: attempt }
      } catch (err) {
        if (!isConflict(err, current === undefined)) throw err
        lastConflict = err
      }
    }
    const last = lastConflict as SidecarHttpError
    throw new SidecarEtagMismatchError({ ...last, daprMessage: `gave up on ${JSON.stringify(key)} after ${maxAttempts} conflicting attempts: ${last.daprMessage}` })
  }

  return { get, save, delete: remove, getBulk, transaction, update }
}

/**
 * A write lost a race. Creating with first-write fails differently per store: in-memory
 * answers 409, Redis 500 `ERR_STATE_SAVE` (`failed to set key`) once the key exists.
 */
function isConflict (err: unknown, creating: boolean): err is SidecarHttpError {
  if (err instanceof SidecarEtagMismatchError) return true
  return creating && err instanceof SidecarHttpError && err.statusCode === 500 && err.errorCode === 'ERR_STATE_SAVE'
}

const JSON_HEADERS = { 'content-type': 'application/json' }

function mismatchOn409 (init: SidecarHttpErrorInit): SidecarHttpError {
  return init.statusCode === 409 ? new SidecarEtagMismatchError(init) : new SidecarHttpError(init)
}

function isSuccess (res: RawResponse): boolean {
  return res.statusCode >= 200 && res.statusCode < 300
}

function context (options: CallContext): CallContext {
  return { signal: options.signal, traceContext: options.traceContext, timeoutMs: options.timeoutMs }
}

/** Store names and keys always percent-encoded: daprd query-unescapes them, so a raw `+` would become a space. */
export function storePath (store: string): string {
  return `/v1.0/state/${encodeURIComponent(requireName('store name', store))}`
}

function statePath (store: string, key: string): string {
  return `${storePath(store)}/${encodeURIComponent(requireName('key', key))}`
}

function requireName (what: string, value: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new SidecarOptionError(`${what} must be a non-empty string, got ${JSON.stringify(value)}`)
  return value
}

function wireSaveItem (item: SaveItem): Record<string, unknown> {
  requireName('key', item.key)
  if (item.value === undefined) throw new SidecarOptionError(`value of key ${JSON.stringify(item.key)} is undefined; save null explicitly if that is meant`)
  const metadata = stringMetadata(item.metadata)
  if (item.ttlInSeconds !== undefined) {
    if (!Number.isInteger(item.ttlInSeconds)) throw new SidecarOptionError(`ttlInSeconds of key ${JSON.stringify(item.key)} must be an integer, got ${item.ttlInSeconds}`)
    metadata.ttlInSeconds = String(item.ttlInSeconds)
  }
  return {
    key: item.key,
    value: item.value,
    etag: item.etag,
    metadata: Object.keys(metadata).length > 0 ? metadata : undefined,
    options: wireOptions(item)
  }
}

function wireDeleteItem (item: DeleteItem): Record<string, unknown> {
  requireName('key', item.key)
  const metadata = stringMetadata(item.metadata)
  return {
    key: item.key,
    etag: item.etag,
    metadata: Object.keys(metadata).length > 0 ? metadata : undefined,
    options: wireOptions(item)
  }
}

function wireOptions (item: { concurrency?: string | undefined, consistency?: string | undefined }): Record<string, string> | undefined {
  if (item.concurrency === undefined && item.consistency === undefined) return undefined
  return { concurrency: item.concurrency, consistency: item.consistency } as Record<string, string>
}

function stringMetadata (metadata: StateMetadata | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  if (metadata === undefined) return out
  for (const [k, v] of Object.entries(metadata)) out[k] = String(v)
  return out
}

function serialise (body: unknown): string {
  try {
    return JSON.stringify(body)
  } catch (err) {
    throw new SidecarOptionError(`the state value cannot be serialised as JSON: ${(err as Error).message}`)
  }
}

/** `a=1&metadata.k=v`, every part percent-encoded (never `+` for a space). */
export function queryString (params: Record<string, string | undefined>, metadata?: StateMetadata): string | undefined {
  const parts: string[] = []
  for (const [k, v] of Object.entries(params)) if (v !== undefined) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) parts.push(`metadata.${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
  }
  return parts.length > 0 ? parts.join('&') : undefined
}

function header (res: RawResponse, name: string): string | undefined {
  const value = res.headers[name]
  return Array.isArray(value) ? value[0] : value
}

// Go canonicalises `metadata.ttlExpireTime` to `Metadata.ttlexpiretime` on the wire, and
// undici lower-cases names, so the original case is lost; restore the one key daprd documents.
const KNOWN_METADATA: Record<string, string> = { ttlexpiretime: 'ttlExpireTime' }

function responseMetadata (res: RawResponse): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(res.headers)) {
    if (!name.startsWith('metadata.') || value === undefined) continue
    const key = name.slice('metadata.'.length)
    out[KNOWN_METADATA[key] ?? key] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}
