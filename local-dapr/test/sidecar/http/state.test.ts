import t from 'tap'
import { fakeStore } from '../../helpers/fake-store.js'
import { startApi } from '../../helpers/api-server.js'
import { call, json } from '../../helpers/http-call.js'
import { modifiedKey, originalKey, respondOrFail } from '../../../src/sidecar/http/state.js'
import type { ApiRequest } from '../../../src/sidecar/http/context.js'

const J = { 'content-type': 'application/json' }

t.test('store lookup: none configured, unknown name', async (t) => {
  const none = await startApi(t)
  const r = await call(none.url, 'POST', '/v1.0/state/mystore', { body: '' })
  t.equal(r.status, 500)
  t.equal(r.body, '{"errorCode":"ERR_STATE_STORE_NOT_CONFIGURED","message":"state store mystore is not configured","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","domain":"dapr.io","metadata":{"appID":"A"},"reason":"DAPR_STATE_NOT_CONFIGURED"}]}')
  const api = await startApi(t, { stores: [fakeStore('S')] })
  for (const [m, p] of [['POST', '/v1.0/state/nope'], ['GET', '/v1.0/state/nope/k'], ['DELETE', '/v1.0/state/nope/k'], ['POST', '/v1.0/state/nope/bulk'], ['POST', '/v1.0/state/nope/transaction']] as const) {
    const e = await call(api.url, m, p, { body: '' })
    t.equal(e.status, 400, `${m} ${p}`)
    t.equal(json(e).errorCode, 'ERR_STATE_STORE_NOT_FOUND')
    t.same(json(e).details[0].metadata, { appID: 'A' })
  }
  const noId = await startApi(t, { appId: '' })
  t.equal(json(await call(noId.url, 'POST', '/v1.0/state/x', { body: '[]' })).details[0].metadata, null)
})

t.test('key prefixing strategies', async (t) => {
  const opts = (appId: string, keyNamespace = '') => ({ appId, keyNamespace, stores: new Map() })
  t.equal(modifiedKey('k', fakeStore('S'), opts('A')), 'A||k')
  t.equal(modifiedKey('k', fakeStore('S'), opts('')), 'k')
  t.equal(modifiedKey('k', fakeStore('S', { keyPrefix: 'name' }), opts('A')), 'S||k')
  t.equal(modifiedKey('k', fakeStore('S', { keyPrefix: 'namespace' }), opts('A', 'ns')), 'ns.A||k')
  t.equal(modifiedKey('k', fakeStore('S', { keyPrefix: 'namespace' }), opts('A')), 'A||k')
  t.equal(modifiedKey('k', fakeStore('S', { keyPrefix: 'none' }), opts('A')), 'k')
  t.equal(modifiedKey('k', fakeStore('S', { keyPrefix: 'custom' }), opts('A')), 'custom||k')
  t.throws(() => modifiedKey('k', fakeStore('S', { keyPrefix: 'a||b' }), opts('A')), { code: 'ERR_MALFORMED_REQUEST' })
  t.throws(() => modifiedKey('a||b', fakeStore('S'), opts('A')), { code: 'ERR_MALFORMED_REQUEST' })
  t.equal(originalKey('A||k||x'), 'k||x')
  t.equal(originalKey('plain'), 'plain')
})

t.test('save, get, delete', async (t) => {
  const store = fakeStore('S')
  const api = await startApi(t, { stores: [store] })
  let r = await call(api.url, 'POST', '/v1.0/state/S?metadata.ttlInSeconds=9', { body: '[{"key":"k","value":{"a":1},"metadata":{"x":"1","ttlInSeconds":"1"}}]', headers: J })
  t.equal(r.status, 204)
  t.equal(r.headers['content-type'], undefined)
  t.same((store.calls[0]?.arg as any).metadata, { x: '1', ttlInSeconds: '9' })
  r = await call(api.url, 'GET', '/v1.0/state/S/k?metadata.m=1')
  t.equal(r.status, 200)
  t.equal(r.body, '{"a":1}')
  t.equal(r.headers.etag, store.data.get('A||k')?.etag)
  t.ok(r.rawHeaders.includes('Metadata.ttlexpiretime'))
  t.equal(r.headers['content-type'], 'application/json')
  t.equal((await call(api.url, 'GET', '/v1.0/state/S/missing')).status, 204)
  await call(api.url, 'PUT', '/v1.0/state/S/', { body: '[{"KEY":"plain"}]' })
  r = await call(api.url, 'GET', '/v1.0/state/S/plain')
  t.equal(r.body, 'null')
  t.equal(r.headers.etag, undefined)
  store.failNext = { op: 'get', kind: 'failed', message: 'boom' }
  r = await call(api.url, 'GET', '/v1.0/state/S/k')
  t.same(json(r), { errorCode: 'ERR_STATE_GET', message: 'fail to get k from state store S: boom' })
  t.equal((await call(api.url, 'GET', '/v1.0/state/S/a||b')).status, 400)

  r = await call(api.url, 'DELETE', '/v1.0/state/S/k', { headers: { 'if-match': 'stale' } })
  t.equal(r.status, 409)
  t.match(json(r).message, /^failed deleting state with key k: possible etag mismatch. error from state store: state etag not match/)
  t.equal((await call(api.url, 'DELETE', '/v1.0/state/S/k?concurrency=first-write&consistency=strong', { headers: { 'if-match': '' } })).status, 204)
  t.same((store.calls.at(-1)?.arg as any).options, { concurrency: 'first-write', consistency: 'strong' })
  t.equal((store.calls.at(-1)?.arg as any).etag, undefined)
  t.equal((await call(api.url, 'DELETE', '/v1.0/state/S/k')).status, 204)
  store.failNext = { op: 'delete', kind: 'plain', message: 'down' }
  r = await call(api.url, 'DELETE', '/v1.0/state/S/k')
  t.same([r.status, json(r).errorCode], [500, 'ERR_STATE_DELETE'])
  t.equal((await call(api.url, 'DELETE', '/v1.0/state/S/a%7C%7Cb')).status, 400)
})

t.test('save validation and errors', async (t) => {
  const store = fakeStore('S')
  const api = await startApi(t, { stores: [store] })
  const save = (body: string) => call(api.url, 'POST', '/v1.0/state/S', { body })
  for (const body of ['', '""', '{}', 'foobar', '[{}]', '[{"key":"k","value":1},]', '[{"key":"k","etag":123}]', '[{"ey":"k"}]', '[{"key":"k","metadata":{"ttlInSeconds":3}}]', '[1]', '[{"key":1}]', '[{"key":"k","metadata":[]}]', '[{"key":"k","options":1}]', '[{"key":"k","options":{"Concurrency":1}}]', '[', '[null]']) {
    const r = await save(body)
    t.equal(r.status, 400, body)
    t.equal(json(r).errorCode, 'ERR_MALFORMED_REQUEST')
    t.notOk(r.body.endsWith('\n'))
  }
  t.equal(json(await save('')).message, 'EOF')
  t.equal(json(await save('{}')).message, 'json: cannot unmarshal object into Go value of type []state.SetRequest')
  t.equal(json(await save('[{}]')).message, '"key" is a required field')
  t.equal((await save('[]')).status, 204)
  t.equal((await save('null')).status, 204)
  t.equal((await save('[{"key":"k","metadata":{"n":null},"options":{"concurrency":"first-write"}}]')).status, 204)
  const illegal = await save('[{"key":"ke||y1","value":"v"}]')
  t.equal(illegal.status, 400)
  t.same(json(illegal).details.map((d: any) => d['@type'].split('.').pop()), ['BadRequest', 'ResourceInfo', 'ErrorInfo'])
  t.equal(store.data.size, 1)

  const etag = store.data.get('A||k')?.etag
  t.equal((await save(`[{"key":"k","value":2,"etag":"${etag}"}]`)).status, 204)
  let r = await save('[{"key":"k","value":3,"etag":"stale"}]')
  t.equal(r.status, 409)
  t.match(json(r).message, /^failed saving state in state store S: possible etag mismatch. error from state store: /)
  r = await save('[{"key":"k","value":3,"etag":"invalid"}]')
  t.equal(r.status, 400)
  t.match(json(r).message, /invalid etag value: strconv/)
  store.failNext = { op: 'set', kind: 'failed', message: 'nope' }
  r = await save('[{"key":"k","value":3}]')
  t.same([r.status, json(r).message], [500, 'failed saving state in state store S: nope'])

  t.equal((await save('[{"key":"a","value":1},{"key":"b","value":2}]')).status, 204)
  r = await save('[{"key":"a","value":1},{"key":"b","value":2,"etag":"stale"}]')
  t.equal(r.status, 409)
  t.match(json(r).message, /possible etag mismatch. error from state store: possible etag mismatch. error from state store: /)
  r = await save('[{"key":"a","value":1,"etag":"invalid"},{"key":"b","value":2,"etag":"stale"}]')
  t.equal(r.status, 400)
  store.failNext = { op: 'set', kind: 'unavailable', message: 'gone' }
  r = await save('[{"key":"a","value":1},{"key":"b","value":2}]')
  t.same([r.status, json(r).message], [500, 'failed saving state in state store S: gone'])
})

t.test('bulk get', async (t) => {
  const store = fakeStore('S')
  const api = await startApi(t, { stores: [store] })
  await call(api.url, 'POST', '/v1.0/state/S', { body: '[{"key":"k","value":{"a":"<"}},{"key":"meta","value":1}]' })
  const bulk = (body: string, q = '') => call(api.url, 'POST', '/v1.0/state/S/bulk' + q, { body })
  let r = await bulk('{"keys":["k","missing","broken","meta","empty",null],"parallelism":10,"metadata":{"x":"1"}}', '?metadata.y=2')
  t.equal(r.status, 200)
  t.ok(r.body.endsWith('\n'))
  const etag = store.data.get('A||k')?.etag as string
  t.equal(r.body, `[{"key":"k","data":{"a":"\\u003c"},"etag":"${etag}"},{"key":"missing"},{"key":"broken","error":"broken item"},{"key":"meta","data":1,"etag":"${store.data.get('A||meta')?.etag as string}","metadata":{"a":"1","b":"2"}},{"key":"empty"},{"key":""}]\n`)
  t.same(store.calls.at(-1), { op: 'bulkGet', arg: { keys: ['A||k', 'A||missing', 'A||broken', 'A||meta', 'A||empty', 'A||'], parallelism: 10 }, metadata: { x: '1', y: '2' } })
  for (const b of ['{}', '{"keys":[]}', 'null']) t.equal((await bulk(b)).body, '[]\n')
  for (const b of ['not json', '[]', '{"keys":"k"}', '{"keys":[1]}', '{"keys":["k"],"parallelism":1.5}', '{"keys":["k"],"metadata":{"a":1}}']) {
    r = await bulk(b)
    t.equal(r.status, 400, b)
    t.match(json(r).message, /^failed deserializing HTTP body: /)
  }
  t.equal((await bulk('{"keys":["a||b"]}')).status, 400)
  r = await bulk('{"keys":["badjson"]}')
  t.same([r.status, r.body], [200, ''])
  store.failNext = { op: 'bulkGet', kind: 'failed', message: 'bulk down' }
  r = await bulk('{"keys":["k"]}')
  t.same(json(r), { errorCode: 'ERR_STATE_BULK_GET', message: 'bulk down' })
  t.equal((await call(api.url, 'GET', '/v1.0/state/S/bulk')).status, 204, 'GET .../bulk reads the key "bulk"')
})

t.test('transactions', async (t) => {
  const store = fakeStore('S')
  const plain = fakeStore('P', { features: ['ETAG'] })
  const api = await startApi(t, { stores: [store, plain] })
  const tx = (body: string, q = '', s = 'S') => call(api.url, 'POST', `/v1.0/state/${s}/transaction${q}`, { body })
  let r = await tx('{}', '', 'P')
  t.equal(r.status, 500)
  t.equal(json(r).message, "state store P doesn't support transactions")
  t.equal(json(r).details.length, 3)
  await call(api.url, 'POST', '/v1.0/state/S', { body: '[{"key":"k2","value":1}]' })
  r = await tx('{"metadata":{"ttlInSeconds":"60"},"operations":[{"operation":"upsert","request":{"key":"k1","value":"v1","metadata":{"a":"b"}}},{"operation":"delete","request":{"key":"k2"}}]}', '?metadata.u=1')
  t.equal(r.status, 204)
  const last = store.calls.at(-1) as any
  t.same(last.metadata, { ttlInSeconds: '60', u: '1' })
  t.same(last.arg[0].request, { key: 'A||k1', etag: undefined, metadata: { a: 'b', u: '1' }, options: undefined, value: 'v1' })
  t.same(last.arg[1], { operation: 'delete', request: { key: 'A||k2', etag: undefined, metadata: { u: '1' }, options: undefined } })
  t.notOk(store.data.has('A||k2'))
  for (const b of ['{"operations":[]}', '{}', 'null']) t.equal((await tx(b)).status, 204, b)
  r = await tx('{"operations":[{"operation":"get","request":{"key":"k"}}]}')
  t.same(json(r), { errorCode: 'ERR_NOT_SUPPORTED_STATE_OPERATION', message: 'operation type get not supported' })
  t.equal(json(await tx('{"operations":[null]}')).message, 'operation type  not supported')
  for (const b of ['x', '[]', '{"operations":{}}', '{"operations":[1]}', '{"operations":[{"operation":1}]}', '{"operations":[{"operation":"upsert","request":{"key":"k","etag":1}}]}', '{"metadata":{"a":1}}']) {
    r = await tx(b)
    t.equal(r.status, 400, b)
    t.equal(json(r).errorCode, 'ERR_MALFORMED_REQUEST')
  }
  t.equal((await tx('{"operations":[{"operation":"upsert","request":{"key":"a||b"}}]}')).status, 400)
  r = await tx('{"operations":[{"operation":"upsert","request":{"key":"k1","value":1,"etag":"stale"}}]}')
  t.equal(r.status, 500)
  t.match(json(r), { errorCode: 'ERR_STATE_TRANSACTION', message: /^error while executing state transaction: / })
})

t.test('query is not supported', async (t) => {
  const api = await startApi(t, { stores: [fakeStore('S')] })
  const r = await call(api.url, 'POST', '/v1.0-alpha1/state/S/query', { body: '{"filter":{"EQ":{"state":"CA"}}}' })
  t.equal(r.status, 500)
  t.equal(json(r).errorCode, 'ERR_STATE_STORE_NOT_SUPPORTED')
  t.ok(json(r).details.some((d: any) => d.reason === 'DAPR_STATE_QUERYING_NOT_SUPPORTED'))
})

t.test('body over 4 MiB is a malformed request', async (t) => {
  const api = await startApi(t, { stores: [fakeStore('S')] })
  const big = Buffer.alloc((4 << 20) + 10, 0x20)
  const r = await call(api.url, 'POST', '/v1.0/state/S', { body: big })
  t.same([r.status, json(r).errorCode, json(r).message], [400, 'ERR_MALFORMED_REQUEST', 'stream too large'])
})

t.test('respondOrFail rethrows what is not a DaprError', async (t) => {
  await t.rejects(respondOrFail({} as ApiRequest, async () => { throw new Error('x') }), { message: 'x' })
})

t.test('resiliency: every store call runs under the store\'s outbound policy', async (t) => {
  const { buildApiServer } = await import('../../../src/sidecar/http/server.js')
  const { createResiliency } = await import('../../../src/sidecar/resiliency/provider.js')
  const pino = (await import('pino')).default
  const logger = pino({ level: 'silent' })
  const resiliency = createResiliency([{
    name: 'r',
    file: 'r.yaml',
    spec: {
      policies: { retries: { quick: { duration: '1ms', maxRetries: 2 } }, circuitBreakers: { once: { trip: 'consecutiveFailures >= 1', timeout: '1h' } } },
      targets: { components: { S: { outbound: { retry: 'quick' } }, T: { outbound: { circuitBreaker: 'once' } }, P: { outbound: { circuitBreaker: 'missing' } } } }
    }
  }], logger)
  const S = fakeStore('S')
  const T = fakeStore('T')
  const P = fakeStore('P')
  const server = buildApiServer({
    state: { appId: 'A', keyNamespace: '', stores: new Map([['S', S], ['T', T], ['P', P]]), resiliency, logger },
    runtime: {} as never,
    invoke: async () => {},
    logger
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve) }))
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  const count = (store: typeof S, op: string) => store.calls.filter((c) => c.op === op).length

  S.failNext = { op: 'get', kind: 'unavailable', message: 'blip' }
  t.equal((await call(url, 'GET', '/v1.0/state/S/k')).status, 204, 'a failed get is retried')
  t.equal(count(S, 'get'), 1, '(the fake store records successful calls only)')
  S.failNext = { op: 'set', kind: 'failed', message: 'blip' }
  t.equal((await call(url, 'POST', '/v1.0/state/S', { body: '[{"key":"k","value":1}]' })).status, 204, 'a failed save is retried')
  t.equal(count(S, 'set'), 1)
  let r = await call(url, 'POST', '/v1.0/state/S', { body: '[{"key":"k","value":1,"etag":"stale"}]' })
  t.equal(r.status, 409)
  t.equal(count(S, 'set'), 2, 'an etag mismatch on save is final, not retried')
  const etag = S.data.get('A||k')?.etag as string
  S.failNext = { op: 'delete', kind: 'etag-mismatch', message: 'changed' }
  t.equal((await call(url, 'DELETE', '/v1.0/state/S/k', { headers: { 'if-match': etag } })).status, 204, 'daprd retries an etag mismatch on delete')
  t.equal(count(S, 'delete'), 1)

  S.failNext = { op: 'set', kind: 'unavailable', message: 'blip' }
  const before = count(S, 'set')
  t.equal((await call(url, 'POST', '/v1.0/state/S', { body: '[{"key":"a","value":1},{"key":"b","value":2}]' })).status, 204)
  t.equal(count(S, 'set') - before, 2, 'the retry repeats only the item that failed (b is not saved twice)')
  const again = count(S, 'set')
  r = await call(url, 'POST', '/v1.0/state/S', { body: '[{"key":"a","value":1},{"key":"b","value":2,"etag":"stale"}]' })
  t.equal(r.status, 409)
  t.equal(count(S, 'set') - again, 2, 'etag failures alone end the bulk save')

  T.failNext = { op: 'get', kind: 'unavailable', message: 'down' }
  t.match(json(await call(url, 'GET', '/v1.0/state/T/k')).message, /down/)
  r = await call(url, 'GET', '/v1.0/state/T/k')
  t.same([r.status, json(r).message], [500, 'fail to get k from state store T: circuit breaker is open'])
  r = await call(url, 'POST', '/v1.0/state/T', { body: '[{"key":"a","value":1},{"key":"b","value":2}]' })
  t.same([r.status, json(r).message], [500, 'failed saving state in state store T: circuit breaker is open'])
  for (const [m, p, body] of [['GET', '/v1.0/state/P/k', undefined], ['POST', '/v1.0/state/P', '[{"key":"k","value":1}]'], ['POST', '/v1.0/state/P', '[{"key":"k","value":1},{"key":"j","value":1}]'], ['DELETE', '/v1.0/state/P/k', undefined], ['POST', '/v1.0/state/P/bulk', '{"keys":["k"]}'], ['POST', '/v1.0/state/P/transaction', '{"operations":[{"operation":"delete","request":{"key":"k"}}]}']] as const) {
    await t.rejects(call(url, m, p, body === undefined ? {} : { body }), `${m} ${p}: a component naming an undefined breaker panics in daprd: no answer`)
  }
})
