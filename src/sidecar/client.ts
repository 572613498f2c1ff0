// createSidecarClient: one undici Pool per sidecar, explicit timeouts, options checked at
// construction, and the lifecycle calls (health, metadata, shutdown, publish, wait).
import { setTimeout as sleep } from 'node:timers/promises'
import type { Dispatcher } from 'undici'
// Only the Pool: undici's index also loads fetch, WebSocket, cache and mock (docs/benchmarks.md).
import Pool from 'undici/lib/dispatcher/pool.js'
import { DaprEnvSchema, daprEndpoint, parseEnv, type ConfigError, type DaprEnv } from '../shared/config.js'
import {
  SidecarAbortError,
  SidecarAuthError,
  SidecarInvalidResponseError,
  SidecarOptionError,
  SidecarTimeoutError
} from './errors.js'
import { createInvoke, type InvokeFn } from './invoke.js'
import type { SidecarMetadata } from './schemas.js'
import { createStateApi, queryString, type CallContext, type StateApi, type StateMetadata } from './state.js'
import { createTransport, parseJsonBody, type Transport } from './transport.js'

export interface SidecarClientOptions {
  /** Base URL of daprd's HTTP API. Default: `env.DAPR_HTTP_ENDPOINT`, else `http://127.0.0.1:${env.DAPR_HTTP_PORT ?? 3500}`. */
  endpoint?: string | undefined
  /** Sent as `dapr-api-token`. Default: `env.DAPR_API_TOKEN`. */
  apiToken?: string | undefined
  /**
   * Where the defaults above are read from; default `process.env`. Read only when `endpoint`
   * or `apiToken` is missing, then checked as a whole with the services' `DaprEnvSchema`.
   */
  env?: Record<string, string | undefined> | undefined
  /** Milliseconds. Defaults: connect 2000, headers 10000, body 10000 (never undici's 300 s). */
  timeouts?: { connectMs?: number | undefined, headersMs?: number | undefined, bodyMs?: number | undefined } | undefined
  /** Most sockets the pool opens to the sidecar; default 64. */
  connections?: number | undefined
  /** Replaces the client's own Pool (tests pass a MockAgent pool); the caller closes it. */
  dispatcher?: Dispatcher | undefined
  /** Connection-failure retries of idempotent reads (get, bulk get, health, metadata); default 2. */
  readRetries?: number | undefined
}

export interface WaitOptions {
  /** Give up after this long; default 60000. */
  timeoutMs?: number | undefined
  signal?: AbortSignal | undefined
}

export interface PublishOptions extends CallContext {
  /** Default: JSON for objects, text/plain for strings, octet-stream for bytes. */
  contentType?: string | undefined
  metadata?: StateMetadata | undefined
}

export interface SidecarClient {
  /** The resolved base URL. */
  readonly endpoint: string
  readonly state: StateApi
  /**
   * Calls a method of another app through daprd. The app's status, headers and body come back
   * unchanged, even for 4xx/5xx; daprd's own failures throw `SidecarInvokeError`.
   * @example
   * const res = await sidecar.invoke('nodeapp', 'neworder', { httpMethod: 'POST', body: { data: { orderId: '42' } } })
   */
  invoke: InvokeFn
  /**
   * Resolves when daprd reports itself ready (`/v1.0/healthz`, which waits for the app port).
   * @example
   * await sidecar.healthz()
   */
  healthz (options?: CallContext): Promise<void>
  /**
   * Resolves when daprd can serve outbound calls (`/v1.0/healthz/outbound`); apps poll this at start.
   * @example
   * await sidecar.healthzOutbound()
   */
  healthzOutbound (options?: CallContext): Promise<void>
  /**
   * daprd's `/v1.0/metadata`, checked against its schema.
   * @example
   * const { id, components } = await sidecar.metadata()
   */
  metadata (options?: CallContext): Promise<SidecarMetadata>
  /**
   * Polls `/v1.0/healthz/outbound` with backoff until it answers 204; throws `SidecarTimeoutError` after `timeoutMs`.
   * @example
   * await sidecar.waitForSidecar({ timeoutMs: 30_000 })
   */
  waitForSidecar (options?: WaitOptions): Promise<void>
  /**
   * Asks daprd to shut down gracefully.
   * @example
   * await sidecar.shutdown()
   */
  shutdown (options?: CallContext): Promise<void>
  /**
   * Publishes an event through a pub/sub component (`POST /v1.0/publish/{pubsub}/{topic}`).
   * @example
   * await sidecar.publish('pubsub', 'orders', { orderId: '42' })
   */
  publish (pubsub: string, topic: string, data: unknown, options?: PublishOptions): Promise<void>
  /**
   * Waits for calls in flight, then closes the client's own pool (not an injected dispatcher).
   * @example
   * await sidecar.close()
   */
  close (): Promise<void>
}

/**
 * Creates a typed client for one Dapr sidecar.
 * @example
 * const sidecar = createSidecarClient() // DAPR_HTTP_PORT and DAPR_API_TOKEN from the environment
 * await sidecar.state.save('statestore', { key: 'k', value: { a: 1 } })
 * const entry = await sidecar.state.get('statestore', 'k')
 * await sidecar.close()
 */
export function createSidecarClient (options: SidecarClientOptions = {}): SidecarClient {
  const env = options.endpoint === undefined || options.apiToken === undefined ? daprEnv(options.env ?? process.env) : undefined
  const url = resolveEndpoint(options.endpoint, env)
  const apiToken = options.apiToken ?? env?.DAPR_API_TOKEN
  const connectMs = positive('timeouts.connectMs', options.timeouts?.connectMs ?? 2000)
  const headersMs = positive('timeouts.headersMs', options.timeouts?.headersMs ?? 10_000)
  const bodyMs = positive('timeouts.bodyMs', options.timeouts?.bodyMs ?? 10_000)
  const connections = positive('connections', options.connections ?? 64)
  const readRetries = options.readRetries ?? 2
  if (!Number.isInteger(readRetries) || readRetries < 0) throw new SidecarOptionError(`readRetries must be an integer >= 0, got ${readRetries}`)
  if (apiToken !== undefined && /[\r\n]/.test(apiToken)) throw new SidecarOptionError('apiToken must not contain line breaks')

  const ownPool = options.dispatcher === undefined
    ? new Pool(url.origin, { connections, connect: { timeout: connectMs }, headersTimeout: headersMs, bodyTimeout: bodyMs, keepAliveTimeout: 30_000 })
    : undefined
  const transport = createTransport({
    dispatcher: options.dispatcher ?? ownPool as Pool,
    origin: url.origin,
    basePath: url.pathname.replace(/\/+$/, ''),
    apiToken,
    headersTimeoutMs: headersMs,
    bodyTimeoutMs: bodyMs,
    readRetries,
    readRetryDelayMs: 50
  })

  const health = (path: string) => async (ctx: CallContext = {}): Promise<void> => {
    const res = await transport.call({ method: 'GET', path, idempotent: true, ...ctx })
    if (res.statusCode !== 204 && res.statusCode !== 200) await transport.fail(res, { method: 'GET', path })
  }
  const healthzOutbound = health('/v1.0/healthz/outbound')

  return {
    endpoint: url.href.replace(/\/+$/, ''),
    state: createStateApi(transport),
    invoke: createInvoke(transport),
    healthz: health('/v1.0/healthz'),
    healthzOutbound,
    metadata: async (ctx = {}) => {
      const path = '/v1.0/metadata'
      const res = await transport.call({ method: 'GET', path, idempotent: true, ...ctx })
      if (res.statusCode !== 200) await transport.fail(res, { method: 'GET', path })
      const body = parseJsonBody(res, { method: 'GET', path })
      const { checkSidecarMetadata } = await import('./schemas.js')
      if (!checkSidecarMetadata(body)) throw new SidecarInvalidResponseError({ method: 'GET', path }, 'the metadata does not have the documented shape')
      return body
    },
    waitForSidecar: (wait = {}) => waitFor(healthzOutbound, wait),
    shutdown: async (ctx = {}) => {
      const path = '/v1.0/shutdown'
      const res = await transport.call({ method: 'POST', path, ...ctx })
      if (res.statusCode >= 300) await transport.fail(res, { method: 'POST', path })
    },
    publish: (pubsub, topic, data, opts = {}) => publish(transport, pubsub, topic, data, opts),
    close: async () => { await ownPool?.close() }
  }
}

async function publish (transport: Transport, pubsub: string, topic: string, data: unknown, options: PublishOptions): Promise<void> {
  if (typeof pubsub !== 'string' || pubsub.length === 0) throw new SidecarOptionError(`pubsub must be a non-empty string, got ${JSON.stringify(pubsub)}`)
  if (typeof topic !== 'string' || topic.length === 0) throw new SidecarOptionError(`topic must be a non-empty string, got ${JSON.stringify(topic)}`)
  const path = `/v1.0/publish/${encodeURIComponent(pubsub)}/${topic.split('/').map(encodeURIComponent).join('/')}`
  let body: string | Uint8Array
  let type: string
  if (typeof data === 'string') {
    body = data
    type = 'text/plain; charset=utf-8'
  } else if (data instanceof Uint8Array) {
    body = data
    type = 'application/octet-stream'
  } else {
    body = JSON.stringify(data) ?? 'null'
    type = 'application/json'
  }
  const res = await transport.call({
    method: 'POST',
    path,
    query: queryString({}, options.metadata),
    headers: { 'content-type': options.contentType ?? type },
    body,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    traceContext: options.traceContext
  })
  if (res.statusCode >= 300) await transport.fail(res, { method: 'POST', path })
}

async function waitFor (check: (ctx: CallContext) => Promise<void>, options: WaitOptions): Promise<void> {
  const timeoutMs = positive('timeoutMs', options.timeoutMs ?? 60_000)
  const deadline = Date.now() + timeoutMs
  let delay = 50
  for (;;) {
    if (options.signal?.aborted === true) throw new SidecarAbortError({ method: 'GET', path: '/v1.0/healthz/outbound' }, options.signal.reason)
    try {
      await check({ signal: options.signal, timeoutMs: Math.max(1, Math.min(deadline - Date.now(), 2000)) })
      return
    } catch (err) {
      // A wrong token or an abort will not fix itself by waiting.
      if (err instanceof SidecarAuthError || err instanceof SidecarAbortError) throw err
      const left = deadline - Date.now()
      if (left <= 0) {
        throw new SidecarTimeoutError({ method: 'GET', path: '/v1.0/healthz/outbound' }, `the sidecar was not ready within ${timeoutMs} ms (last: ${(err as Error).message})`, err)
      }
      await sleep(Math.min(delay, left), undefined, options.signal ? { signal: options.signal } : undefined).catch(() => undefined)
      delay = Math.min(delay * 2, 1000)
    }
  }
}

/** The DAPR_* variables through the services' own schema; a problem is an option error. */
function daprEnv (env: Record<string, string | undefined>): DaprEnv {
  try {
    return parseEnv(DaprEnvSchema, env)
  } catch (err) {
    // parseEnv throws nothing but ConfigError, one line per variable.
    throw new SidecarOptionError((err as ConfigError).problems.join('; '))
  }
}

function resolveEndpoint (explicit: string | undefined, env: DaprEnv | undefined): URL {
  // env is only undefined when both options were given.
  const raw = explicit ?? daprEndpoint(env as DaprEnv)
  const source = explicit !== undefined ? 'endpoint' : (env as DaprEnv).DAPR_HTTP_ENDPOINT !== undefined ? 'DAPR_HTTP_ENDPOINT' : 'DAPR_HTTP_PORT'
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new SidecarOptionError(`${source} must be an http(s) URL such as http://127.0.0.1:3500, got ${JSON.stringify(raw)}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SidecarOptionError(`${source} must be an http(s) URL such as http://127.0.0.1:3500, got ${JSON.stringify(raw)}`)
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new SidecarOptionError(`${source} must not carry a query, fragment or credentials (use apiToken), got ${JSON.stringify(raw)}`)
  }
  return url
}

function positive (name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new SidecarOptionError(`${name} must be a positive integer, got ${value}`)
  return value
}
