// The state API (dapr-http-api.md §3): store lookup, key prefixing, request decoding and
// daprd's exact status codes. What differs between Redis and in-memory lives in the stores.
// Every store call runs under the component's outbound resiliency policy, as in daprd.
import pino, { type Logger } from 'pino'
import { PolicyPanicError, type ResiliencyProvider } from '../resiliency/provider.js'
import { PermanentError, runPolicy } from '../resiliency/runner.js'
import { StoreError, type BulkGetItem, type StateStore, type TransactionOperation } from '../store/types.js'
import type { ApiRequest } from './context.js'
import { metadataFromQuery, readBody } from './context.js'
import { DaprError, errors, sendEmpty, sendError, sendJson } from './errors.js'
import { goJson } from './go-compat.js'
import { DecodeError, decodeItem, field, goTypeName, isObject, parseJson, stringMapField } from './json-decode.js'

export interface StateApiOptions {
  appId: string
  /** The `NAMESPACE` env value used by `keyPrefix: namespace` ('' when unset). */
  keyNamespace: string
  stores: ReadonlyMap<string, StateStore>
  /** Resiliency policies for the stores (`targets.components.<name>.outbound`); none when absent. */
  resiliency?: ResiliencyProvider | undefined
  logger?: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'> | undefined
}

const quiet = pino({ level: 'silent' })

/** Runs one store operation under the store's outbound policy (timeout, retries, breaker). */
async function outbound<T> (ctx: ApiRequest, opts: StateApiOptions, store: StateStore, op: () => Promise<T>): Promise<T> {
  const logger = opts.logger ?? quiet
  let def
  try {
    def = opts.resiliency?.componentOutboundPolicy(store.name, 'Statestore')
  } catch (err) {
    logger.error({ err, store: store.name }, `http: panic serving ${ctx.method} ${ctx.rawPath}: ${(err as Error).message}`)
    throw err
  }
  const ac = new AbortController()
  if (def !== undefined) ctx.res.once('close', () => ac.abort())
  return await runPolicy(def, () => op(), { logger, signal: ac.signal })
}

/** Errors of a save: an etag error is final; anything else may be retried. */
function permanentIfEtag (err: unknown): unknown {
  return err instanceof StoreError && (err.kind === 'etag-mismatch' || err.kind === 'etag-invalid') ? new PermanentError(err) : err
}

/** A policy panic passes through untouched; any other failure becomes daprd's API error. */
function panicOr (err: unknown, apiError: () => DaprError): unknown {
  return err instanceof PolicyPanicError ? err : apiError()
}

class BulkSaveError extends Error {
  constructor (readonly failures: Array<{ status: number, text: string }>) {
    super(failures.map((f) => f.text).join('\n'))
  }
}

/** `GetModifiedStateKey` (§3.1); throws the illegal-key error for `||`. */
export function modifiedKey (key: string, store: StateStore, opts: StateApiOptions): string {
  if (key.includes('||')) throw errors.illegalKey(store.name, key)
  const strategy = store.keyPrefix ?? 'appid'
  let prefix: string
  switch (strategy) {
    case 'appid': prefix = opts.appId; break
    case 'name': prefix = store.name; break
    case 'namespace': prefix = opts.keyNamespace ? `${opts.keyNamespace}.${opts.appId}` : opts.appId; break
    case 'none': prefix = ''; break
    default: prefix = strategy
  }
  if (prefix.includes('||')) throw errors.illegalKey(store.name, prefix)
  return prefix === '' ? key : `${prefix}||${key}`
}

/** `GetOriginalStateKey`: the part after the first `||`. */
export function originalKey (key: string): string {
  const i = key.indexOf('||')
  return i < 0 ? key : key.slice(i + 2)
}

function lookup (ctx: ApiRequest, opts: StateApiOptions): StateStore {
  const name = ctx.params[0] as string
  if (opts.stores.size === 0) throw errors.storeNotConfigured(name, opts.appId)
  const store = opts.stores.get(name)
  if (!store) throw errors.storeNotFound(name, opts.appId)
  return store
}

function storeErrorText (err: unknown): { status: number, text: string } {
  if (err instanceof StoreError) {
    if (err.kind === 'etag-mismatch') return { status: 409, text: `possible etag mismatch. error from state store: ${err.message}` }
    if (err.kind === 'etag-invalid') return { status: 400, text: `invalid etag value: ${err.message}` }
  }
  return { status: 500, text: (err as Error).message }
}

async function body (ctx: ApiRequest, wrap: (msg: string) => DaprError): Promise<unknown> {
  try {
    return parseJson(await readBody(ctx.req))
  } catch (err) {
    throw wrap((err as Error).message)
  }
}

async function getState (ctx: ApiRequest, opts: StateApiOptions): Promise<void> {
  const store = lookup(ctx, opts)
  const key = ctx.params[1] as string
  const full = modifiedKey(key, store, opts)
  let found
  try {
    const meta = metadataFromQuery(ctx.query)
    found = await outbound(ctx, opts, store, () => store.get(full, meta))
  } catch (err) {
    throw panicOr(err, () => errors.stateGet(key, store.name, (err as Error).message))
  }
  if (!found) return sendEmpty(ctx.res)
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': found.data.length }
  if (found.etag !== undefined) headers.Etag = found.etag
  // Go canonicalises `metadata.ttlExpireTime` to `Metadata.ttlexpiretime` on the wire.
  for (const [k, v] of Object.entries(found.metadata ?? {})) headers[`Metadata.${k.toLowerCase()}`] = v
  ctx.res.writeHead(200, headers)
  ctx.res.end(found.data)
}

async function saveState (ctx: ApiRequest, opts: StateApiOptions): Promise<void> {
  const store = lookup(ctx, opts)
  const parsed = await body(ctx, errors.malformed)
  let items
  try {
    if (parsed !== null && !Array.isArray(parsed)) throw new DecodeError(`json: cannot unmarshal ${goTypeName(parsed)} into Go value of type []state.SetRequest`)
    items = (parsed ?? []).map((v) => decodeItem(v, 'SetRequest', true))
  } catch (err) {
    throw errors.malformed((err as Error).message)
  }
  if (items.length === 0) return sendEmpty(ctx.res)
  const urlMeta = metadataFromQuery(ctx.query)
  const requests = items.map((item) => {
    if (item.key === '') throw errors.malformed('"key" is a required field')
    return {
      key: modifiedKey(item.key, store, opts),
      value: item.value,
      etag: item.etag,
      metadata: { ...(item.metadata ?? {}), ...urlMeta },
      options: item.options
    }
  })
  if (requests.length === 1) {
    const request = requests[0] as (typeof requests)[number]
    try {
      await outbound(ctx, opts, store, async () => {
        try {
          await store.set(request)
        } catch (err) {
          throw permanentIfEtag(err)
        }
      })
    } catch (err) {
      const e = storeErrorText(err)
      throw panicOr(err, () => errors.stateSave(e.status, store.name, e.text))
    }
    return sendEmpty(ctx.res)
  }
  // daprd's default BulkSet: every item in parallel, independently, not atomically. A retry
  // repeats only the items that failed with something other than an etag error.
  let pending = requests
  try {
    await outbound(ctx, opts, store, async () => {
      const attempt = pending
      const results = await Promise.allSettled(attempt.map((r) => store.set(r)))
      const failures = results.flatMap((r) => r.status === 'rejected' ? [{ reason: r.reason as unknown, text: storeErrorText(r.reason) }] : [])
      if (failures.length === 0) return
      const retry = attempt.filter((_, i) => {
        const r = results[i] as PromiseSettledResult<void>
        return r.status === 'rejected' && permanentIfEtag(r.reason) === r.reason
      })
      const err = new BulkSaveError(failures.map((f) => f.text))
      if (retry.length === 0) throw new PermanentError(err)
      pending = retry
      throw err
    })
  } catch (err) {
    if (!(err instanceof BulkSaveError)) throw panicOr(err, () => errors.stateSave(500, store.name, (err as Error).message))
    const failures = err.failures
    const joined = failures.map((f) => f.text).join('\n')
    if (failures.every((f) => f.status !== 500)) {
      const status = failures.some((f) => f.status === 400) ? 400 : 409
      const prefix = status === 409 ? 'possible etag mismatch. error from state store: ' : 'invalid etag value: '
      throw errors.stateSave(status, store.name, prefix + joined)
    }
    throw errors.stateSave(500, store.name, joined)
  }
  sendEmpty(ctx.res)
}

async function deleteState (ctx: ApiRequest, opts: StateApiOptions): Promise<void> {
  const store = lookup(ctx, opts)
  const key = ctx.params[1] as string
  const full = modifiedKey(key, store, opts)
  const ifMatch = ctx.req.headers['if-match']
  try {
    const request = {
      key: full,
      etag: ifMatch === undefined || ifMatch === '' ? undefined : ifMatch,
      metadata: metadataFromQuery(ctx.query),
      options: { concurrency: ctx.query.get('concurrency')?.[0], consistency: ctx.query.get('consistency')?.[0] }
    }
    // daprd runs Delete under the policy as is: an etag mismatch on delete is retried.
    await outbound(ctx, opts, store, () => store.delete(request))
  } catch (err) {
    const e = storeErrorText(err)
    throw panicOr(err, () => errors.stateDelete(e.status, key, e.text))
  }
  sendEmpty(ctx.res)
}

function bulkItem (item: BulkGetItem): Record<string, unknown> {
  const out: Record<string, unknown> = { key: originalKey(item.key) }
  if (item.error) {
    out.error = item.error
    return out
  }
  if (item.data !== undefined && item.data.length > 0) out.data = JSON.parse(item.data.toString('utf8'))
  if (item.etag) out.etag = item.etag
  if (item.metadata && Object.keys(item.metadata).length > 0) out.metadata = Object.fromEntries(Object.entries(item.metadata).sort())
  return out
}

async function bulkGet (ctx: ApiRequest, opts: StateApiOptions): Promise<void> {
  const store = lookup(ctx, opts)
  const parsed = await body(ctx, errors.malformedBody)
  let keys: string[]
  let parallelism: number | undefined
  let metadata: Record<string, string>
  try {
    if (parsed !== null && !isObject(parsed)) throw new DecodeError(`json: cannot unmarshal ${goTypeName(parsed)} into Go value of type http.BulkGetRequest`)
    const obj = parsed ?? {}
    const rawKeys = field(obj, 'keys') ?? []
    if (!Array.isArray(rawKeys) || rawKeys.some((k) => typeof k !== 'string' && k !== null)) {
      throw new DecodeError('json: cannot unmarshal into Go struct field BulkGetRequest.keys of type []string')
    }
    keys = rawKeys.map((k) => (k as string | null) ?? '')
    const p = field(obj, 'parallelism')
    if (p !== undefined && p !== null && !Number.isInteger(p)) throw new DecodeError(`json: cannot unmarshal ${goTypeName(p)} into Go struct field BulkGetRequest.parallelism of type int`)
    parallelism = (p as number | null | undefined) ?? undefined
    metadata = { ...(stringMapField(obj, 'metadata', 'BulkGetRequest') ?? {}), ...metadataFromQuery(ctx.query) }
  } catch (err) {
    throw errors.malformedBody((err as Error).message)
  }
  if (keys.length === 0) return sendJson(ctx.res, 200, [])
  const full = keys.map((k) => modifiedKey(k, store, opts))
  let items: BulkGetItem[]
  try {
    items = await outbound(ctx, opts, store, () => store.bulkGet(full, metadata, parallelism))
  } catch (err) {
    throw panicOr(err, () => errors.bulkGet((err as Error).message))
  }
  let out: string
  try {
    out = goJson(items.slice(0, keys.length).map(bulkItem)) + '\n'
  } catch {
    // json.Encoder fails on invalid embedded data after the 200 header: empty body.
    out = ''
  }
  ctx.res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) })
  ctx.res.end(out)
}

async function transaction (ctx: ApiRequest, opts: StateApiOptions): Promise<void> {
  const store = lookup(ctx, opts)
  if (!store.features.includes('TRANSACTIONAL')) throw errors.transactionsNotSupported(store.name)
  const parsed = await body(ctx, errors.malformedBody)
  let ops: Array<{ operation: string, request: unknown }>
  let txMeta: Record<string, string>
  try {
    if (parsed !== null && !isObject(parsed)) throw new DecodeError(`json: cannot unmarshal ${goTypeName(parsed)} into Go value of type http.stateTransactionRequestBody`)
    const obj = parsed ?? {}
    const rawOps = field(obj, 'operations') ?? []
    if (!Array.isArray(rawOps)) throw new DecodeError(`json: cannot unmarshal ${goTypeName(rawOps)} into Go struct field stateTransactionRequestBody.operations of type []http.stateTransactionRequestBodyOperation`)
    ops = rawOps.map((o) => {
      if (o !== null && !isObject(o)) throw new DecodeError(`json: cannot unmarshal ${goTypeName(o)} into Go value of type http.stateTransactionRequestBodyOperation`)
      const op = field(o ?? {}, 'operation') ?? ''
      if (typeof op !== 'string') throw new DecodeError(`json: cannot unmarshal ${goTypeName(op)} into Go struct field stateTransactionRequestBodyOperation.operations.operation of type string`)
      return { operation: op, request: field(o ?? {}, 'request') }
    })
    txMeta = stringMapField(obj, 'metadata', 'stateTransactionRequestBody') ?? {}
  } catch (err) {
    throw errors.malformedBody((err as Error).message)
  }
  if (ops.length === 0) return sendEmpty(ctx.res)
  const urlMeta = metadataFromQuery(ctx.query)
  // Body metadata is transaction-level only; only URL metadata reaches each operation (§3.7).
  const metadata = { ...txMeta, ...urlMeta }
  const operations: TransactionOperation[] = ops.map((o) => {
    if (o.operation !== 'upsert' && o.operation !== 'delete') throw errors.unsupportedOperation(o.operation)
    let item
    try {
      item = decodeItem(o.request, o.operation === 'upsert' ? 'SetRequest' : 'DeleteRequest', o.operation === 'upsert')
    } catch (err) {
      throw errors.malformedBody(`1 error(s) decoding:\n\n* ${(err as Error).message}`)
    }
    const request = {
      key: modifiedKey(item.key, store, opts),
      etag: item.etag,
      metadata: { ...(item.metadata ?? {}), ...urlMeta },
      options: item.options
    }
    return o.operation === 'upsert'
      ? { operation: 'upsert', request: { ...request, value: item.value } }
      : { operation: 'delete', request }
  })
  try {
    await outbound(ctx, opts, store, () => store.multi(operations, metadata))
  } catch (err) {
    throw panicOr(err, () => errors.transaction((err as Error).message))
  }
  sendEmpty(ctx.res)
}

async function query (ctx: ApiRequest, opts: StateApiOptions): Promise<void> {
  const store = lookup(ctx, opts)
  // Neither the in-memory store nor Redis without RediSearch answers queries (§3.8).
  throw errors.queryNotSupported(store.name)
}

/** Runs a handler, turning a thrown DaprError into daprd's JSON error answer. */
export async function respondOrFail (ctx: ApiRequest, run: () => Promise<void>): Promise<void> {
  try {
    await run()
  } catch (err) {
    if (err instanceof DaprError) return sendError(ctx.res, err)
    // Go's net/http recovers a handler's panic by closing the connection, with no answer.
    if (err instanceof PolicyPanicError) {
      ctx.res.destroy()
      return
    }
    throw err
  }
}

export const stateHandlers = { getState, saveState, deleteState, bulkGet, transaction, query }
