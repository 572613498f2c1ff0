// The state API against a mocked daprd: exact wire format out, daprd's answers in.
// Case numbers refer to dapr-http-api.md §10.
import t from 'tap'
import {
  SidecarEtagMismatchError,
  SidecarHttpError,
  SidecarInvalidResponseError,
  SidecarOptionError
} from '../../src/sidecar/index.js'
import { queryString, storePath } from '../../src/sidecar/state.js'
import { JSON_TYPE, daprError, mockSidecar } from '../helpers/mock-sidecar.js'

t.test('get returns the value, its ETag and metadata headers (cases 39, 41)', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/state/statestore/k', method: 'GET' })
    .reply(200, '{"a":1}', { headers: { ...JSON_TYPE, etag: '3', 'metadata.ttlexpiretime': '2026-11-26T10:00:03Z', 'metadata.other': 'x' } })
  const entry = await client.state.get<{ a: number }>('statestore', 'k')
  t.same(entry, { key: 'k', value: { a: 1 }, etag: '3', metadata: { ttlExpireTime: '2026-11-26T10:00:03Z', other: 'x' } })
})

t.test('get keeps a JSON string as a string (case 39)', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/state/statestore/s', method: 'GET' }).reply(200, '"hello"', { headers: JSON_TYPE })
  t.equal((await client.state.get('statestore', 's'))?.value, 'hello')
})

t.test('get answers undefined on 204 and never parses the empty body (case 40)', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/state/statestore/missing', method: 'GET' }).reply(204, '')
  t.equal(await client.state.get('statestore', 'missing'), undefined)
})

t.test('get sends consistency and metadata.* as query parameters', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/state/statestore/k?consistency=strong&metadata.partitionKey=p%201', method: 'GET' })
    .reply(200, '1', { headers: { etag: '1' } })
  const entry = await client.state.get('statestore', 'k', { consistency: 'strong', metadata: { partitionKey: 'p 1' } })
  t.equal(entry?.value, 1)
})

t.test('keys and store names are percent-encoded, a + arrives as %2B (case 42)', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/state/my%2Bstore/a%2Bb%2Fc%20d', method: 'GET' }).reply(204, '')
  t.equal(await client.state.get('my+store', 'a+b/c d'), undefined)
  t.equal(storePath('s t'), '/v1.0/state/s%20t')
})

t.test('get rejects a 200 body that is not JSON as a contract error', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/state/statestore/k', method: 'GET' }).reply(200, 'not json')
  const err = await t.rejects(client.state.get('statestore', 'k'), SidecarInvalidResponseError)
  t.match(err, { code: 'SIDECAR_ERR_INVALID_RESPONSE' })
})

t.test('an unknown store is a 400 HTTP error with Dapr details (case 25)', async (t) => {
  const { pool, client } = mockSidecar(t)
  const details = [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'DAPR_STATE_NOT_FOUND', domain: 'dapr.io', metadata: { appID: 'A' } }]
  pool.intercept({ path: '/v1.0/state/nope/k', method: 'GET' })
    .reply(400, daprError('ERR_STATE_STORE_NOT_FOUND', 'state store nope is not found', details), { headers: JSON_TYPE })
  const err = await client.state.get('nope', 'k').catch((e: unknown) => e)
  t.ok(err instanceof SidecarHttpError)
  t.match(err, {
    code: 'SIDECAR_ERR_HTTP',
    statusCode: 400,
    errorCode: 'ERR_STATE_STORE_NOT_FOUND',
    daprMessage: 'state store nope is not found',
    details,
    method: 'GET',
    path: '/v1.0/state/nope/k'
  })
  t.match((err as Error).message, 'Dapr sidecar responded 400 to GET /v1.0/state/nope/k (ERR_STATE_STORE_NOT_FOUND)')
})

t.test('no store configured is a 500 ERR_STATE_STORE_NOT_CONFIGURED (case 24)', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/state/mystore', method: 'POST' })
    .reply(500, daprError('ERR_STATE_STORE_NOT_CONFIGURED', 'state store mystore is not configured'), { headers: JSON_TYPE })
  await t.rejects(client.state.save('mystore', { key: 'k', value: 1 }), { code: 'SIDECAR_ERR_HTTP', statusCode: 500, errorCode: 'ERR_STATE_STORE_NOT_CONFIGURED' })
})

t.test('a non-JSON error body keeps its text as the message', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/state/statestore/k', method: 'GET' }).reply(502, 'Bad Gateway\n')
  await t.rejects(client.state.get('statestore', 'k'), { code: 'SIDECAR_ERR_HTTP', statusCode: 502, errorCode: undefined, daprMessage: 'Bad Gateway' })
  pool.intercept({ path: '/v1.0/state/statestore/k', method: 'GET' }).reply(500, '')
  await t.rejects(client.state.get('statestore', 'k'), { code: 'SIDECAR_ERR_HTTP', statusCode: 500, daprMessage: '(empty body)' })
})

t.test('save sends one JSON array with etag, options and string metadata (cases 27, 33)', async (t) => {
  const { pool, client } = mockSidecar(t)
  let sent: unknown
  let contentType: unknown
  pool.intercept({ path: '/v1.0/state/statestore', method: 'POST' }).reply((req) => {
    sent = JSON.parse(String(req.body))
    contentType = (req.headers as Record<string, string>)['content-type']
    return { statusCode: 204, data: '' }
  })
  await client.state.save('statestore', {
    key: 'k',
    value: { a: 1 },
    etag: '3',
    concurrency: 'first-write',
    consistency: 'strong',
    metadata: { contentType: 'application/json', n: 5, b: true },
    ttlInSeconds: 60
  })
  t.same(sent, [{
    key: 'k',
    value: { a: 1 },
    etag: '3',
    metadata: { contentType: 'application/json', n: '5', b: 'true', ttlInSeconds: '60' },
    options: { concurrency: 'first-write', consistency: 'strong' }
  }])
  t.equal(contentType, 'application/json')
})

t.test('save of several items sends them in one call, with URL metadata', async (t) => {
  const { pool, client } = mockSidecar(t)
  let sent: unknown
  pool.intercept({ path: '/v1.0/state/statestore?metadata.ttlInSeconds=5', method: 'POST' }).reply((req) => {
    sent = JSON.parse(String(req.body))
    return { statusCode: 204, data: '' }
  })
  await client.state.save('statestore', [{ key: 'a', value: 'x' }, { key: 'b', value: null }], { metadata: { ttlInSeconds: 5 } })
  t.same(sent, [{ key: 'a', value: 'x' }, { key: 'b', value: null }])
})

t.test('a 409 on save is an ETag mismatch (case 34)', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/state/statestore', method: 'POST' })
    .reply(409, daprError('ERR_STATE_SAVE', 'failed saving state in state store statestore: possible etag mismatch. error from state store: x'), { headers: JSON_TYPE })
  const err = await client.state.save('statestore', { key: 'k', value: 1, etag: '1' }).catch((e: unknown) => e)
  t.ok(err instanceof SidecarEtagMismatchError)
  t.ok(err instanceof SidecarHttpError)
  t.match(err, { code: 'SIDECAR_ERR_ETAG_MISMATCH', statusCode: 409, errorCode: 'ERR_STATE_SAVE' })
})

t.test('an invalid ETag is a 400 HTTP error, not a mismatch (case 36)', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/state/statestore', method: 'POST' })
    .reply(400, daprError('ERR_STATE_SAVE', 'failed saving state in state store statestore: invalid etag value: strconv.Atoi'), { headers: JSON_TYPE })
  const err = await client.state.save('statestore', { key: 'k', value: 1, etag: 'abc' }).catch((e: unknown) => e)
  t.notOk(err instanceof SidecarEtagMismatchError)
  t.match(err, { code: 'SIDECAR_ERR_HTTP', statusCode: 400 })
})

t.test('an illegal key comes back as 400 ERR_MALFORMED_REQUEST with its details (case 26)', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/state/statestore', method: 'POST' })
    .reply(400, daprError('ERR_MALFORMED_REQUEST', "input key/keyPrefix 'ke||y1' can't contain '||'", [{ '@type': 'type.googleapis.com/google.rpc.BadRequest' }, {}, {}]), { headers: JSON_TYPE })
  const err = await client.state.save('statestore', { key: 'ke||y1', value: 'v' }).catch((e: unknown) => e) as SidecarHttpError
  t.equal(err.errorCode, 'ERR_MALFORMED_REQUEST')
  t.equal(err.details?.length, 3)
})

t.test('save rejects bad arguments before sending anything', async (t) => {
  const { client } = mockSidecar(t)
  await t.rejects(client.state.save('statestore', { key: '', value: 1 }), SidecarOptionError)
  await t.rejects(client.state.save('', { key: 'k', value: 1 }), { code: 'SIDECAR_ERR_INVALID_OPTION', message: /store name must be a non-empty string/ })
  await t.rejects(client.state.save('statestore', { key: 'k', value: undefined }), { message: /value of key "k" is undefined/ })
  await t.rejects(client.state.save('statestore', { key: 'k', value: 1, ttlInSeconds: 1.5 }), { message: /ttlInSeconds .* must be an integer/ })
  await t.rejects(client.state.save('statestore', { key: 'k', value: 10n }), { message: /cannot be serialised as JSON/ })
  await t.rejects(client.state.get('statestore', ''), SidecarOptionError)
})

t.test('delete sends If-Match, concurrency and consistency (cases 43-47)', async (t) => {
  const { pool, client } = mockSidecar(t)
  let ifMatch: unknown
  pool.intercept({ path: '/v1.0/state/statestore/k?concurrency=first-write&consistency=strong&metadata.a=1', method: 'DELETE' }).reply((req) => {
    ifMatch = (req.headers as Record<string, string> | undefined)?.['if-match']
    return { statusCode: 204, data: '' }
  })
  await client.state.delete('statestore', 'k', { etag: '7', concurrency: 'first-write', consistency: 'strong', metadata: { a: 1 } })
  t.equal(ifMatch, '7')

  pool.intercept({ path: '/v1.0/state/statestore/k', method: 'DELETE' }).reply((req) => {
    ifMatch = (req.headers as Record<string, string> | undefined)?.['if-match']
    return { statusCode: 204, data: '' }
  })
  await client.state.delete('statestore', 'k')
  t.equal(ifMatch, undefined, 'no If-Match without an etag')
})

t.test('a 409 on delete is an ETag mismatch, other errors are HTTP errors (case 44)', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/state/statestore/k', method: 'DELETE' })
    .reply(409, daprError('ERR_STATE_DELETE', 'failed deleting state with key k: possible etag mismatch. error from state store: x'), { headers: JSON_TYPE })
  await t.rejects(client.state.delete('statestore', 'k', { etag: 'stale' }), SidecarEtagMismatchError)
  pool.intercept({ path: '/v1.0/state/statestore/k', method: 'DELETE' })
    .reply(500, daprError('ERR_STATE_DELETE', 'boom'), { headers: JSON_TYPE })
  const err = await client.state.delete('statestore', 'k').catch((e: unknown) => e)
  t.notOk(err instanceof SidecarEtagMismatchError)
  t.match(err, { statusCode: 500, errorCode: 'ERR_STATE_DELETE' })
})

t.test('getBulk keeps request order and reports missing keys (case 48)', async (t) => {
  const { pool, client } = mockSidecar(t)
  let sent: unknown
  pool.intercept({ path: '/v1.0/state/statestore/bulk', method: 'POST' }).reply((req) => {
    sent = JSON.parse(String(req.body))
    // Answer out of order to prove the client matches by key.
    return { statusCode: 200, data: '[{"key":"missing"},{"key":"k","data":{"a":1},"etag":"2","metadata":{"x":"y"}},{"key":"bad","error":"boom"}]\n', responseOptions: { headers: JSON_TYPE } }
  })
  const items = await client.state.getBulk('statestore', ['k', 'missing', 'bad'], { parallelism: 10 })
  t.same(sent, { keys: ['k', 'missing', 'bad'], parallelism: 10 })
  t.same(items, [
    { key: 'k', found: true, value: { a: 1 }, etag: '2', metadata: { x: 'y' } },
    { key: 'missing', found: false },
    { key: 'bad', found: false, error: 'boom' }
  ])
})

t.test('getBulk handles the same key twice and an empty list (case 49)', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/state/statestore/bulk', method: 'POST' })
    .reply(200, '[{"key":"a","data":1,"etag":"1"},{"key":"a","data":1,"etag":"1"}]\n')
  const items = await client.state.getBulk('statestore', ['a', 'a'])
  t.equal(items.length, 2)
  pool.intercept({ path: '/v1.0/state/statestore/bulk', method: 'POST' }).reply(200, '[]\n')
  t.same(await client.state.getBulk('statestore', []), [])
})

t.test('getBulk rejects answers that break the contract', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/state/statestore/bulk', method: 'POST' }).reply(200, '{"not":"an array"}')
  await t.rejects(client.state.getBulk('statestore', ['a']), { code: 'SIDECAR_ERR_INVALID_RESPONSE', message: /not an array/ })
  pool.intercept({ path: '/v1.0/state/statestore/bulk', method: 'POST' }).reply(200, '[]')
  await t.rejects(client.state.getBulk('statestore', ['a']), { code: 'SIDECAR_ERR_INVALID_RESPONSE', message: /no entry for key "a"/ })
  pool.intercept({ path: '/v1.0/state/statestore/bulk', method: 'POST' })
    .reply(400, daprError('ERR_MALFORMED_REQUEST', "input key/keyPrefix 'a||b' can't contain '||'"), { headers: JSON_TYPE })
  await t.rejects(client.state.getBulk('statestore', ['a||b']), { code: 'SIDECAR_ERR_HTTP', statusCode: 400, errorCode: 'ERR_MALFORMED_REQUEST' })
  await t.rejects(client.state.getBulk('statestore', ['']), SidecarOptionError)
})

t.test('transaction sends upserts and deletes; a conflict inside is a plain 500 (cases 52, 55)', async (t) => {
  const { pool, client } = mockSidecar(t)
  let sent: unknown
  pool.intercept({ path: '/v1.0/state/statestore/transaction?metadata.ttlInSeconds=60', method: 'POST' }).reply((req) => {
    sent = JSON.parse(String(req.body))
    return { statusCode: 204, data: '' }
  })
  await client.state.transaction('statestore', [
    { operation: 'upsert', request: { key: 'k1', value: 'v1', etag: '1', metadata: { a: 'b' } } },
    { operation: 'delete', request: { key: 'k2', etag: '4', concurrency: 'last-write', metadata: { c: 'd' } } },
    { operation: 'delete', request: { key: 'k3' } }
  ], { metadata: { ttlInSeconds: 60 } })
  t.same(sent, {
    operations: [
      { operation: 'upsert', request: { key: 'k1', value: 'v1', etag: '1', metadata: { a: 'b' } } },
      { operation: 'delete', request: { key: 'k2', etag: '4', metadata: { c: 'd' }, options: { concurrency: 'last-write' } } },
      { operation: 'delete', request: { key: 'k3' } }
    ]
  })

  pool.intercept({ path: '/v1.0/state/statestore/transaction', method: 'POST' })
    .reply(500, daprError('ERR_STATE_TRANSACTION', 'error while executing state transaction: possible etag mismatch'), { headers: JSON_TYPE })
  const err = await client.state.transaction('statestore', [{ operation: 'upsert', request: { key: 'k', value: 1, etag: 'stale' } }]).catch((e: unknown) => e)
  t.notOk(err instanceof SidecarEtagMismatchError, 'daprd cannot tell a conflict apart inside a transaction')
  t.match(err, { code: 'SIDECAR_ERR_HTTP', statusCode: 500, errorCode: 'ERR_STATE_TRANSACTION' })
})

t.test('transaction rejects an unknown operation before sending (case 54)', async (t) => {
  const { client } = mockSidecar(t)
  const ops = [{ operation: 'get', request: { key: 'k' } }] as unknown as Parameters<typeof client.state.transaction>[1]
  await t.rejects(client.state.transaction('statestore', ops), { code: 'SIDECAR_ERR_INVALID_OPTION', message: /"get"/ })
  await t.rejects(client.state.transaction('statestore', [{ operation: 'delete', request: { key: '' } }]), SidecarOptionError)
})

t.test('update reads, applies and writes back with the ETag', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/state/statestore/counter', method: 'GET' }).reply(200, '5', { headers: { etag: '9' } })
  let sent: unknown
  pool.intercept({ path: '/v1.0/state/statestore', method: 'POST' }).reply((req) => {
    sent = JSON.parse(String(req.body))
    return { statusCode: 204, data: '' }
  })
  const result = await client.state.update<number>('statestore', 'counter', (n) => (n ?? 0) + 100)
  t.same(result, { value: 105, attempts: 1 })
  t.same(sent, [{ key: 'counter', value: 105, etag: '9' }])
})

t.test('update creates a missing key with first-write', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/state/statestore/counter', method: 'GET' }).reply(204, '')
  let sent: unknown
  pool.intercept({ path: '/v1.0/state/statestore', method: 'POST' }).reply((req) => {
    sent = JSON.parse(String(req.body))
    return { statusCode: 204, data: '' }
  })
  t.same(await client.state.update<number>('statestore', 'counter', (n) => (n ?? 0) + 1), { value: 1, attempts: 1 })
  t.same(sent, [{ key: 'counter', value: 1, options: { concurrency: 'first-write' } }])
})

t.test('update retries on conflict: a 409, and Redis\'s 500 when a creator lost the race', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/state/statestore/c', method: 'GET' }).reply(204, '')
  pool.intercept({ path: '/v1.0/state/statestore', method: 'POST' })
    .reply(500, daprError('ERR_STATE_SAVE', 'failed saving state in state store statestore: failed to set key nodeapp||c'), { headers: JSON_TYPE })
  pool.intercept({ path: '/v1.0/state/statestore/c', method: 'GET' }).reply(200, '1', { headers: { etag: '1' } })
  pool.intercept({ path: '/v1.0/state/statestore', method: 'POST' })
    .reply(409, daprError('ERR_STATE_SAVE', 'possible etag mismatch'), { headers: JSON_TYPE })
  pool.intercept({ path: '/v1.0/state/statestore/c', method: 'GET' }).reply(200, '2', { headers: { etag: '2' } })
  pool.intercept({ path: '/v1.0/state/statestore', method: 'POST' }).reply(204, '')
  t.same(await client.state.update<number>('statestore', 'c', (n) => (n ?? 0) + 1), { value: 3, attempts: 3 })
})

t.test('update gives up after maxAttempts with an ETag mismatch error', async (t) => {
  const { pool, client } = mockSidecar(t)
  for (let i = 0; i < 2; i++) {
    pool.intercept({ path: '/v1.0/state/statestore/c', method: 'GET' }).reply(200, '1', { headers: { etag: '1' } })
    pool.intercept({ path: '/v1.0/state/statestore', method: 'POST' })
      .reply(409, daprError('ERR_STATE_SAVE', 'possible etag mismatch'), { headers: JSON_TYPE })
  }
  const err = await client.state.update<number>('statestore', 'c', (n) => (n ?? 0) + 1, { maxAttempts: 2 }).catch((e: unknown) => e)
  t.ok(err instanceof SidecarEtagMismatchError)
  t.match(err, { statusCode: 409, daprMessage: /gave up on "c" after 2 conflicting attempts/ })
  await t.rejects(client.state.update('statestore', 'c', (n) => n, { maxAttempts: 0 }), SidecarOptionError)
})

t.test('update does not retry other failures, nor a 500 on an existing key', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/state/statestore/c', method: 'GET' }).reply(200, '1', { headers: { etag: '1' } })
  pool.intercept({ path: '/v1.0/state/statestore', method: 'POST' })
    .reply(500, daprError('ERR_STATE_SAVE', 'redis down'), { headers: JSON_TYPE })
  await t.rejects(client.state.update<number>('statestore', 'c', (n) => (n ?? 0) + 1), { code: 'SIDECAR_ERR_HTTP', statusCode: 500, errorCode: 'ERR_STATE_SAVE' })
  pool.intercept({ path: '/v1.0/state/statestore/c', method: 'GET' }).reply(204, '')
  pool.intercept({ path: '/v1.0/state/statestore', method: 'POST' })
    .reply(400, daprError('ERR_MALFORMED_REQUEST', 'bad'), { headers: JSON_TYPE })
  await t.rejects(client.state.update<number>('statestore', 'c', (n) => (n ?? 0) + 1), { code: 'SIDECAR_ERR_HTTP', statusCode: 400 })
})

t.test('queryString encodes every part and leaves out undefined values', async (t) => {
  t.equal(queryString({}), undefined)
  t.equal(queryString({ a: undefined, b: 'x y' }, { 'k+': 'v&' }), 'b=x%20y&metadata.k%2B=v%26')
})

t.test('repeated response headers are read without losing values', async (t) => {
  const { pool, client } = mockSidecar(t)
  pool.intercept({ path: '/v1.0/state/statestore/k', method: 'GET' })
    .reply(200, '1', { headers: { etag: ['4', '5'], 'metadata.tag': ['a', 'b'] } })
  const entry = await client.state.get('statestore', 'k')
  t.equal(entry?.etag, '4')
  t.same(entry?.metadata, { tag: 'a, b' })
})
