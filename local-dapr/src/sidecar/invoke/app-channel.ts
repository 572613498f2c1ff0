// The sidecar's channel to its own app (daprd's pkg/channel/http): one keep-alive pool,
// APP_API_TOKEN on every request, no redirect following, app health probes (§2.8, §4.5).
import { connect } from 'node:net'
import type { Readable } from 'node:stream'
import { Pool, request } from 'undici'
import type { Logger } from 'pino'
import type { HeaderMap } from './headers.js'

export interface AppHealthOptions {
  path: string
  intervalMs: number
  timeoutMs: number
  threshold: number
}

export interface AppChannelOptions {
  address: string
  port: number
  appApiToken?: string | undefined
  health?: AppHealthOptions | undefined
  logger: Logger
}

export interface AppResponse {
  statusCode: number
  headers: Record<string, string | string[] | undefined>
  body: Readable
}

/** A failure of the app channel itself (not an app status code). */
export class AppChannelError extends Error {
  readonly code = 'ERR_APP_CHANNEL'
  constructor (message: string) {
    super(message)
    this.name = 'AppChannelError'
  }
}

export interface AppChannel {
  readonly address: string
  readonly port: number
  /** Sends `verb appPath` to the app; `appPath` is already escaped and carries the raw query. */
  invoke (verb: string, appPath: string, headers: HeaderMap, body: Readable | null, signal?: AbortSignal): Promise<AppResponse>
  /** True once the app port has accepted a TCP connection. */
  ready (): boolean
  healthy (): boolean
  close (): Promise<void>
}

/** Go's error text for a failed dial, so messages read like daprd's. */
export function describeNetError (err: unknown, addr: string): string {
  const e = err as { code?: string, message: string }
  if (e.code === 'ECONNREFUSED') return `dial tcp ${addr}: connect: connection refused`
  return e.message
}

// A dial that hangs only delays readiness; the OS connect timeout ends it.
function canConnect (host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port })
    const done = (ok: boolean): void => { s.destroy(); resolve(ok) }
    s.once('connect', () => done(true))
    s.once('error', () => done(false))
  })
}

/**
 * Opens the channel and starts dialling the app port every 100 ms until it accepts
 * (daprd's blockUntilAppIsReady), then starts health probes when configured.
 * @example
 * const app = createAppChannel({ address: '127.0.0.1', port: 3000, logger })
 */
export function createAppChannel (opts: AppChannelOptions): AppChannel {
  const origin = `http://${opts.address.includes(':') ? `[${opts.address}]` : opts.address}:${opts.port}`
  const addr = `${opts.address}:${opts.port}`
  const pool = new Pool(origin, { connections: 128, keepAliveTimeout: 4_000, headersTimeout: 0, bodyTimeout: 0, connectTimeout: 5_000 })
  let isReady = false
  let isHealthy = false
  let failures = 0
  let closed = false
  const timers = new Set<NodeJS.Timeout>()
  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => { timers.delete(t); if (!closed) fn() }, ms)
    timers.add(t)
  }

  // probe() and dial() never reject: they are started and left to reschedule themselves.
  async function probe (h: AppHealthOptions): Promise<void> {
    let ok = false
    try {
      // No dapr-api-token on probes, as daprd's HealthProbe builds a bare GET.
      const r = await request(origin + h.path, { method: 'GET', headersTimeout: h.timeoutMs, bodyTimeout: h.timeoutMs, signal: AbortSignal.timeout(h.timeoutMs) })
      await r.body.dump()
      ok = Math.floor(r.statusCode / 100) === 2
    } catch {}
    if (ok) {
      if (!isHealthy) opts.logger.info({ app: addr }, 'app is healthy')
      failures = 0
      isHealthy = true
    } else if (++failures >= h.threshold && isHealthy) {
      opts.logger.warn({ app: addr, failures }, 'app is not healthy')
      isHealthy = false
    }
    later(h.intervalMs, () => { probe(h) })
  }

  async function dial (): Promise<void> {
    if (await canConnect(opts.address, opts.port)) {
      isReady = true
      opts.logger.info({ app: addr }, 'application discovered on port')
      if (opts.health) probe(opts.health)
      return
    }
    later(100, () => { dial() })
  }
  dial()

  return {
    address: opts.address,
    port: opts.port,
    async invoke (verb, appPath, headers, body, signal) {
      if (opts.health && !isHealthy) throw new AppChannelError('app is not in a healthy state')
      const h: HeaderMap = { ...headers }
      if (opts.appApiToken !== undefined) h['dapr-api-token'] = opts.appApiToken
      try {
        const r = await pool.request({ method: verb as 'GET', path: appPath, headers: h, body, signal })
        return { statusCode: r.statusCode, headers: r.headers, body: r.body }
      } catch (err) {
        const op = verb.charAt(0) + verb.slice(1).toLowerCase()
        throw new AppChannelError(`error invoking app channel: ${op} "${origin}${appPath}": ${describeNetError(err, addr)}`)
      }
    },
    ready: () => isReady,
    healthy: () => !opts.health || isHealthy,
    async close () {
      closed = true
      for (const t of timers) clearTimeout(t)
      await pool.close()
    }
  }
}
