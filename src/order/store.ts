// Orders in Dapr state: one key per order plus the latest-order key, written in that order
// and never in one transaction. On ElastiCache Serverless (Redis in cluster mode) the two
// keys (`nodeapp||order-42`, `nodeapp||order`) live in different hash slots, where a
// multi-key MULTI/EXEC is refused.
import { createHash } from 'node:crypto'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { configure } from 'safe-stable-stringify'
import { SidecarEtagMismatchError, SidecarHttpError, isTransientSidecarError, type SidecarClient, type StateApi, type TraceContext } from '../sidecar/index.js'
import { orderErrors } from './errors.js'
import { LATEST_ORDER_KEY, OrderDataSchema, OrderRecordSchema, orderKey, type OrderData, type OrderRecord } from './schemas.js'

/** The part of the sidecar client the order service uses: state for the store, health for readiness. */
export type OrderSidecar = Pick<SidecarClient, 'healthzOutbound'> & { state: Pick<StateApi, 'get' | 'save'> }

export interface OrderStoreOptions {
  sidecar: Pick<OrderSidecar, 'state'>
  storeName: string
}

/** `created`: this call stored it. `existing`: an identical order was already stored. */
export type CreateOutcome = 'created' | 'existing'

/**
 * Every method takes the W3C trace context of the request it serves and sends it on each
 * state call, so daprd's spans for those calls join the request's trace.
 */
export interface OrderStore {
  /** Stores a new order; the same order again is a no-op, a different one under its id a 409. */
  create (data: OrderData, trace?: TraceContext): Promise<CreateOutcome>
  get (orderId: string, trace?: TraceContext): Promise<OrderData | undefined>
  latest (trace?: TraceContext): Promise<OrderData | undefined>
}

const checkRecord = TypeCompiler.Compile(OrderRecordSchema)
const checkData = TypeCompiler.Compile(OrderDataSchema)

/**
 * @example
 * const store = createOrderStore({ sidecar, storeName: 'statestore' })
 * await store.create({ orderId: '42' }) // 'created'
 * await store.get('42') // { orderId: '42' }
 */
export function createOrderStore ({ sidecar, storeName }: OrderStoreOptions): OrderStore {
  async function read (key: string, traceContext: TraceContext | undefined): Promise<OrderRecord | undefined> {
    const entry = await guard(sidecar.state.get<unknown>(storeName, key, { traceContext }))
    if (entry === undefined) return undefined
    if (!checkRecord.Check(entry.value)) throw new Error(`state key ${key} does not hold an order record`)
    return entry.value
  }

  function settle (existing: OrderRecord, digest: string, data: OrderData): CreateOutcome {
    if (existing.digest !== digest) throw orderErrors.conflict(String(data.orderId))
    return 'existing'
  }

  return {
    async create (data, traceContext) {
      const key = orderKey(data.orderId)
      const digest = digestOf(data)
      // Two state calls for a new order: the first-write save of its key, then the latest
      // key. The order key is read only when that save fails, to learn why.
      try {
        // first-write: of two creators of one id (now or earlier), only the first can win.
        await sidecar.state.save(storeName, { key, value: { data, digest }, concurrency: 'first-write' }, { traceContext })
      } catch (err) {
        // Either the key was already written (in-memory says 409, Redis a 500 ERR_STATE_SAVE),
        // or the store failed, or our write landed but its answer was lost. The key tells which.
        const now = await read(key, traceContext).catch(() => undefined)
        if (now === undefined) throw translate(err)
        settle(now, digest, data)
        // Someone stored this very order first; that request records it as the latest.
        if (isWriteConflict(err)) return 'existing'
      }
      await guard(sidecar.state.save(storeName, { key: LATEST_ORDER_KEY, value: data }, { traceContext }))
      return 'created'
    },

    async get (orderId, traceContext) {
      return (await read(orderKey(orderId), traceContext))?.data
    },

    async latest (traceContext) {
      const entry = await guard(sidecar.state.get<unknown>(storeName, LATEST_ORDER_KEY, { traceContext }))
      if (entry === undefined) return undefined
      if (!checkData.Check(entry.value)) throw new Error(`state key ${LATEST_ORDER_KEY} does not hold order data`)
      return entry.value
    }
  }
}

// Object keys sorted at every level, no whitespace: the same bytes for the same data whatever
// the key order. Strict: anything JSON cannot carry throws instead of being dropped silently.
const canonicalJson = configure({ deterministic: true, strict: true })

/** SHA-256 of `value` as JSON with object keys sorted, so key order does not matter. */
export function digestOf (value: unknown): string {
  return createHash('sha256').update(canonicalJson(value) as string).digest('hex')
}

/**
 * The store refused a first-write because the key exists: in-memory answers 409, Redis a 500
 * ERR_STATE_SAVE. (A Redis outage gives that 500 too; the caller tells them apart by reading the key.)
 */
function isWriteConflict (err: unknown): boolean {
  if (err instanceof SidecarEtagMismatchError) return true
  return err instanceof SidecarHttpError && err.statusCode === 500 && err.errorCode === 'ERR_STATE_SAVE'
}

async function guard<T> (call: Promise<T>): Promise<T> {
  try {
    return await call
  } catch (err) {
    throw translate(err)
  }
}

/** A store or sidecar that is down is a 503 the caller may retry; anything else stays a 500. */
function translate (err: unknown): unknown {
  return isTransientSidecarError(err) ? orderErrors.storeUnavailable({ cause: err }) : err
}
