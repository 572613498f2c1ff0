import t from 'tap'
import { DaprError, errors, NO_APP_ID_MESSAGE } from '../../../src/sidecar/http/errors.js'

t.test('legacy and rich bodies', async (t) => {
  t.equal(errors.noAppId().body(), `{"errorCode":"ERR_DIRECT_INVOKE","message":"${NO_APP_ID_MESSAGE}"}`)
  t.equal(errors.storeNotFound('s', '').body(), '{"errorCode":"ERR_STATE_STORE_NOT_FOUND","message":"state store s is not found","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","domain":"dapr.io","metadata":null,"reason":"DAPR_STATE_NOT_FOUND"}]}')
  t.equal(errors.storeNotConfigured('s', '').details?.[0]?.metadata, null)
  const e = new DaprError(418, 'X', 'm <b>')
  t.equal(e.body(), '{"errorCode":"X","message":"m \\u003cb\\u003e"}')
  t.match(errors.transactionsNotSupported('s').details, [{ reason: 'DAPR_STATE_TRANSACTIONS_NOT_SUPPORTED' }, { resource_name: 's' }, { links: [{ url: /supported-state-stores/ }] }])
  t.equal(errors.healthNotReady(['runtime', 'x']).message, 'dapr is not ready: [runtime x]')
  t.equal(errors.directInvoke('b', 'boom').status, 500)
  t.same(errors.storeNotFound('s', 'A').details?.[0]?.metadata, { appID: 'A' })
  t.equal(errors.pubsubNotFound('p').status, 404)
})

t.test('every builder and sender', async (t) => {
  const { createServer } = await import('node:http')
  const { call } = await import('../../helpers/http-call.js')
  const { sendEmpty, sendError, sendJson } = await import('../../../src/sidecar/http/errors.js')
  const all = [errors.malformed('m'), errors.malformedBody('b'), errors.illegalKey('s', 'a||b'), errors.queryNotSupported('s'),
    errors.unsupportedOperation('get'), errors.stateGet('k', 's', 'e'), errors.stateSave(409, 's', 'e'), errors.stateDelete(400, 'k', 'e'),
    errors.bulkGet('e'), errors.transaction('e'), errors.healthAppIdMismatch(), errors.outboundNotReady(), errors.storeNotConfigured('s', 'A')]
  t.same(all.map((e) => e.status), [400, 400, 400, 500, 400, 500, 409, 400, 500, 500, 500, 500, 500])
  const server = createServer((req, res) => {
    if (req.url === '/e') sendError(res, errors.malformed('x'))
    else if (req.url === '/j') sendJson(res, 200, [])
    else sendEmpty(res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.close() })
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  t.same((await call(url, 'GET', '/e')).body, '{"errorCode":"ERR_MALFORMED_REQUEST","message":"x"}')
  t.same((await call(url, 'GET', '/j')).body, '[]\n')
  const empty = await call(url, 'GET', '/')
  t.same([empty.status, empty.headers['content-type']], [204, undefined])
})
