import t, { type Test } from 'tap'
import { Cluster, Redis, ReplyError } from 'ioredis'
import { createServer, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  createRedisStore,
  DELETE_SCRIPT,
  parseRedisSettings,
  SET_SCRIPT,
  type RedisStore
} from '../../../src/sidecar/store/redis.js'
import { ComponentMetadataError } from '../../../src/sidecar/store/component.js'
import { StoreError, type SetRequest } from '../../../src/sidecar/store/types.js'
import { freePort, ownRedisServer, redisHostOf, redisUrlOrSkip } from '../../helpers/redis.js'

// This file owns Redis DB 13 of REDIS_URL (flushed before and after).
const DB = 13
const comp = (metadata: Record<string, string>, name = 'statestore') => ({ name, version: 'v1', metadata })
const set = (key: string, value: unknown, more: Partial<SetRequest> = {}): SetRequest => ({ key, value, metadata: {}, ...more })

async function rejectsKind (t: Test, p: Promise<unknown>, kind: StoreError['kind'], message?: string | RegExp): Promise<StoreError> {
  const err = await p.then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof StoreError, 'rejects with a StoreError')
  t.equal((err as StoreError).kind, kind, `kind ${kind}`)
  if (message !== undefined) t.match((err as StoreError).message, message)
  return err as StoreError
}

function logs () {
  const lines: Array<{ level: string, msg: string }> = []
  return {
    lines,
    logger: {
      info: (_o: object, msg: string) => { lines.push({ level: 'info', msg }) },
      warn: (_o: object, msg: string) => { lines.push({ level: 'warn', msg }) }
    }
  }
}

t.test('settings: go-redis defaults', async (t) => {
  const s = parseRedisSettings(comp({ redisHost: 'localhost' }))
  t.same(s, {
    type: 'node',
    nodes: [{ host: 'localhost', port: 6379 }],
    address: 'localhost:6379',
    username: undefined,
    password: undefined,
    db: 0,
    tls: undefined,
    ttlInSeconds: undefined,
    connectTimeoutMs: 5000,
    commandTimeoutMs: 3000,
    maxRetriesPerRequest: 3,
    minRetryIntervalMs: 8,
    maxRetryIntervalMs: 512,
    keyPrefix: undefined,
    actorStateStore: false
  })
})

t.test('settings: every supported field', async (t) => {
  const s = parseRedisSettings(comp({
    redisHost: 'cache.example.com',
    redisPort: '6380',
    redisPassword: 'pw',
    redisUsername: 'me',
    redisDB: '2',
    enableTLS: 'true',
    insecureSkipTLSVerify: 'true',
    ttlInSeconds: '60',
    dialTimeout: '2s',
    readTimeout: '500ms',
    writeTimeout: '750',
    maxRetries: '9',
    redisMaxRetries: '1',
    redisMinRetryInterval: '10ms',
    redisMaxRetryInterval: '1s',
    keyPrefix: 'NAME',
    actorStateStore: 'true',
    redisType: 'NODE'
  }))
  t.match(s, {
    type: 'node',
    nodes: [{ host: 'cache.example.com', port: 6380 }],
    username: 'me',
    password: 'pw',
    db: 2,
    tls: { rejectUnauthorized: false },
    ttlInSeconds: 60,
    connectTimeoutMs: 2000,
    commandTimeoutMs: 750,
    maxRetriesPerRequest: 1,
    minRetryIntervalMs: 10,
    maxRetryIntervalMs: 1000,
    keyPrefix: 'name',
    actorStateStore: true
  })
  t.same(parseRedisSettings(comp({ redisHost: 'h:1', enableTLS: 'true' })).tls, { rejectUnauthorized: true })
  t.equal(parseRedisSettings(comp({ redisHost: 'h:1', maxRetries: '5' })).maxRetriesPerRequest, 5, 'legacy alias')
  t.same(parseRedisSettings(comp({ redisHost: '[::1]:7000' })).nodes, [{ host: '::1', port: 7000 }])
  t.same(parseRedisSettings(comp({ redisHost: 'h:1', redisPassword: '', redisUsername: '', redisType: '' })).password, undefined)
})

t.test('settings: 0 means default, -1 disables', async (t) => {
  const zero = parseRedisSettings(comp({ redisHost: 'h', dialTimeout: '0', readTimeout: '0', writeTimeout: '' }))
  t.equal(zero.connectTimeoutMs, 5000)
  t.equal(zero.commandTimeoutMs, 3000)
  const off = parseRedisSettings(comp({ redisHost: 'h', dialTimeout: '-1', readTimeout: '-1', redisMaxRetries: '-1', redisMinRetryInterval: '-1', redisMaxRetryInterval: '-1' }))
  t.equal(off.connectTimeoutMs, 0)
  t.equal(off.commandTimeoutMs, undefined)
  t.equal(off.maxRetriesPerRequest, 0)
  t.equal(off.minRetryIntervalMs, 0)
  t.equal(off.maxRetryIntervalMs, 0)
  t.equal(parseRedisSettings(comp({ redisHost: 'h', writeTimeout: '-1' })).commandTimeoutMs, undefined)
})

t.test('settings: cluster takes a host list', async (t) => {
  const s = parseRedisSettings(comp({ redisHost: 'a:7000, b:7001,c', redisType: 'cluster' }))
  t.same(s.nodes, [{ host: 'a', port: 7000 }, { host: 'b', port: 7001 }, { host: 'c', port: 6379 }])
  t.equal(s.address, 'a:7000,b:7001,c:6379')
})

t.test('settings: mistakes name the field', async (t) => {
  const cases: Array<[Record<string, string>, string, RegExp]> = [
    [{}, 'redisHost', /'redisHost' is required/],
    [{ redisHost: '' }, 'redisHost', /is required/],
    [{ redisHost: ':6379' }, 'redisHost', /no host/],
    [{ redisHost: 'a,b' }, 'redisHost', /redisType 'cluster'/],
    [{ redisHost: 'h', redisType: 'sentinel' }, 'redisType', /'sentinel' is not supported/],
    [{ redisHost: 'h', redisDB: 'one' }, 'redisDB', /strconv.Atoi/],
    [{ redisHost: 'h', enableTLS: 'yes' }, 'enableTLS', /ParseBool/],
    [{ redisHost: 'h', dialTimeout: '5 seconds' }, 'dialTimeout', /invalid duration/],
    [{ redisHost: 'h', failover: 'true' }, 'failover', /unknown metadata field 'failover'/]
  ]
  for (const [metadata, field, message] of cases) {
    const err = t.throws(() => createRedisStore(comp(metadata))) as ComponentMetadataError
    t.equal(err.field, field, JSON.stringify(metadata))
    t.match(err.message, message)
  }
})

t.test('describes itself as daprd lists it', async (t) => {
  const store = createRedisStore(comp({ redisHost: 'localhost:1', keyPrefix: 'App', actorStateStore: 'true' }))
  t.teardown(() => store.close())
  t.equal(store.name, 'statestore')
  t.equal(store.type, 'state.redis')
  t.equal(store.version, 'v1')
  t.same(store.features, ['ETAG', 'TRANSACTIONAL', 'TTL', 'KEYS_LIKE'])
  t.equal(store.keyPrefix, 'app')
  t.equal(store.actorStateStore, true)
})

t.test('TLS options: verification on unless insecureSkipTLSVerify; SNI from the configured host', async (t) => {
  const node = createRedisStore(comp({ redisHost: 'cache.example.com:6380', enableTLS: 'true' }))
  t.teardown(() => node.close())
  t.same((node.client as Redis).options.tls, { rejectUnauthorized: true, servername: 'cache.example.com' })
  const cluster = createRedisStore(comp({ redisHost: 'clustercfg.example.com:6379', enableTLS: 'true', insecureSkipTLSVerify: 'true', redisType: 'cluster' }))
  t.teardown(() => cluster.close())
  const options = (cluster.client as Cluster).options
  t.same(options.redisOptions?.tls, { rejectUnauthorized: false })
  // ElastiCache: the host name must survive DNS so TLS checks the certificate against it.
  const resolved = await new Promise((resolve) => { options.dnsLookup?.('clustercfg.example.com', (_err, address) => { resolve(address) }) })
  t.equal(resolved, 'clustercfg.example.com')
  t.equal((createRedisStore(comp({ redisHost: 'h:1', redisType: 'cluster' })).client as Cluster).options.redisOptions?.tls, undefined)
})

t.test('Redis down: init fails naming the component and host; calls fail fast as unavailable', async (t) => {
  const port = await freePort()
  const store = createRedisStore(comp({ redisHost: `127.0.0.1:${port}` }, 'orders'))
  t.teardown(() => store.close())
  await rejectsKind(t, store.init(), 'unavailable', new RegExp(`state store orders \\(state\\.redis\\): error connecting to redis at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`))

  const never = createRedisStore(comp({ redisHost: `127.0.0.1:${port}` }))
  t.teardown(() => never.close())
  await rejectsKind(t, never.get('k', {}), 'unavailable', /is unavailable/)
  await rejectsKind(t, never.set(set('k', 1)), 'unavailable')
  await rejectsKind(t, never.set(set('k', 1, { etag: '1' })), 'unavailable')
  await rejectsKind(t, never.delete({ key: 'k', metadata: {} }), 'unavailable')
  await rejectsKind(t, never.multi([{ operation: 'upsert', request: set('k', 1) }], {}), 'unavailable')
  await rejectsKind(t, never.ping(), 'unavailable')
  const items = await never.bulkGet(['a', 'b'], {})
  t.same(items.map((i) => i.key), ['a', 'b'])
  t.match(items[0]?.error, /is unavailable/, 'bulk get reports the failure per key, as daprd')
})

t.test('a server that accepts and never answers cannot hang init', async (t) => {
  const sockets: Socket[] = []
  const silent = createServer((s) => { sockets.push(s) })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { for (const s of sockets) s.destroy(); silent.close() })
  const { port } = silent.address() as { port: number }
  const store = createRedisStore(comp({ redisHost: `127.0.0.1:${port}`, dialTimeout: '200ms', readTimeout: '200ms' }))
  t.teardown(() => store.close())
  await rejectsKind(t, store.init(), 'unavailable', /error connecting to redis at 127\.0\.0\.1:\d+: /)
})

t.test('against Redis', async (t) => {
  const url = redisUrlOrSkip(t)
  if (url === undefined) return
  const raw = new Redis(url, { db: DB })
  await raw.flushdb()
  t.teardown(async () => { await raw.flushdb(); raw.disconnect() })
  const meta = (more: Record<string, string> = {}) => ({ redisHost: redisHostOf(url), redisDB: String(DB), ...more })
  const open = async (t: Test, more: Record<string, string> = {}): Promise<RedisStore> => {
    const store = createRedisStore(comp(meta(more)))
    t.teardown(() => store.close())
    await store.init()
    return store
  }

  t.test('init and ping, also with timeouts disabled', async (t) => {
    const store = await open(t)
    await store.ping()
    const unbounded = await open(t, { dialTimeout: '-1', readTimeout: '-1' })
    await unbounded.ping()
  })

  t.test('interop: the hash daprd writes, version as etag, JSON.stringify bytes', async (t) => {
    const store = await open(t)
    await store.set(set('nodeapp||k', { b: '<1>', a: 1.5 }))
    t.same(await raw.hgetall('nodeapp||k'), { data: '{"b":"<1>","a":1.5}', version: '1' }, 'exactly data and version')
    const got = await store.get('nodeapp||k', {})
    t.equal(got?.data.toString(), '{"b":"<1>","a":1.5}')
    t.equal(got?.etag, '1')
    t.equal(got?.metadata, undefined, 'no ttlExpireTime from Redis')
    await store.set(set('nodeapp||k', 'hello'))
    t.same(await raw.hgetall('nodeapp||k'), { data: '"hello"', version: '2' }, 'version increments')
    await store.set(set('nodeapp||n', undefined))
    t.equal(await raw.hget('nodeapp||n', 'data'), 'null')
  })

  t.test('interop: a hash written the way daprd does is read and updated', async (t) => {
    const store = await open(t)
    await raw.hset('nodeapp||byhand', 'data', '{"id":7}', 'version', '41')
    const got = await store.get('nodeapp||byhand', {})
    t.equal(got?.data.toString(), '{"id":7}')
    t.equal(got?.etag, '41')
    await rejectsKind(t, store.set(set('nodeapp||byhand', 1, { etag: '40' })), 'etag-mismatch', /failed to set key nodeapp\|\|byhand/)
    await store.set(set('nodeapp||byhand', 1, { etag: '41' }))
    t.same(await raw.hgetall('nodeapp||byhand'), { data: '1', version: '42' })
  })

  t.test('etag rules of the SET script', async (t) => {
    const store = await open(t)
    await store.set(set('e||new', 1, { etag: '5' }))
    t.equal(await raw.hget('e||new', 'version'), '1', 'an etag on a missing key creates it at version 1')
    await rejectsKind(t, store.set(set('e||new', 2, { etag: 'abc' })), 'etag-invalid', 'strconv.Atoi: parsing "abc": invalid syntax')
    await rejectsKind(t, store.set(set('e||new', 2, { etag: '99999999999999999999' })), 'etag-invalid', /value out of range/)
    await store.set(set('e||new', 2, { etag: 'abc', options: { concurrency: 'last-write' } }))
    t.equal(await raw.hget('e||new', 'version'), '2', 'last-write ignores the etag')
    await rejectsKind(t, store.set(set('e||new', 3, { etag: '1' })), 'etag-mismatch')
    await store.set(set('e||new', 3, { etag: '+2' }))
    t.equal(await raw.hget('e||new', 'version'), '3', 'the etag is read as an integer')
    await store.set(set('e||new', 4, { etag: '' }))
    t.equal(await raw.hget('e||new', 'data'), '4', 'an empty etag is no etag')
    await rejectsKind(t, store.set(set('e||new', 1, { options: { concurrency: 'first' } })), 'failed', "unrecognized concurrency model 'first'")
  })

  t.test('first-write: flags the key; later etag-less writes fail as failed, not mismatch', async (t) => {
    const store = await open(t)
    await store.set(set('fw||k', 1))
    await store.set(set('fw||k', 2, { options: { concurrency: 'first-write' } }))
    t.same(await raw.hgetall('fw||k'), { data: '2', version: '2', 'first-write': '0' })
    await rejectsKind(t, store.set(set('fw||k', 3)), 'failed', /^failed to set key fw\|\|k: .*failed to set key fw\|\|k/)
    await rejectsKind(t, store.set(set('fw||k', 3, { options: { concurrency: 'last-write' } })), 'failed')
    await rejectsKind(t, store.set(set('fw||k', 3, { etag: '1', options: { concurrency: 'last-write' } })), 'etag-mismatch')
    await store.set(set('fw||k', 3, { etag: '2' }))
    t.equal(await raw.hget('fw||k', 'version'), '3')
  })

  t.test('keys that are not daprd hashes', async (t) => {
    const store = await open(t)
    await raw.set('w||plain', 'raw bytes')
    t.same(await store.get('w||plain', {}), { data: Buffer.from('raw bytes') }, 'a string key is read with GET, no etag')
    await store.set(set('w||plain', 1))
    t.same(await raw.hgetall('w||plain'), { data: '1', version: '1' }, 'WRONGTYPE key is replaced')
    await raw.rpush('w||list', 'x')
    await rejectsKind(t, store.get('w||list', {}), 'failed', /WRONGTYPE/)
    await raw.hset('w||partial', 'data', '1')
    await rejectsKind(t, store.get('w||partial', {}), 'failed', "required hash field 'data' or 'version' was not found")
    t.equal(await store.get('w||missing', {}), undefined)
    // The key can vanish between HGETALL failing and the GET fallback.
    const client = store.client as Redis
    const hgetall = client.hgetallBuffer.bind(client)
    client.hgetallBuffer = (async () => { throw new (ReplyError as typeof Error)('WRONGTYPE Operation against a key holding the wrong kind of value') }) as unknown as typeof client.hgetallBuffer
    t.teardown(() => { client.hgetallBuffer = hgetall })
    t.equal(await store.get('w||gone', {}), undefined)
  })

  t.test('TTL: request value, else component default; >0 EXPIRE, <=0 PERSIST', async (t) => {
    const store = await open(t)
    await store.set(set('ttl||k', 1, { metadata: { ttlInSeconds: '100' } }))
    const ttl = await raw.ttl('ttl||k')
    t.ok(ttl > 0 && ttl <= 100, `EXPIRE applied (${ttl})`)
    await store.set(set('ttl||k', 2))
    t.ok(await raw.ttl('ttl||k') > 0, 'a write without TTL keeps the expiry')
    await store.set(set('ttl||k', 3, { metadata: { ttlInSeconds: '-1' } }))
    t.equal(await raw.ttl('ttl||k'), -1, 'PERSIST removed it')
    await store.set(set('ttl||k', 4, { metadata: { ttlInSeconds: '0' } }))
    t.equal(await raw.ttl('ttl||k'), -1)

    const withDefault = await open(t, { ttlInSeconds: '50' })
    await withDefault.set(set('ttl||d', 1))
    const d = await raw.ttl('ttl||d')
    t.ok(d > 0 && d <= 50, `component default applied (${d})`)
    await withDefault.set(set('ttl||d', 1, { metadata: { ttlInSeconds: '0' } }))
    t.equal(await raw.ttl('ttl||d'), -1, 'the request wins')

    await rejectsKind(t, store.set(set('ttl||bad', 1, { metadata: { ttlInSeconds: 'soon' } })), 'failed',
      'failed to parse ttl from metadata: incorrect value for metadata \'ttlInSeconds\': strconv.ParseInt: parsing "soon": invalid syntax')
    await rejectsKind(t, store.set(set('ttl||bad', 1, { metadata: { ttlInSeconds: '9223372036854775808' } })), 'failed', /value out of range/)
    t.equal(await raw.exists('ttl||bad'), 0, 'nothing written')
    await rejectsKind(t, store.set(set('ttl||huge', 1, { metadata: { ttlInSeconds: '9223372036854775807' } })), 'failed', /^failed to set key ttl\|\|huge ttl: .*invalid expire time/)
    t.equal(await raw.hget('ttl||huge', 'data'), '1', 'the value was written: EXPIRE is a second command, as in daprd')
  })

  t.test('delete: the DELETE script rules', async (t) => {
    const store = await open(t)
    await store.delete({ key: 'd||missing', metadata: {} })
    await store.delete({ key: 'd||missing', etag: '1', metadata: {} })
    await store.set(set('d||k', 1))
    await store.set(set('d||k', 2))
    await rejectsKind(t, store.delete({ key: 'd||k', etag: '1', metadata: {} }), 'etag-mismatch', /failed to delete d\|\|k/)
    await rejectsKind(t, store.delete({ key: 'd||k', metadata: {}, options: { consistency: 'x' } }), 'failed', "unrecognized consistency model 'x'")
    t.equal(await raw.exists('d||k'), 1)
    await store.delete({ key: 'd||k', etag: '2', metadata: {} })
    t.equal(await raw.exists('d||k'), 0)
    await store.set(set('d||k', 1))
    await store.delete({ key: 'd||k', etag: '', metadata: {}, options: { concurrency: 'first-write' } })
    t.equal(await raw.exists('d||k'), 0, 'no etag: deleted whatever the concurrency')
  })

  t.test('bulkGet: request order, missing keys bare, per-key errors, parallelism', async (t) => {
    const store = await open(t)
    await store.set(set('b||a', { x: 1 }))
    await store.set(set('b||c', 3))
    await raw.rpush('b||list', 'x')
    const keys = ['b||c', 'b||missing', 'b||a', 'b||list']
    for (const parallelism of [undefined, 0, 1, 2, 100]) {
      const items = await store.bulkGet(keys, {}, parallelism)
      t.same(items.map((i) => i.key), keys, `order with parallelism ${String(parallelism)}`)
      t.same(items[0], { key: 'b||c', data: Buffer.from('3'), etag: '1' })
      t.same(items[1], { key: 'b||missing' })
      t.same(items[2], { key: 'b||a', data: Buffer.from('{"x":1}'), etag: '1' })
      t.match(items[3], { key: 'b||list', error: /WRONGTYPE/ })
    }
    t.same(await store.bulkGet([], {}), [])
  })

  t.test('multi: MULTI/EXEC, TTL per operation, no first-write flag, no rollback', async (t) => {
    const store = await open(t)
    await store.set(set('m||k1', 'old'))
    await store.set(set('m||k2', 'two'))
    await store.multi([
      { operation: 'upsert', request: set('m||k1', 'new', { etag: '1', metadata: { ttlInSeconds: '100' } }) },
      { operation: 'delete', request: { key: 'm||k2', metadata: {} } },
      { operation: 'upsert', request: set('m||k3', [3], { options: { concurrency: 'first-write' }, metadata: { ttlInSeconds: '-1' } }) }
    ], { ttlInSeconds: '5' })
    t.same(await raw.hgetall('m||k1'), { data: '"new"', version: '2' })
    t.ok(await raw.ttl('m||k1') > 0)
    t.equal(await raw.exists('m||k2'), 0)
    t.same(await raw.hgetall('m||k3'), { data: '[3]', version: '1' }, 'no first-write field inside a transaction')

    const err = await rejectsKind(t, store.multi([
      { operation: 'upsert', request: set('m||k1', 'newer', { etag: '1' }) },
      { operation: 'upsert', request: set('m||k4', 4) },
      { operation: 'delete', request: { key: 'm||k3', etag: '7', metadata: {} } }
    ], {}), 'failed', /failed to set key m\|\|k1/)
    t.equal(err.kind, 'failed')
    t.equal(await raw.hget('m||k4', 'data'), '4', 'the other operations still applied (no rollback, as daprd)')
    t.equal(await raw.hget('m||k1', 'data'), '"new"')

    await rejectsKind(t, store.multi([
      { operation: 'upsert', request: set('m||k5', 5) },
      { operation: 'upsert', request: set('m||k6', 6, { etag: 'x' }) }
    ], {}), 'etag-invalid')
    await rejectsKind(t, store.multi([
      { operation: 'upsert', request: set('m||k5', 5) },
      { operation: 'upsert', request: set('m||k6', 6, { metadata: { ttlInSeconds: 'x' } }) }
    ], {}), 'failed')
    t.equal(await raw.exists('m||k5'), 0, 'parse errors stop the transaction before anything is sent')

    const withDefault = await open(t, { ttlInSeconds: '50' })
    await withDefault.multi([{ operation: 'upsert', request: set('m||k7', 7) }], {})
    t.ok(await raw.ttl('m||k7') > 0, 'component TTL applies in transactions')
    await store.multi([], {})
  })
})

t.test('Redis stops and comes back: fast unavailable, then reconnects by itself', async (t) => {
  let server
  try {
    server = await ownRedisServer(t)
  } catch (err) {
    if (process.env.CI !== undefined && process.env.CI !== '') throw err
    t.pass('no redis-server binary to start', { skip: (err as Error).message })
    return
  }
  const { lines, logger } = logs()
  const store = createRedisStore(comp({ redisHost: `127.0.0.1:${server.port}`, readTimeout: '1s' }), { logger })
  t.teardown(() => store.close())
  await store.init()
  await store.set(set('r||k', 1))

  await server.stop()
  let down: unknown
  for (let i = 0; i < 200 && down === undefined; i++) {
    down = await store.ping().then(() => undefined, (e: unknown) => e)
    if (down === undefined) await sleep(10)
  }
  t.equal((down as StoreError).kind, 'unavailable', 'ping reports the outage')
  await rejectsKind(t, store.set(set('r||k', 2)), 'unavailable')
  await rejectsKind(t, store.delete({ key: 'r||k', etag: '1', metadata: {} }), 'unavailable', /is unavailable/)

  await server.start()
  let up = false
  for (let i = 0; i < 1000 && !up; i++) {
    up = await store.ping().then(() => true, () => false)
    if (!up) await sleep(10)
  }
  t.ok(up, 'reconnected without help')
  await store.set(set('r||k', 3))
  t.equal((await store.get('r||k', {}))?.etag, '1', 'the restarted server is empty (no persistence)')
  t.same(lines.map((l) => l.level + ' ' + l.msg), ['warn redis connection lost', 'info redis connection ready'])
})

t.test('redisType cluster: a one-node cluster of our own', async (t) => {
  let server
  try {
    server = await ownRedisServer(t, ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-announce-ip', '127.0.0.1'])
  } catch (err) {
    if (process.env.CI !== undefined && process.env.CI !== '') throw err
    t.pass('no redis-server binary to start', { skip: (err as Error).message })
    return
  }
  const admin = new Redis({ port: server.port, host: '127.0.0.1' })
  t.teardown(() => admin.disconnect())
  await admin.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383')
  for (let i = 0; i < 500 && !(await admin.call('CLUSTER', 'INFO') as string).includes('cluster_state:ok'); i++) await sleep(10)

  const store = createRedisStore(comp({ redisHost: `127.0.0.1:${server.port}`, redisType: 'cluster' }))
  t.teardown(() => store.close())
  await store.init()
  await store.set(set('nodeapp||c', { a: 1 }))
  t.same(await admin.hgetall('nodeapp||c'), { data: '{"a":1}', version: '1' })
  t.equal((await store.get('nodeapp||c', {}))?.etag, '1')
  await store.multi([{ operation: 'upsert', request: set('nodeapp||c', 2, { etag: '1' }) }], {})
  t.equal(await admin.hget('nodeapp||c', 'version'), '2')
  await store.ping()
})

t.test('the scripts are the ones daprd runs', async (t) => {
  t.match(SET_SCRIPT, 'return redis.call("HINCRBY", KEYS[1], "version", 1)')
  t.match(DELETE_SCRIPT, 'ARGV[1] == "0"')
})
