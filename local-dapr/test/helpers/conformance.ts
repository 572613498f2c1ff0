// Targets for the conformance suite (dapr-http-api.md §10): the same cases run against the
// local sidecar (in-memory store, and Redis when REDIS_URL is set) and, when
// DAPR_CONFORMANCE_HTTP_ENDPOINT is set, against a real daprd.
//
// Real daprd: start daprd A (app id DAPR_CONFORMANCE_APP_ID, default "A", with a state store
// named DAPR_CONFORMANCE_STORE, default "statestore") and daprd B (DAPR_CONFORMANCE_PEER_APP_ID,
// default "B", --app-port DAPR_CONFORMANCE_APP_PORT). The suite starts test app B on that port
// (and app A on DAPR_CONFORMANCE_SELF_APP_PORT when daprd A has an app port). Optional:
// DAPR_CONFORMANCE_API_TOKEN (daprd A's DAPR_API_TOKEN), DAPR_CONFORMANCE_PEER_APP_API_TOKEN
// (daprd B's APP_API_TOKEN), DAPR_CONFORMANCE_REDIS_URL (to inspect the Redis store).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import pino from 'pino'
import type { Test } from 'tap'
import { startSidecar, type Sidecar, type SidecarOptions } from '../../src/sidecar/sidecar.js'
import { createInMemoryStore } from '../../src/sidecar/store/in-memory.js'
import { createRedisStore } from '../../src/sidecar/store/redis.js'
import type { StateStore } from '../../src/sidecar/store/types.js'
import { fakeStore } from './fake-store.js'
import { call, type RawResponse } from './http-call.js'
import { startTestApp, type TestApp } from './test-app.js'

export type StoreKind = 'in-memory' | 'redis'

export interface VariantOptions {
  appId?: string
  stores?: 'none' | 'default' | 'non-transactional'
  apiToken?: string
  appApiToken?: string
  /** Port for the app channel (an app, or nothing listening). */
  appPort?: number
  appHealth?: SidecarOptions['appHealth']
  onShutdown?: SidecarOptions['onShutdown']
}

export interface Target {
  name: string
  kind: 'local' | 'daprd'
  storeKind: StoreKind
  appId: string
  peerAppId: string
  store: string
  runtimeVersion: string
  appA: TestApp | undefined
  appB: TestApp
  /** daprd B's APP_API_TOKEN as the callee applies it (undefined = none). */
  peerAppApiToken: string | undefined
  /** The API token calls to A must carry (daprd with DAPR_API_TOKEN), else undefined. */
  apiToken: string | undefined
  redis: Redis | undefined
  call (method: string, path: string, opts?: { headers?: Record<string, string | string[]>, body?: string | Buffer }): Promise<RawResponse>
  /** Local only: starts a dedicated sidecar with the given set-up (closed at teardown). */
  variant: ((v: VariantOptions) => Promise<{ url: string, appId: string, sidecar: Sidecar }>) | undefined
}

const silent = pino({ level: 'silent' })

async function localTarget (t: Test, storeKind: StoreKind, redisUrl?: string): Promise<Target> {
  const registryDir = await mkdtemp(join(tmpdir(), 'conformance-registry-'))
  t.teardown(() => rm(registryDir, { recursive: true, force: true }))
  const suffix = randomBytes(3).toString('hex')
  // Redis is shared between test files: a unique app id keeps each run's keys apart.
  const appId = storeKind === 'redis' ? `A${suffix}` : 'A'
  const peerAppId = `B${suffix}`
  const makeStore = (): StateStore => storeKind === 'redis'
    ? createRedisStore({ name: 'S', version: 'v1', metadata: { redisHost: `${new URL(redisUrl as string).hostname}:${new URL(redisUrl as string).port || '6379'}` } })
    : createInMemoryStore({ name: 'S', version: 'v1', metadata: {} })
  const appA = await startTestApp()
  const appB = await startTestApp()
  t.teardown(() => appA.close())
  t.teardown(() => appB.close())
  const start = async (o: Partial<SidecarOptions>): Promise<Sidecar> => {
    const sc = await startSidecar({ appId: 'X', httpPort: 0, resourcesPaths: [], registryDir, logger: silent, stores: [], ...o })
    t.teardown(() => sc.close())
    return sc
  }
  const a = await start({ appId, appPort: appA.port, stores: [makeStore()], appApiToken: 'abc' })
  await start({ appId: peerAppId, appPort: appB.port })
  const redis = storeKind === 'redis' ? new Redis(redisUrl as string) : undefined
  if (redis) t.teardown(() => { redis.disconnect() })
  return {
    name: `local sidecar, ${storeKind} store`,
    kind: 'local',
    storeKind,
    appId,
    peerAppId,
    store: 'S',
    runtimeVersion: '1.18.3',
    appA,
    appB,
    peerAppApiToken: undefined,
    apiToken: undefined,
    redis,
    call: (method, path, opts) => call(a.url, method, path, opts),
    async variant (v) {
      const stores = v.stores === 'none' ? [] : v.stores === 'non-transactional' ? [fakeStore('S', { features: ['ETAG'] })] : [makeStore()]
      const sc = await start({ appId: v.appId ?? `V${randomBytes(3).toString('hex')}`, stores, apiToken: v.apiToken, appApiToken: v.appApiToken, appPort: v.appPort, appHealth: v.appHealth, onShutdown: v.onShutdown })
      return { url: sc.url, appId: sc.appId, sidecar: sc }
    }
  }
}

async function daprdTarget (t: Test, env: NodeJS.ProcessEnv): Promise<Target> {
  const url = env.DAPR_CONFORMANCE_HTTP_ENDPOINT as string
  const apiToken = env.DAPR_CONFORMANCE_API_TOKEN || undefined
  const withToken = (h: Record<string, string | string[]> = {}): Record<string, string | string[]> => apiToken && !('dapr-api-token' in h) ? { ...h, 'dapr-api-token': apiToken } : h
  const appB = await startTestApp(Number(env.DAPR_CONFORMANCE_APP_PORT))
  t.teardown(() => appB.close())
  const appA = env.DAPR_CONFORMANCE_SELF_APP_PORT ? await startTestApp(Number(env.DAPR_CONFORMANCE_SELF_APP_PORT)) : undefined
  if (appA) t.teardown(() => appA.close())
  const store = env.DAPR_CONFORMANCE_STORE || 'statestore'
  const meta = JSON.parse((await call(url, 'GET', '/v1.0/metadata', { headers: withToken() })).body) as { runtimeVersion: string, components?: Array<{ name: string, type: string }> }
  const storeKind: StoreKind = (env.DAPR_CONFORMANCE_STORE_KIND as StoreKind | undefined) ??
    (meta.components?.find((c) => c.name === store)?.type === 'state.redis' ? 'redis' : 'in-memory')
  const redis = env.DAPR_CONFORMANCE_REDIS_URL ? new Redis(env.DAPR_CONFORMANCE_REDIS_URL) : undefined
  if (redis) t.teardown(() => { redis.disconnect() })
  return {
    name: `daprd ${meta.runtimeVersion} at ${url}, ${storeKind} store`,
    kind: 'daprd',
    storeKind,
    appId: env.DAPR_CONFORMANCE_APP_ID || 'A',
    peerAppId: env.DAPR_CONFORMANCE_PEER_APP_ID || 'B',
    store,
    runtimeVersion: meta.runtimeVersion,
    appA,
    appB,
    peerAppApiToken: env.DAPR_CONFORMANCE_PEER_APP_API_TOKEN || undefined,
    apiToken,
    redis,
    call: (method, path, opts = {}) => call(url, method, path, { ...opts, headers: withToken(opts.headers) }),
    variant: undefined
  }
}

/**
 * Runs `cases` once per available target, each in its own subtest; prints why a target is skipped.
 * @example
 * forEachTarget(t, async (t, target) => { t.test('1. ...', async (t) => { ... }) })
 */
export async function forEachTarget (t: Test, cases: (t: Test, target: Target) => Promise<void>, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await t.test('local sidecar, in-memory store', async (t) => { await cases(t, await localTarget(t, 'in-memory')) })
  await t.test('local sidecar, redis store', async (t) => {
    const url = env.REDIS_URL
    if (!url) {
      if (env.CI) t.fail('REDIS_URL is not set, and CI needs the Redis conformance run')
      else t.pass('skipped', { skip: 'REDIS_URL is not set: start a redis-server and export REDIS_URL=redis://127.0.0.1:<port>' })
      return
    }
    await cases(t, await localTarget(t, 'redis', url))
  })
  await t.test('real daprd', async (t) => {
    if (!env.DAPR_CONFORMANCE_HTTP_ENDPOINT || !env.DAPR_CONFORMANCE_APP_PORT) {
      t.pass('skipped', { skip: 'DAPR_CONFORMANCE_HTTP_ENDPOINT and DAPR_CONFORMANCE_APP_PORT are not set (see test/helpers/conformance.ts for the daprd set-up)' })
      return
    }
    await cases(t, await daprdTarget(t, env))
  })
}

/** Skips a case a target cannot run, with the reason. */
export function needsVariant (t: Test, target: Target): target is Target & { variant: NonNullable<Target['variant']> } {
  if (target.variant) return true
  t.pass('skipped', { skip: 'needs a dedicated sidecar set-up, which only the local target can start' })
  return false
}

/** Polls `fn` until it returns true (bounded; no timing is asserted). */
export async function eventually (fn: () => Promise<boolean>, timeoutMs = 15_000): Promise<boolean> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (await fn()) return true
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return false
}

export function body (r: RawResponse): any {
  return JSON.parse(r.body)
}

/** A loopback port nothing listens on (just released by the OS). */
export async function unusedPort (): Promise<number> {
  const { createServer } = await import('node:net')
  return await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}
