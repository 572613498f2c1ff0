import t from 'tap'
import { classifyError, classifyResponse, fullJitterDelay } from '../../src/generator/backoff.js'
import { SidecarAbortError, SidecarAuthError } from '../../src/sidecar/index.js'
import { errors, response } from '../helpers/fake-sidecar.js'

t.test('full jitter: uniform below an exponential cap that never passes maxMs', async (t) => {
  const opts = { baseMs: 100, maxMs: 1000 }
  t.same([1, 2, 3, 4, 5, 10].map((n) => fullJitterDelay(n, opts, () => 0.999)), [99, 199, 399, 799, 999, 999])
  t.equal(fullJitterDelay(3, opts, () => 0), 0)
  t.equal(fullJitterDelay(3, opts, () => 0.5), 200)
})

t.test('responses: 2xx delivers, 429/502/503/504 retry, every other status is final', async (t) => {
  t.same(classifyResponse(response(200, { orderId: '1' })), { kind: 'delivered' })
  t.same(classifyResponse(response(204, '')), { kind: 'delivered' })
  for (const status of [429, 502, 503, 504]) t.equal(classifyResponse(response(status, {})).kind, 'retry', String(status))
  for (const status of [400, 401, 404, 409, 413, 415, 500]) t.equal(classifyResponse(response(status, {})).kind, 'fail', String(status))
  t.same(classifyResponse(response(503, { statusCode: 503, code: 'ORDER_ERR_STORE_UNAVAILABLE', message: 'x' })), { kind: 'retry', reason: 'HTTP 503 ORDER_ERR_STORE_UNAVAILABLE' })
  t.same(classifyResponse(response(409, { code: 'ORDER_ERR_CONFLICT' })), { kind: 'fail', reason: 'HTTP 409 ORDER_ERR_CONFLICT' })
  t.same(classifyResponse(response(502, '<html>bad gateway</html>')), { kind: 'retry', reason: 'HTTP 502' }, 'a body that is not JSON')
  t.same(classifyResponse(response(400, { code: 7 })), { kind: 'fail', reason: 'HTTP 400' })
})

t.test('errors: network, timeout and daprd invoke 500 retry; ACL, auth, abort and the unknown do not', async (t) => {
  t.match(classifyError(errors.network()), { kind: 'retry', reason: /^SIDECAR_ERR_NETWORK: / })
  t.match(classifyError(errors.timeout()), { kind: 'retry', reason: /^SIDECAR_ERR_TIMEOUT: / })
  t.match(classifyError(errors.invoke(500)), { kind: 'retry', reason: /^SIDECAR_ERR_INVOKE: .*couldn't find service/ })
  t.match(classifyError(errors.invoke(403)), { kind: 'fail', reason: /^SIDECAR_ERR_INVOKE: / })
  t.match(classifyError(new SidecarAuthError({ method: 'POST', path: '/v1.0/invoke' })), { kind: 'fail', reason: /^SIDECAR_ERR_AUTH: / })
  t.match(classifyError(new SidecarAbortError({ method: 'POST', path: '/v1.0/invoke' })), { kind: 'fail' })
  t.same(classifyError(new TypeError('bug')), { kind: 'fail', reason: 'ERROR: bug' })
  t.same(classifyError('thrown string'), { kind: 'fail', reason: 'ERROR: thrown string' })
})
