// Health, metadata, shutdown and publish endpoints (dapr-http-api.md §4, §6.1).
import type { ApiRequest } from './context.js'
import { readBody } from './context.js'
import { errors, sendEmpty, sendJson } from './errors.js'

export interface RuntimeApi {
  appId: string
  /** Names of health targets not yet ready (`[]` = ready), as `/v1.0/healthz` lists them. */
  unreadyTargets (): string[]
  /** Resolves false while outbound calls cannot work (e.g. a configured store's backend is down). */
  outboundReady (): Promise<boolean>
  /** The `/v1.0/metadata` document. */
  metadata (): Promise<Record<string, unknown>>
  setExtended (key: string, value: string): void
  /** Called after the 204 has been sent. */
  shutdown (force: boolean): void
}

async function healthz (ctx: ApiRequest, api: RuntimeApi): Promise<void> {
  const appid = ctx.query.get('appid')?.[0]
  if (appid && appid !== api.appId) throw errors.healthAppIdMismatch()
  const unready = api.unreadyTargets()
  if (unready.length > 0) throw errors.healthNotReady(unready)
  sendEmpty(ctx.res)
}

async function outbound (ctx: ApiRequest, api: RuntimeApi): Promise<void> {
  if (!await api.outboundReady()) throw errors.outboundNotReady()
  sendEmpty(ctx.res)
}

async function metadata (ctx: ApiRequest, api: RuntimeApi): Promise<void> {
  sendJson(ctx.res, 200, await api.metadata())
}

async function putMetadata (ctx: ApiRequest, api: RuntimeApi): Promise<void> {
  const value = await readBody(ctx.req)
  const key = ctx.params[0] as string
  if (key !== '') api.setExtended(key, value.toString('utf8'))
  sendEmpty(ctx.res)
}

async function shutdown (ctx: ApiRequest, api: RuntimeApi): Promise<void> {
  const force = ctx.req.headers['dapr-force-shutdown'] === 'true'
  ctx.res.on('finish', () => api.shutdown(force))
  sendEmpty(ctx.res)
}

async function publish (ctx: ApiRequest): Promise<void> {
  // The local sidecar loads no pub/sub component, so every name is unknown (as daprd answers it).
  throw errors.pubsubNotFound(ctx.params[0] as string)
}

export const runtimeHandlers = { healthz, outbound, metadata, putMetadata, shutdown, publish }
