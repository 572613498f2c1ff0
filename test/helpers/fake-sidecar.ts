// A stand-in for the sidecar *client* (not daprd), kept because it must differ: the order
// and generator unit tests fail one chosen call, before or after its write lands (a timeout
// whose write succeeded), synchronously and without sockets; the MockAgent has no state
// semantics and the local sidecar no per-call client faults. Tests of the real HTTP path use
// the local sidecar (local-daprd.ts) or the MockAgent (mock-sidecar.ts).
// State follows daprd's in-memory store (dapr-http-api.md §5.2): an ETag changes on every
// write, `first-write` on an existing key and a stale ETag are 409s. Faults are injected
// per call with `failWhen`.
import {
  SidecarEtagMismatchError,
  SidecarHttpError,
  SidecarNetworkError,
  SidecarTimeoutError,
  SidecarInvokeError,
  type InvokeOptions,
  type InvokeResponse,
  type SaveItem,
  type StateEntry
} from '../../src/sidecar/index.js'

export type FakeOp = 'get' | 'save' | 'update' | 'healthz' | 'invoke' | 'wait'

/** What a fault hook returns: an error to throw before the call, or after it took effect. */
export type Fault = Error | { error: Error, afterApply: true } | undefined

export type InvokeHandler = (appId: string, method: string, options: InvokeOptions) => Promise<InvokeResponse> | InvokeResponse

interface Stored { value: unknown, etag: number }

export interface FakeSidecar {
  data: Map<string, Stored>
  calls: Array<{ op: FakeOp, key?: string }>
  failWhen (hook: (op: FakeOp, key: string | undefined) => Fault): void
  onInvoke (handler: InvokeHandler): void
  closed: boolean
  state: {
    get: <T = unknown>(store: string, key: string) => Promise<StateEntry<T> | undefined>
    save: (store: string, items: SaveItem | readonly SaveItem[]) => Promise<void>
    update: <T>(store: string, key: string, fn: (current: T | undefined) => T, options?: { maxAttempts?: number | undefined }) => Promise<{ value: T, attempts: number }>
  }
  healthzOutbound: (options?: unknown) => Promise<void>
  waitForSidecar: (options?: { timeoutMs?: number | undefined, signal?: AbortSignal | undefined }) => Promise<void>
  invoke: (appId: string, method: string, options?: InvokeOptions) => Promise<InvokeResponse>
  close: () => Promise<void>
}

export function fakeSidecar (): FakeSidecar {
  const data = new Map<string, Stored>()
  const calls: FakeSidecar['calls'] = []
  let hook: (op: FakeOp, key: string | undefined) => Fault = () => undefined
  let invokeHandler: InvokeHandler = () => response(200, {})
  let etags = 0

  async function faulty<T> (op: FakeOp, key: string | undefined, run: () => T): Promise<T> {
    calls.push(key === undefined ? { op } : { op, key })
    await Promise.resolve()
    const fault = hook(op, key)
    if (fault instanceof Error) throw fault
    const result = run()
    if (fault !== undefined) throw fault.error
    return result
  }

  function write (item: SaveItem): void {
    const current = data.get(item.key)
    if (item.etag !== undefined && (current === undefined || String(current.etag) !== item.etag)) throw etagMismatch(item.key)
    if (item.concurrency === 'first-write' && item.etag === undefined && current !== undefined) throw etagMismatch(item.key)
    data.set(item.key, { value: structuredClone(item.value), etag: ++etags })
  }

  const fake: FakeSidecar = {
    data,
    calls,
    closed: false,
    failWhen (h) { hook = h },
    onInvoke (h) { invokeHandler = h },
    state: {
      async get<T> (_store: string, key: string) {
        return faulty('get', key, () => {
          const entry = data.get(key)
          if (entry === undefined) return undefined
          return { key, value: structuredClone(entry.value) as T, etag: String(entry.etag), metadata: {} }
        })
      },
      async save (_store, items) {
        const list = Array.isArray(items) ? items : [items as SaveItem]
        for (const item of list) await faulty('save', item.key, () => write(item))
      },
      async update<T> (_store: string, key: string, fn: (current: T | undefined) => T) {
        return faulty('update', key, () => {
          const value = fn(data.get(key)?.value as T | undefined)
          data.set(key, { value: structuredClone(value), etag: ++etags })
          return { value, attempts: 1 }
        })
      }
    },
    async healthzOutbound () {
      await faulty('healthz', undefined, () => undefined)
    },
    async waitForSidecar () {
      await faulty('wait', undefined, () => undefined)
    },
    async invoke (appId, method, options = {}) {
      calls.push({ op: 'invoke', key: JSON.stringify(options.body) })
      await Promise.resolve()
      const fault = hook('invoke', JSON.stringify(options.body))
      if (fault instanceof Error) throw fault
      return invokeHandler(appId, method, options)
    },
    async close () { fake.closed = true }
  }
  return fake
}

/** An InvokeResponse as the client builds it. */
export function response (statusCode: number, body: unknown): InvokeResponse {
  const buf = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body))
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: buf,
    ok: statusCode >= 200 && statusCode < 300,
    text: () => buf.toString('utf8'),
    json: <T>() => JSON.parse(buf.toString('utf8')) as T
  }
}

const info = { method: 'POST', path: '/v1.0/state/statestore' }

export const errors = {
  network: () => new SidecarNetworkError(info, Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3500'), { code: 'ECONNREFUSED' })),
  timeout: () => new SidecarTimeoutError(info, 'headers timeout'),
  storeDown: () => new SidecarHttpError({ ...info, statusCode: 500, errorCode: 'ERR_STATE_SAVE', daprMessage: 'failed saving state in state store statestore: connection refused' }),
  storeNotFound: () => new SidecarHttpError({ ...info, statusCode: 400, errorCode: 'ERR_STATE_STORE_NOT_FOUND', daprMessage: 'state store nope is not found' }),
  etag: (key = 'k') => etagMismatch(key),
  invoke: (statusCode = 500) => new SidecarInvokeError({ method: 'POST', path: '/v1.0/invoke/nodeapp/method/neworder', statusCode, errorCode: 'ERR_DIRECT_INVOKE', daprMessage: 'failed to invoke, id: nodeapp, err: couldn\'t find service: nodeapp' })
}

function etagMismatch (key: string): SidecarEtagMismatchError {
  return new SidecarEtagMismatchError({ ...info, statusCode: 409, errorCode: 'ERR_STATE_SAVE', daprMessage: `possible etag mismatch for ${key}` })
}
