// `state.redis` with daprd's storage layout (dapr-http-api.md §5.1): one hash per key with
// `data`, `version` (the ETag) and an optional `first-write` flag, written by the same Lua
// scripts as components-contrib, so a real daprd and this sidecar can share one Redis.
// Commands fail fast while Redis is down (no offline queue, bounded command timeout) and
// surface as `unavailable`; the client keeps reconnecting in the background.

import { Cluster, Redis, ReplyError, type ClusterOptions, type RedisOptions } from 'ioredis'
import type { ConnectionOptions } from 'node:tls'
import {
  checkRequestOptions,
  ComponentMetadataError,
  parseGoBool,
  parseGoDuration,
  parseGoInt,
  readComponentMetadata,
  type StoreComponent
} from './component.js'
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

// components-contrib's setDefaultQuery / delDefaultQuery, statement for statement (indentation aside).
export const SET_SCRIPT = `
  local etag = redis.pcall("HGET", KEYS[1], "version");
  if type(etag) == "table" then
    redis.call("DEL", KEYS[1]);
  end;
  local fwr = redis.pcall("HGET", KEYS[1], "first-write");
  if not etag or type(etag)=="table" or etag == "" or etag == ARGV[1] or (not fwr and ARGV[1] == "0") then
    redis.call("HSET", KEYS[1], "data", ARGV[2]);
    if ARGV[3] == "0" then
      redis.call("HSET", KEYS[1], "first-write", 0);
    end;
    return redis.call("HINCRBY", KEYS[1], "version", 1)
  else
    return error("failed to set key " .. KEYS[1])
  end`
export const DELETE_SCRIPT = `
  local etag = redis.pcall("HGET", KEYS[1], "version");
  if not etag or type(etag)=="table" or etag == ARGV[1] or etag == "" or ARGV[1] == "0" then
    return redis.call("DEL", KEYS[1])
  else
    return error("failed to delete " .. KEYS[1])
  end`

export const REDIS_METADATA_FIELDS = [
  'redisHost', 'redisPort', 'redisPassword', 'redisUsername', 'redisDB', 'redisType', 'enableTLS',
  'insecureSkipTLSVerify', 'ttlInSeconds', 'dialTimeout', 'readTimeout', 'writeTimeout',
  'redisMaxRetries', 'maxRetries', 'redisMinRetryInterval', 'redisMaxRetryInterval',
  'keyPrefix', 'actorStateStore'
] as const

const FEATURES: readonly StoreFeature[] = Object.freeze(['ETAG', 'TRANSACTIONAL', 'TTL', 'KEYS_LIKE'])
const INT64 = /^[+-]?\d+$/
const INT64_MAX = 2n ** 63n - 1n

/** The connection settings a component's metadata resolves to (go-redis defaults). */
export interface RedisSettings {
  type: 'node' | 'cluster'
  nodes: Array<{ host: string, port: number }>
  /** `host:port[,host:port]` for messages. */
  address: string
  username: string | undefined
  password: string | undefined
  db: number
  tls: ConnectionOptions | undefined
  /** Component-level default TTL; undefined = none. */
  ttlInSeconds: number | undefined
  /** 0 = no connect timeout. */
  connectTimeoutMs: number
  /** Undefined when read or write timeout is disabled (-1). */
  commandTimeoutMs: number | undefined
  maxRetriesPerRequest: number
  minRetryIntervalMs: number
  maxRetryIntervalMs: number
  keyPrefix: string | undefined
  actorStateStore: boolean
}

/** Minimal logger shape (pino's `Logger` fits). */
export interface StoreLogger {
  info: (obj: object, msg: string) => void
  warn: (obj: object, msg: string) => void
}

export interface RedisStoreOptions {
  logger?: StoreLogger | undefined
}

export interface RedisStore extends StateStore {
  readonly settings: RedisSettings
  readonly actorStateStore: boolean
  /** The ioredis client, for tests and diagnostics. */
  readonly client: Redis | Cluster
}

/**
 * Reads and checks a `state.redis` component's metadata. Throws ComponentMetadataError
 * naming the field.
 */
export function parseRedisSettings (component: StoreComponent): RedisSettings {
  const m = readComponentMetadata(component, REDIS_METADATA_FIELDS)
  const int = (f: string): number | undefined => { const v = m.get(f); return v === undefined || v === '' ? undefined : parseGoInt(f, v) }
  const bool = (f: string): boolean => { const v = m.get(f); return v === undefined || v === '' ? false : parseGoBool(f, v) }
  const ms = (f: string): number | undefined => { const v = m.get(f); return v === undefined || v === '' ? undefined : parseGoDuration(f, v) }

  const type = (m.get('redisType') ?? 'node').toLowerCase() || 'node'
  if (type !== 'node' && type !== 'cluster') {
    throw new ComponentMetadataError('redisType', `metadata field 'redisType': '${type}' is not supported (node, cluster)`)
  }
  const hostValue = m.get('redisHost') ?? ''
  if (hostValue === '') throw new ComponentMetadataError('redisHost', "metadata field 'redisHost' is required")
  const defaultPort = int('redisPort') ?? 6379
  const nodes = hostValue.split(',').map((h) => parseHostPort(h.trim(), defaultPort))
  if (type === 'node' && nodes.length > 1) {
    throw new ComponentMetadataError('redisHost', "metadata field 'redisHost': several hosts need redisType 'cluster' (failover/sentinel is not emulated)")
  }
  const tls = bool('enableTLS') ? { rejectUnauthorized: !bool('insecureSkipTLSVerify') } : undefined

  const read = positiveOr(ms('readTimeout'), 3000)
  const write = positiveOr(ms('writeTimeout'), read)
  const dial = positiveOr(ms('dialTimeout'), 5000)
  const maxRetries = int('redisMaxRetries') ?? int('maxRetries') ?? 3
  return {
    type,
    nodes,
    address: nodes.map((n) => `${n.host}:${n.port}`).join(','),
    username: emptyToUndefined(m.get('redisUsername')),
    password: emptyToUndefined(m.get('redisPassword')),
    db: int('redisDB') ?? 0,
    tls,
    ttlInSeconds: int('ttlInSeconds'),
    connectTimeoutMs: Math.max(dial, 0),
    commandTimeoutMs: read < 0 || write < 0 ? undefined : Math.max(read, write),
    maxRetriesPerRequest: Math.max(maxRetries, 0),
    minRetryIntervalMs: Math.max(positiveOr(ms('redisMinRetryInterval'), 8), 0),
    maxRetryIntervalMs: Math.max(positiveOr(ms('redisMaxRetryInterval'), 512), 0),
    keyPrefix: m.get('keyPrefix')?.toLowerCase(),
    actorStateStore: bool('actorStateStore')
  }
}

// go-redis: 0 (or absent) means the default, a negative value disables.
function positiveOr (value: number | undefined, fallback: number): number {
  return value === undefined || value === 0 ? fallback : value
}

function emptyToUndefined (v: string | undefined): string | undefined {
  return v === '' ? undefined : v
}

function parseHostPort (value: string, defaultPort: number): { host: string, port: number } {
  const match = /^(.*):(\d+)$/.exec(value)
  const host = (match?.[1] ?? value).replace(/^\[(.*)\]$/, '$1')
  if (host === '') throw new ComponentMetadataError('redisHost', `metadata field 'redisHost': no host in '${value}'`)
  return { host, port: match?.[2] === undefined ? defaultPort : Number(match[2]) }
}

/**
 * Builds a Redis state store; nothing connects until `init()`.
 *
 * @example
 * const store = createRedisStore({ name: 'statestore', version: 'v1', metadata: { redisHost: 'localhost:6379' } })
 * await store.init() // throws naming the component and host when Redis is not there
 * await store.set({ key: 'nodeapp||order', value: { id: 1 }, metadata: {} }) // HSET data, HINCRBY version
 */
export function createRedisStore (component: StoreComponent, options: RedisStoreOptions = {}): RedisStore {
  const settings = parseRedisSettings(component)
  const logger = options.logger
  const client = buildClient(settings)
  const label = `state store ${component.name} (state.redis)`
  const defaultTtl = settings.ttlInSeconds === undefined ? undefined : BigInt(settings.ttlInSeconds)

  // ioredis prints unhandled 'error' events itself; log only the transitions instead of
  // every failed reconnect attempt.
  let lastError: Error | undefined
  let connected = false
  client.on('error', (err: Error) => {
    lastError = err
    if (connected) logger?.warn({ err, store: component.name, address: settings.address }, 'redis connection lost')
    connected = false
  })
  client.on('ready', () => {
    if (lastError !== undefined) logger?.info({ store: component.name, address: settings.address }, 'redis connection ready')
    connected = true
  })

  const unavailable = (err: unknown): StoreError =>
    new StoreError('unavailable', `redis at ${settings.address} is unavailable: ${(err as Error).message}`, { cause: err })
  const isReply = (err: unknown): boolean => err instanceof (ReplyError as typeof Error)
  // A reply error means Redis answered; anything else (closed stream, timeout) means it did not.
  const failedOr = (err: unknown, message: string): StoreError =>
    isReply(err) ? new StoreError('failed', message, { cause: err }) : unavailable(err)

  async function get (key: string): Promise<GetResponse | undefined> {
    let fields: Record<string, Buffer>
    try {
      fields = await client.hgetallBuffer(key)
    } catch (err) {
      if (!isReply(err)) throw unavailable(err)
      return await directGet(key)
    }
    if (Object.keys(fields).length === 0) return undefined
    const { data, version } = fields
    if (data === undefined || version === undefined) {
      throw new StoreError('failed', "required hash field 'data' or 'version' was not found")
    }
    return { data, etag: version.toString('utf8') }
  }

  // daprd falls back to GET when HGETALL fails, e.g. WRONGTYPE for a plain string key.
  async function directGet (key: string): Promise<GetResponse | undefined> {
    let value: Buffer | null
    try {
      value = await client.getBuffer(key)
    } catch (err) {
      throw failedOr(err, (err as Error).message)
    }
    return value === null ? undefined : { data: value }
  }

  async function set (request: SetRequest): Promise<void> {
    checkRequestOptions(request.options)
    const version = parseEtag(request)
    const ttl = parseTtl(request.metadata) ?? defaultTtl
    const firstWrite = request.options?.concurrency === 'first-write' ? 0 : 1
    try {
      await client.eval(SET_SCRIPT, 1, request.key, version, encodeValue(request.value), firstWrite)
    } catch (err) {
      if (isReply(err) && hasEtag(request.etag)) throw new StoreError('etag-mismatch', (err as Error).message, { cause: err })
      throw failedOr(err, `failed to set key ${request.key}: ${(err as Error).message}`)
    }
    if (ttl === undefined) return
    try {
      await (ttl > 0n ? client.expire(request.key, ttl.toString()) : client.persist(request.key))
    } catch (err) {
      throw failedOr(err, `failed to set key ${request.key} ttl: ${(err as Error).message}`)
    }
  }

  async function del (request: DeleteRequest): Promise<void> {
    checkRequestOptions(request.options)
    try {
      await client.eval(DELETE_SCRIPT, 1, request.key, hasEtag(request.etag) ? request.etag : '0')
    } catch (err) {
      // daprd reports every script error as an etag mismatch; a Redis outage is kept apart.
      if (!isReply(err)) throw unavailable(err)
      throw new StoreError('etag-mismatch', (err as Error).message, { cause: err })
    }
  }

  async function bulkGetOne (key: string): Promise<BulkGetItem> {
    try {
      const r = await get(key)
      return r === undefined ? { key } : { key, data: r.data, etag: r.etag }
    } catch (err) {
      return { key, error: (err as Error).message }
    }
  }

  return {
    name: component.name,
    type: 'state.redis',
    version: component.version,
    features: FEATURES,
    keyPrefix: settings.keyPrefix,
    actorStateStore: settings.actorStateStore,
    settings,
    client,

    async init () {
      // Bounded even when a server accepts the connection and never answers.
      const limitMs = (settings.connectTimeoutMs || 5000) + (settings.commandTimeoutMs ?? 3000)
      let timer: NodeJS.Timeout | undefined
      try {
        await Promise.race([
          client.connect(),
          new Promise((_resolve, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${limitMs} ms`)), limitMs)
          })
        ])
      } catch (err) {
        client.disconnect()
        const reason = lastError ?? (err as Error)
        throw new StoreError('unavailable', `${label}: error connecting to redis at ${settings.address}: ${reason.message}`, { cause: reason })
      } finally {
        clearTimeout(timer)
      }
    },

    get: async (key) => await get(key),
    set,
    delete: del,

    // daprd's default bulk get: one GET per key, at most `parallelism` at a time; a
    // failed key carries its error and the call as a whole succeeds.
    async bulkGet (keys, _metadata, parallelism) {
      const out = new Array<BulkGetItem>(keys.length)
      let next = 0
      const worker = async (): Promise<void> => {
        for (let i = next++; i < keys.length; i = next++) out[i] = await bulkGetOne(keys[i] as string)
      }
      const width = parallelism !== undefined && parallelism > 0 ? Math.min(parallelism, keys.length) : keys.length
      await Promise.all(Array.from({ length: width }, worker))
      return out
    },

    // MULTI/EXEC with the same scripts. As in daprd: no option check, the SET script gets
    // no first-write argument, and a failing operation does not undo the others.
    async multi (operations: readonly TransactionOperation[]) {
      if (operations.length === 0) return
      const tx = client.multi()
      for (const op of operations) {
        if (op.operation === 'upsert') {
          const req = op.request
          const version = parseEtag(req)
          const ttl = parseTtl(req.metadata) ?? defaultTtl
          tx.eval(SET_SCRIPT, 1, req.key, version, encodeValue(req.value))
          if (ttl !== undefined) {
            if (ttl > 0n) tx.expire(req.key, ttl.toString())
            else tx.persist(req.key)
          }
        } else {
          tx.eval(DELETE_SCRIPT, 1, op.request.key, hasEtag(op.request.etag) ? op.request.etag : '0')
        }
      }
      let results: Array<[Error | null, unknown]> | null
      try {
        results = await tx.exec()
      } catch (err) {
        throw failedOr(err, (err as Error).message)
      }
      // exec() resolves null only when a WATCHed key changed; no WATCH is used here.
      const failed = (results as Array<[Error | null, unknown]>).find(([err]) => err !== null)
      if (failed !== undefined) throw new StoreError('failed', (failed[0] as Error).message, { cause: failed[0] })
    },

    async ping () {
      try {
        await client.ping()
      } catch (err) {
        throw unavailable(err)
      }
    },

    async close () {
      client.disconnect()
    }
  }
}

function buildClient (s: RedisSettings): Redis | Cluster {
  const common = {
    username: s.username,
    password: s.password,
    connectTimeout: s.connectTimeoutMs,
    commandTimeout: s.commandTimeoutMs,
    maxRetriesPerRequest: s.maxRetriesPerRequest
  } satisfies RedisOptions
  // Reconnect forever with exponential backoff between the min and max retry intervals.
  const backoff = (times: number): number => Math.min(s.minRetryIntervalMs * 2 ** (times - 1), s.maxRetryIntervalMs)
  if (s.type === 'cluster') {
    const options: ClusterOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: backoff,
      // ElastiCache with TLS: keep the configured host name for SNI and certificate checks.
      dnsLookup: (address, callback) => { callback(null, address) },
      redisOptions: { ...common, ...(s.tls === undefined ? {} : { tls: s.tls }) }
    }
    return new Cluster(s.nodes, options)
  }
  const node = s.nodes[0] as { host: string, port: number }
  return new Redis({
    ...common,
    host: node.host,
    port: node.port,
    db: s.db,
    ...(s.tls === undefined ? {} : { tls: { ...s.tls, servername: node.host } }),
    lazyConnect: true,
    enableOfflineQueue: false,
    retryStrategy: backoff
  })
}

function hasEtag (etag: string | undefined): etag is string {
  return etag !== undefined && etag !== ''
}

// daprd's json-iterator keeps the decoded map's (random) key order and does not escape
// HTML; JSON.stringify keeps the received order. Floats are not rounded to 6 digits.
function encodeValue (value: unknown): string {
  return JSON.stringify(value ?? null)
}

// parseETag: last-write ignores the etag; otherwise strconv.Atoi, else ETagInvalid (400).
function parseEtag (request: SetRequest): string {
  if (request.options?.concurrency === 'last-write' || !hasEtag(request.etag)) return '0'
  const etag = request.etag
  const problem = int64Problem(etag)
  if (problem !== undefined) throw new StoreError('etag-invalid', `strconv.Atoi: parsing ${JSON.stringify(etag)}: ${problem}`)
  return BigInt(etag).toString()
}

// strconv.ParseInt(v, 10, 64); Redis itself refuses an EXPIRE it cannot represent.
function parseTtl (metadata: Record<string, string>): bigint | undefined {
  const raw = metadata.ttlInSeconds
  if (raw === undefined || raw === '') return undefined
  const problem = int64Problem(raw)
  if (problem !== undefined) {
    throw new StoreError('failed', `failed to parse ttl from metadata: incorrect value for metadata 'ttlInSeconds': strconv.ParseInt: parsing ${JSON.stringify(raw)}: ${problem}`)
  }
  return BigInt(raw)
}

function int64Problem (value: string): string | undefined {
  if (!INT64.test(value)) return 'invalid syntax'
  const n = BigInt(value)
  return n > INT64_MAX || n < -INT64_MAX - 1n ? 'value out of range' : undefined
}
