// Starts buildApiServer on a free loopback port with fakes for everything but what the test drives.
import type { AddressInfo } from 'node:net'
import pino from 'pino'
import { buildApiServer, type ApiServerOptions } from '../../src/sidecar/http/server.js'
import type { RuntimeApi } from '../../src/sidecar/http/runtime.js'
import type { StateStore } from '../../src/sidecar/store/types.js'

export interface TestApi { url: string, shutdowns: boolean[], extended: Record<string, string> }

export async function startApi (t: { teardown (fn: () => unknown): void }, opts: {
  stores?: StateStore[]
  appId?: string
  keyNamespace?: string
  apiToken?: string
  runtime?: Partial<RuntimeApi>
  invoke?: ApiServerOptions['invoke']
  apiLogging?: boolean
} = {}): Promise<TestApi> {
  const shutdowns: boolean[] = []
  const extended: Record<string, string> = {}
  const appId = opts.appId ?? 'A'
  const runtime: RuntimeApi = {
    appId,
    unreadyTargets: () => [],
    outboundReady: async () => true,
    metadata: async () => ({ id: appId, extended }),
    setExtended: (k, v) => { extended[k] = v },
    shutdown: (force) => { shutdowns.push(force) },
    ...opts.runtime
  }
  const server = buildApiServer({
    state: { appId, keyNamespace: opts.keyNamespace ?? '', stores: new Map((opts.stores ?? []).map((s) => [s.name, s])) },
    runtime,
    invoke: opts.invoke ?? (async (ctx) => { ctx.res.writeHead(299); ctx.res.end(`invoke ${ctx.method} ${ctx.rawPath}`) }),
    apiToken: opts.apiToken,
    logger: pino({ level: 'silent' }),
    apiLogging: opts.apiLogging
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve) }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, shutdowns, extended }
}
