import t from 'tap'
import { classifyError, classifyResponse, fullJitterDelay, isPermanentStatus } from '../../src/generator/backoff.js'
import { SidecarAbortError, SidecarAuthError, SidecarInvalidResponseError, SidecarOptionError } from '../../src/sidecar/index.js'
import { errors, response } from '../helpers/fake-sidecar.js'

t.test('full jitter: uniform below an exponential cap that never passes maxMs', async (t) => {
  const opts = { baseMs: 100, maxMs: 1000 }
  t.same([1, 2, 3, 4, 5, 10].map((n) => fullJitterDelay(n, opts, () => 0.999)), [99, 199, 399, 799, 999, 999])
  t.equal(fullJitterDelay(3, opts, () => 0), 0)
  t.equal(fullJitterDelay(3, opts, () => 0.5), 200)
  t.equal(fullJitterDelay(5000, opts, () => 0.999), 999, 'no overflow to Infinity or NaN after thousands of retries')
})

t.test('permanent: a 4xx other than 408, 425 and 429; nothing else', async (t) => {
  for (const s of [400, 401, 403, 404, 409, 413, 415, 422, 499]) t.equal(isPermanentStatus(s), true, String(s))
  for (const s of [200, 301, 408, 425, 429, 500, 502, 503, 504, 599]) t.equal(isPermanentStatus(s), false, String(s))
})

t.test('responses: 2xx delivers, a permanent 4xx is final, every other status is retried', async (t) => {
  t.same(classifyResponse(response(200, { orderId: '1' })), { kind: 'delivered' })
  t.same(classifyResponse(response(204, '')), { kind: 'delivered' })
  for (const status of [408, 425, 429, 500, 502, 503, 504, 302]) t.equal(classifyResponse(response(status, {})).kind, 'retry', String(status))
  for (const status of [400, 401, 404, 409, 413, 415]) t.equal(classifyResponse(response(status, {})).kind, 'fail', String(status))
  t.same(classifyResponse(response(503, { statusCode: 503, code: 'ORDER_ERR_STORE_UNAVAILABLE', message: 'x' })), { kind: 'retry', reason: 'HTTP 503 ORDER_ERR_STORE_UNAVAILABLE' })
  t.same(classifyResponse(response(409, { code: 'ORDER_ERR_CONFLICT' })), { kind: 'fail', reason: 'HTTP 409 ORDER_ERR_CONFLICT' })
  t.same(classifyResponse(response(502, '<html>bad gateway</html>')), { kind: 'retry', reason: 'HTTP 502' }, 'a body that is not JSON')
  t.same(classifyResponse(response(400, { code: 7 })), { kind: 'fail', reason: 'HTTP 400' })
})

t.test('errors: daprd\'s permanent 4xx and option errors are final; network, timeout, invoke 500 and the unknown are retried', async (t) => {
  t.match(classifyError(errors.network()), { kind: 'retry', reason: /^SIDECAR_ERR_NETWORK: / })
  t.match(classifyError(errors.timeout()), { kind: 'retry', reason: /^SIDECAR_ERR_TIMEOUT: / })
  t.match(classifyError(errors.invoke(500)), { kind: 'retry', reason: /^SIDECAR_ERR_INVOKE: .*couldn't find service/ })
  t.match(classifyError(errors.invoke(403)), { kind: 'fail', reason: /^SIDECAR_ERR_INVOKE: / })
  t.match(classifyError(errors.invoke(404)), { kind: 'fail' })
  t.match(classifyError(errors.invoke(429)), { kind: 'retry' })
  t.match(classifyError(new SidecarAuthError({ method: 'POST', path: '/v1.0/invoke' })), { kind: 'fail', reason: /^SIDECAR_ERR_AUTH: / })
  t.match(classifyError(new SidecarOptionError('timeoutMs must be positive')), { kind: 'fail', reason: 'SIDECAR_ERR_INVALID_OPTION: timeoutMs must be positive' })
  t.match(classifyError(new SidecarAbortError({ method: 'POST', path: '/v1.0/invoke' })), { kind: 'retry' })
  t.match(classifyError(new SidecarInvalidResponseError({ method: 'POST', path: '/v1.0/invoke' }, 'x')), { kind: 'retry' })
  t.same(classifyError(new TypeError('bug')), { kind: 'retry', reason: 'ERROR: bug' })
  t.same(classifyError('thrown string'), { kind: 'retry', reason: 'ERROR: thrown string' })
  t.same(classifyError(undefined), { kind: 'retry', reason: 'ERROR: undefined' })
})
