// Assembles one local sidecar: state stores, app channel, public API server, internal
// invocation server and registry entry. The in-process API behind the daprd-shaped CLI.
import { randomBytes } from 'node:crypto'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { hostname } from 'node:os'
import pino, { type Logger } from 'pino'
import { buildApiServer } from './http/server.js'
import type { RuntimeApi } from './http/runtime.js'
import { createAppChannel, type AppChannel, type AppHealthOptions } from './invoke/app-channel.js'
import { buildInternalServer } from './invoke/internal-server.js'
import { createInvoker } from './invoke/invoker.js'
import { createRegistry, type RegistryEntry } from './invoke/registry.js'
import type { StateStore, StoreFeature } from './store/types.js'
import { loadConfiguration, loadResources } from './resources.js'
import { createResiliency, type ResiliencyResource } from './resiliency/provider.js'

/** The daprd release whose behaviour this sidecar reproduces (metadata `runtimeVersion`). */
export const RUNTIME_VERSION = '1.18.3'

export interface SidecarOptions {
  appId: string
  appPort?: number | undefined
  appChannelAddress?: string | undefined
  /** API port; 0 picks a free one. Default DEFAULT_HTTP_PORT (3500), as daprd. */
  httpPort?: number | undefined
  /** Interface the API listens on (default 127.0.0.1). */
  listenAddress?: string | undefined
  resourcesPaths: string[]
  configPath?: string | undefined
  /** DAPR_API_TOKEN: required from apps on every API call but GET healthz. */
  apiToken?: string | undefined
  /** APP_API_TOKEN: sent to the app as `dapr-api-token` on every request. */
  appApiToken?: string | undefined
  registryDir?: string | undefined
  /** Identity namespace (`dapr-caller-namespace`, `id.namespace` targets). Default `default`. */
  namespace?: string | undefined
  /** The `NAMESPACE` env value for `keyPrefix: namespace` (default '', as daprd reads it raw). */
  keyNamespace?: string | undefined
  appHealth?: AppHealthOptions | undefined
  apiLogging?: boolean | undefined
  /** Address stamped into X-Forwarded-For / Forwarded (daprd's DAPR_HOST_IP). */
  hostIp?: string | undefined
  /** Stores to serve instead of loading `resourcesPaths` (tests). */
  stores?: StateStore[] | undefined
  /** Resiliency resources to apply with `stores` (when given, `resourcesPaths` is not read). */
  resiliencies?: ResiliencyResource[] | undefined
  /** Environment for `{env:...}`-style component values (default process.env). */
  env?: NodeJS.ProcessEnv | undefined
  logger?: Logger | undefined
  /** How long close() lets in-flight requests finish before cutting connections (default 5000 ms). */
  closeGraceMs?: number | undefined
  /** Called after `POST /v1.0/shutdown` has closed the sidecar; `force` = `dapr-force-shutdown: true`. */
  onShutdown?: ((info: { force: boolean }) => void) | undefined
}

export interface Sidecar {
  url: string
  port: number
  appId: string
  /** Address of the internal invocation server (registered for peers). */
  internalAddress: string
  close (): Promise<void>
}

/** daprd's default API port, used when `httpPort` is not given. */
export const DEFAULT_HTTP_PORT = 3500

export function defaultLogger (appId: string): Logger {
  return pino({ name: 'local-sidecar' }).child({ app_id: appId })
}

export function capabilities (features: readonly StoreFeature[]): string[] {
  const out: string[] = [...features]
  // daprd derives ACTOR for state stores with both ETAG and TRANSACTIONAL.
  if (features.includes('ETAG') && features.includes('TRANSACTIONAL')) out.push('ACTOR')
  return out
}

function listen (server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

function closeServer (server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs)
    server.close(() => { clearTimeout(force); resolve() })
    server.closeIdleConnections()
  })
}

function withTimeout (p: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms)
    const done = (ok: boolean): void => { clearTimeout(timer); resolve(ok) }
    p.then(() => done(true), () => done(false))
  })
}

/**
 * Starts a local sidecar and registers it for name resolution.
 * @example
 * const sc = await startSidecar({ appId: 'nodeapp', appPort: 3000, httpPort: 0, resourcesPaths: ['./components/local'] })
 * await fetch(`${sc.url}/v1.0/healthz`)
 * await sc.close()
 */
export async function startSidecar (opts: SidecarOptions): Promise<Sidecar> {
  const logger = opts.logger ?? defaultLogger(opts.appId)
  const namespace = opts.namespace ?? 'default'
  const channelAddress = opts.appChannelAddress ?? '127.0.0.1'
  let stores: StateStore[]
  let resiliencyResources: ResiliencyResource[] = opts.resiliencies ?? []
  if (opts.stores) {
    stores = opts.stores
  } else {
    const loaded = await loadResources({ resourcesPaths: opts.resourcesPaths, appId: opts.appId, env: opts.env ?? process.env, logger })
    stores = loaded.stateStores
    resiliencyResources = loaded.resiliencyResources
  }
  const resiliency = createResiliency(resiliencyResources, logger)
  const resiliencies = resiliency.names
  let enabledFeatures: string[] = []
  if (opts.configPath !== undefined) {
    const config = await loadConfiguration(opts.configPath)
    enabledFeatures = config.features.filter((f) => f.enabled).map((f) => f.name)
    if (config.accessControl) logger.warn({ config: config.name }, 'accessControl is not enforced by the local sidecar')
  }
  await Promise.all(stores.map((s) => s.init()))

  const app: AppChannel | undefined = opts.appPort
    ? createAppChannel({ address: channelAddress, port: opts.appPort, appApiToken: opts.appApiToken, health: opts.appHealth, logger })
    : undefined
  const registry = createRegistry(opts.registryDir)
  const invoker = createInvoker({ appId: opts.appId, namespace, app, registry, hostIp: opts.hostIp ?? '127.0.0.1', hostname: hostname(), logger, resiliency })
  const extended: Record<string, string> = {}
  let closing: Promise<void> | undefined

  const runtime: RuntimeApi = {
    appId: opts.appId,
    unreadyTargets: () => app && !app.ready() ? ['runtime'] : [],
    // Extension: outbound is not ready while a configured store's backend does not answer.
    outboundReady: async () => (await Promise.all(stores.map((s) => withTimeout(s.ping(), 1_000)))).every(Boolean),
    async metadata () {
      const doc: Record<string, unknown> = {
        id: opts.appId,
        runtimeVersion: RUNTIME_VERSION,
        ...(enabledFeatures.length > 0 ? { enabledFeatures } : {}),
        components: stores.map((s) => ({ name: s.name, type: s.type, version: s.version, capabilities: capabilities(s.features) })),
        extended: { ...extended, daprRuntimeVersion: RUNTIME_VERSION, localSidecar: 'orders-on-dapr' },
        appConnectionProperties: {
          ...(opts.appPort ? { port: opts.appPort } : {}),
          protocol: 'http',
          channelAddress,
          ...(opts.appHealth
            ? {
                health: {
                  healthCheckPath: opts.appHealth.path,
                  healthProbeInterval: `${opts.appHealth.intervalMs / 1000}s`,
                  healthProbeTimeout: `${opts.appHealth.timeoutMs}ms`,
                  healthThreshold: opts.appHealth.threshold
                }
              }
            : {})
        },
        actorRuntime: { runtimeStatus: 'DISABLED', hostReady: false }
      }
      if (resiliencies.length > 0) doc.resiliencies = resiliencies.map((name) => ({ name }))
      return doc
    },
    setExtended: (k, v) => { extended[k] = v },
    shutdown: (force) => {
      logger.info({ force }, 'shutdown requested through the API')
      close().then(() => opts.onShutdown?.({ force }), (err: unknown) => logger.error({ err }, 'shutdown failed'))
    }
  }

  const api = buildApiServer({
    state: { appId: opts.appId, keyNamespace: opts.keyNamespace ?? '', stores: new Map(stores.map((s) => [s.name, s])), resiliency, logger },
    runtime,
    invoke: invoker.handle,
    apiToken: opts.apiToken,
    logger,
    apiLogging: opts.apiLogging
  })
  const secret = randomBytes(24).toString('hex')
  const internal = buildInternalServer({ secret, app, logger })
  const port = await listen(api, opts.httpPort ?? DEFAULT_HTTP_PORT, opts.listenAddress ?? '127.0.0.1')
  const internalPort = await listen(internal, 0, '127.0.0.1')
  const entry: RegistryEntry = { appId: opts.appId, namespace, pid: process.pid, httpPort: port, internalAddress: `127.0.0.1:${internalPort}`, secret }
  await registry.register(entry)
  logger.info({ port, internalPort, appPort: opts.appPort, stores: stores.map((s) => s.name) }, 'local sidecar started')

  function close (): Promise<void> {
    closing ??= (async () => {
      await registry.unregister(entry)
      await Promise.all([closeServer(api, opts.closeGraceMs ?? 5_000), closeServer(internal, opts.closeGraceMs ?? 5_000)])
      await invoker.close()
      await app?.close()
      await Promise.all(stores.map((s) => s.close()))
      logger.info('local sidecar stopped')
    })()
    return closing
  }

  return { url: `http://127.0.0.1:${port}`, port, appId: opts.appId, internalAddress: entry.internalAddress, close }
}
