// The contract between the local sidecar's HTTP layer (src/sidecar/http/*)
// and its state store components (src/sidecar/store/*).
//
// It mirrors components-contrib's `state.Store` as daprd calls it: the HTTP layer has
// already resolved the store, validated the request, prefixed the key (`nodeapp||k`,
// see dapr-http-api.md §3.1) and merged URL `metadata.*` into each request.
// Stores own what differs between Redis and in-memory (§5): ETag rules, TTL, encoding,
// transaction atomicity.

/** Capability names as `/v1.0/metadata` lists them (without the derived `ACTOR`). */
export type StoreFeature = 'ETAG' | 'TRANSACTIONAL' | 'TTL' | 'DELETE_WITH_PREFIX' | 'KEYS_LIKE' | 'QUERY_API'

export interface SetRequest {
  /** Full key, already prefixed (`<appId>||<key>`). */
  key: string
  /** The decoded JSON value (`JSON.parse` of the request item's `value`); `null` when omitted. */
  value: unknown
  /** Empty string and undefined both mean "no etag". */
  etag?: string | undefined
  metadata: Record<string, string>
  options?: { concurrency?: string | undefined, consistency?: string | undefined } | undefined
}

export interface DeleteRequest {
  key: string
  etag?: string | undefined
  metadata: Record<string, string>
  options?: { concurrency?: string | undefined, consistency?: string | undefined } | undefined
}

export interface GetResponse {
  /** The stored bytes, returned verbatim as the GET body. */
  data: Buffer
  etag?: string | undefined
  /** Response metadata, sent back as `metadata.<k>` headers (e.g. in-memory `ttlExpireTime`). */
  metadata?: Record<string, string> | undefined
}

export interface BulkGetItem {
  /** Full (prefixed) key; the HTTP layer strips the prefix. */
  key: string
  data?: Buffer | undefined
  etag?: string | undefined
  metadata?: Record<string, string> | undefined
  error?: string | undefined
}

export type TransactionOperation =
  | { operation: 'upsert', request: SetRequest }
  | { operation: 'delete', request: DeleteRequest }

/**
 * Why a store call failed. The HTTP layer maps it to daprd's status:
 * - `etag-mismatch` → 409 on save/delete (`possible etag mismatch. error from state store: <message>`)
 * - `etag-invalid`  → 400 on save/delete (`invalid etag value: <message>`)
 * - `failed`        → 500 (`ERR_STATE_SAVE`, `ERR_STATE_DELETE`, `ERR_STATE_GET`, ...)
 * - `unavailable`   → 500 as `failed`, but tells health checks the backend is down.
 * Inside a transaction, every kind becomes 500 ERR_STATE_TRANSACTION.
 */
export type StoreErrorKind = 'etag-mismatch' | 'etag-invalid' | 'failed' | 'unavailable'

export class StoreError extends Error {
  readonly kind: StoreErrorKind
  constructor (kind: StoreErrorKind, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'StoreError'
    this.kind = kind
  }
}

export interface StateStore {
  /** Component name from the YAML (`metadata.name`). */
  readonly name: string
  /** Component type, e.g. `state.redis`. */
  readonly type: 'state.in-memory' | 'state.redis'
  /** Component version, e.g. `v1`. */
  readonly version: string
  readonly features: readonly StoreFeature[]
  /** The component's `keyPrefix` metadata, lower-cased, or undefined (= appid). */
  readonly keyPrefix: string | undefined
  /** Connects (Redis) and fails with a message naming the component when it cannot. */
  init (): Promise<void>
  /** Undefined when the key is missing or expired (daprd answers 204). */
  get (key: string, metadata: Record<string, string>): Promise<GetResponse | undefined>
  set (request: SetRequest): Promise<void>
  delete (request: DeleteRequest): Promise<void>
  /** One entry per key, in request order; a missing key is `{ key }` only. */
  bulkGet (keys: readonly string[], metadata: Record<string, string>, parallelism?: number): Promise<BulkGetItem[]>
  multi (operations: readonly TransactionOperation[], metadata: Record<string, string>): Promise<void>
  /** Resolves when the backend answers (Redis PING); used by health reporting. */
  ping (): Promise<void>
  close (): Promise<void>
}
