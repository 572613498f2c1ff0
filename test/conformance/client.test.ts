// Our typed client and the official @dapr/dapr SDK, each used as a client of the local
// sidecar (in-memory and Redis stores), and of a real daprd when one is configured
// (DAPR_CONFORMANCE_HTTP_ENDPOINT, see test/helpers/conformance.ts). The SDK is a
// devDependency used only here and in bench/: it proves a standard Dapr client works
// against our sidecar unchanged.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import t, { type Test } from 'tap'
import pino from 'pino'
import { CommunicationProtocolEnum, DaprClient, HttpMethod } from '@dapr/dapr'
import { createSidecarClient, SidecarEtagMismatchError, SidecarHttpError, SidecarInvokeError } from '../../src/sidecar/index.js'
import { startSidecar } from '../../local-dapr/src/sidecar/sidecar.js'
import { createInMemoryStore } from '../../local-dapr/src/sidecar/store/in-memory.js'
import { createRedisStore } from '../../local-dapr/src/sidecar/store/redis.js'
import { startTestApp } from '../../local-dapr/test/helpers/test-app.js'
import { redisHostOf } from '../../local-dapr/test/helpers/redis.js'

interface ClientTarget { name: string, url: string, store: string, peer: string, kind: 'in-memory' | 'redis' }

async function localTarget (t: Test, kind: 'in-memory' | 'redis'): Promise<ClientTarget> {
  const registryDir = await mkdtemp(join(tmpdir(), 'client-registry-'))
  const suffix = randomBytes(3).toString('hex')
  const store = kind === 'redis'
    ? createRedisStore({ name: 'statestore', version: 'v1', metadata: { redisHost: redisHostOf(process.env.REDIS_URL as string) } })
    : createInMemoryStore({ name: 'statestore', version: 'v1', metadata: {} })
  const app = await startTestApp()
  t.teardown(() => app.close())
  const silent = pino({ level: 'silent' })
  const a = await startSidecar({ appId: `client${suffix}`, httpPort: 0, resourcesPaths: [], registryDir, logger: silent, stores: [store] })
  const b = await startSidecar({ appId: `peer${suffix}`, httpPort: 0, resourcesPaths: [], registryDir, logger: silent, stores: [], appPort: app.port })
  t.teardown(() => a.close())
  t.teardown(() => b.close())
  return { name: `local sidecar, ${kind}`, url: a.url, store: 'statestore', peer: b.appId, kind }
}

async function targets (t: Test): Promise<ClientTarget[]> {
  const list = [await localTarget(t, 'in-memory')]
  if (process.env.REDIS_URL) list.push(await localTarget(t, 'redis'))
  else if (process.env.CI) t.fail('REDIS_URL is not set, and CI needs the Redis run')
  else t.pass('Redis run skipped', { skip: 'REDIS_URL is not set' })
  const env = process.env
  if (env.DAPR_CONFORMANCE_HTTP_ENDPOINT) {
    list.push({
      name: 'real daprd',
      url: env.DAPR_CONFORMANCE_HTTP_ENDPOINT,
      store: env.DAPR_CONFORMANCE_STORE || 'statestore',
      peer: env.DAPR_CONFORMANCE_PEER_APP_ID || 'B',
      kind: env.DAPR_CONFORMANCE_STORE_KIND === 'redis' ? 'redis' : 'in-memory'
    })
  }
  return list
}

t.test('our client against each sidecar', async (t) => {
  for (const target of await targets(t)) {
    await t.test(target.name, async (t) => {
      const client = createSidecarClient({ endpoint: target.url, env: {}, apiToken: process.env.DAPR_CONFORMANCE_API_TOKEN || undefined })
      t.teardown(() => client.close())
      const k = `client-${randomBytes(4).toString('hex')}`
      await client.waitForSidecar({ timeoutMs: 10_000 })
      await client.healthzOutbound()

      await client.state.save(target.store, { key: `${k}+a`, value: { n: 1, s: 'x' } })
      const first = await client.state.get<{ n: number }>(target.store, `${k}+a`)
      t.same(first?.value, { n: 1, s: 'x' }, 'a + in a key survives the round trip')
      t.type(first?.etag, 'string')
      t.equal(await client.state.get(target.store, `${k}-missing`), undefined)

      await client.state.save(target.store, { key: `${k}+a`, value: { n: 2 }, etag: first?.etag })
      await t.rejects(client.state.save(target.store, { key: `${k}+a`, value: { n: 3 }, etag: first?.etag }), SidecarEtagMismatchError, 'a stale ETag is a mismatch')
      const second = await client.state.get<{ n: number }>(target.store, `${k}+a`)
      t.same(second?.value, { n: 2 })
      await t.rejects(client.state.delete(target.store, `${k}+a`, { etag: first?.etag }), SidecarEtagMismatchError)

      const bulk = await client.state.getBulk(target.store, [`${k}-missing`, `${k}+a`])
      t.same(bulk.map((i) => [i.key, i.found]), [[`${k}-missing`, false], [`${k}+a`, true]])

      await client.state.transaction(target.store, [
        { operation: 'upsert', request: { key: `${k}-t1`, value: 't1' } },
        { operation: 'delete', request: { key: `${k}+a` } }
      ])
      t.equal((await client.state.get(target.store, `${k}-t1`))?.value, 't1')
      t.equal(await client.state.get(target.store, `${k}+a`), undefined)

      const counter = await Promise.all([1, 2, 3].map(async () => await client.state.update<number>(target.store, `${k}-counter`, (n) => (n ?? 0) + 1, { maxAttempts: 10 })))
      t.equal(counter.length, 3)
      t.equal((await client.state.get<number>(target.store, `${k}-counter`))?.value, 3, 'concurrent updates all land')

      await client.state.delete(target.store, `${k}-t1`)
      await t.rejects(client.state.get('nope', 'k'), { code: 'SIDECAR_ERR_HTTP', statusCode: 400, errorCode: 'ERR_STATE_STORE_NOT_FOUND' })
      const badKey = await client.state.save(target.store, { key: 'a||b', value: 1 }).catch((e: unknown) => e)
      t.ok(badKey instanceof SidecarHttpError && badKey.errorCode === 'ERR_MALFORMED_REQUEST')

      const echo = await client.invoke(target.peer, 'echo', { httpMethod: 'POST', body: { hello: 'world' }, query: { q: 'a b' } })
      t.equal(echo.statusCode, 200)
      t.same(echo.json(), { hello: 'world' })
      const status = await client.invoke(target.peer, 'status', { httpMethod: 'DELETE' })
      t.equal(status.statusCode, 409, 'the app\'s own error status is passed back, not thrown')
      await t.rejects(client.invoke('nosuchapp', 'x'), SidecarInvokeError)

      const metadata = await client.metadata()
      t.ok(metadata.components?.some((c) => c.name === target.store))
    })
  }
})

t.test('the official @dapr/dapr SDK against each sidecar', async (t) => {
  for (const target of await targets(t)) {
    await t.test(target.name, async (t) => {
      const url = new URL(target.url)
      const sdk = new DaprClient({
        daprHost: url.hostname,
        daprPort: url.port,
        communicationProtocol: CommunicationProtocolEnum.HTTP,
        daprApiToken: process.env.DAPR_CONFORMANCE_API_TOKEN || undefined,
        logger: { level: 0 } as never
      })
      t.teardown(() => sdk.stop())
      const k = `sdk-${randomBytes(4).toString('hex')}`
      await sdk.state.save(target.store, [{ key: `${k}-1`, value: { a: 1 } }, { key: `${k}-2`, value: 'two' }])
      t.same(await sdk.state.get(target.store, `${k}-1`), { a: 1 }, 'save and get')
      const bulk = await sdk.state.getBulk(target.store, [`${k}-1`, `${k}-2`]) as Array<{ key: string, data: unknown }>
      t.same(bulk.map((i) => [i.key, i.data]).sort(), [[`${k}-1`, { a: 1 }], [`${k}-2`, 'two']], 'bulk get')
      await sdk.state.transaction(target.store, [
        { operation: 'upsert', request: { key: `${k}-3`, value: 3 } },
        { operation: 'delete', request: { key: `${k}-2` } }
      ])
      t.equal(await sdk.state.get(target.store, `${k}-3`), 3, 'transaction upsert')
      t.notOk(await sdk.state.get(target.store, `${k}-2`), 'transaction delete')
      await sdk.state.delete(target.store, `${k}-1`)
      t.notOk(await sdk.state.get(target.store, `${k}-1`), 'delete')
      const echoed = await sdk.invoker.invoke(target.peer, 'echo', HttpMethod.POST, { hello: 'sdk' })
      t.same(echoed, { hello: 'sdk' }, 'invoke')
    })
  }
})
