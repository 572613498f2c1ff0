// The error hierarchy: literal codes, messages that name the call, and what counts as transient.
import t from 'tap'
import {
  SidecarAbortError,
  SidecarAuthError,
  SidecarError,
  SidecarEtagMismatchError,
  SidecarHttpError,
  SidecarInvalidResponseError,
  SidecarInvokeError,
  SidecarNetworkError,
  SidecarOptionError,
  SidecarTimeoutError,
  isTransientSidecarError
} from '../../src/sidecar/errors.js'

const info = { method: 'POST', path: '/v1.0/state/statestore' }
const http = (statusCode: number, errorCode?: string) =>
  new SidecarHttpError({ ...info, statusCode, errorCode, daprMessage: 'm' })

t.test('every class carries its code and name and is a SidecarError', async (t) => {
  const cause = Object.assign(new Error('connect refused'), { code: 'ECONNREFUSED' })
  const all: Array<[SidecarError, string, string]> = [
    [http(500, 'ERR_STATE_SAVE'), 'SIDECAR_ERR_HTTP', 'SidecarHttpError'],
    [new SidecarEtagMismatchError({ ...info, statusCode: 409, errorCode: 'ERR_STATE_SAVE', daprMessage: 'm' }), 'SIDECAR_ERR_ETAG_MISMATCH', 'SidecarEtagMismatchError'],
    [new SidecarInvokeError({ ...info, statusCode: 500, errorCode: 'ERR_DIRECT_INVOKE', daprMessage: 'm' }), 'SIDECAR_ERR_INVOKE', 'SidecarInvokeError'],
    [new SidecarAuthError(info), 'SIDECAR_ERR_AUTH', 'SidecarAuthError'],
    [new SidecarNetworkError(info, cause), 'SIDECAR_ERR_NETWORK', 'SidecarNetworkError'],
    [new SidecarTimeoutError(info, 'slow'), 'SIDECAR_ERR_TIMEOUT', 'SidecarTimeoutError'],
    [new SidecarAbortError(info), 'SIDECAR_ERR_ABORTED', 'SidecarAbortError'],
    [new SidecarInvalidResponseError(info, 'bad'), 'SIDECAR_ERR_INVALID_RESPONSE', 'SidecarInvalidResponseError'],
    [new SidecarOptionError('fix it'), 'SIDECAR_ERR_INVALID_OPTION', 'SidecarOptionError']
  ]
  for (const [err, code, name] of all) {
    t.ok(err instanceof SidecarError, name)
    t.ok(err instanceof Error, name)
    t.equal(err.code, code)
    t.equal(err.name, name)
    // method and path live on the base class: every error of a call names it the same way.
    if (err instanceof SidecarOptionError) t.same([err.method, err.path], [undefined, undefined], 'no call was made')
    else t.same([err.method, err.path], [info.method, info.path], `${name} names the call`)
  }
})

t.test('messages name the call and Dapr\'s code, and keep the cause', async (t) => {
  t.equal(http(400, 'ERR_MALFORMED_REQUEST').message, 'Dapr sidecar responded 400 to POST /v1.0/state/statestore (ERR_MALFORMED_REQUEST): m')
  t.equal(http(502).message, 'Dapr sidecar responded 502 to POST /v1.0/state/statestore: m')
  const cause = Object.assign(new Error('connect refused'), { code: 'ECONNREFUSED' })
  const network = new SidecarNetworkError(info, cause)
  t.equal(network.message, 'Dapr sidecar unreachable on POST /v1.0/state/statestore: ECONNREFUSED connect refused')
  t.equal(network.cause, cause)
  t.equal(new SidecarNetworkError(info, new Error('plain')).message, 'Dapr sidecar unreachable on POST /v1.0/state/statestore: plain')
  t.equal(new SidecarNetworkError(info, 'text').message, 'Dapr sidecar unreachable on POST /v1.0/state/statestore: text')
  t.match(new SidecarAuthError(info).message, /check DAPR_API_TOKEN/)
})

t.test('isTransientSidecarError: what may succeed later', async (t) => {
  const transient = [
    new SidecarNetworkError(info, new Error('x')),
    new SidecarTimeoutError(info, 'x'),
    http(429), http(502), http(503), http(504),
    http(500, 'ERR_STATE_SAVE'), http(500, 'ERR_STATE_GET'), http(500, 'ERR_STATE_BULK_GET'), http(500, 'ERR_STATE_DELETE'),
    new SidecarInvokeError({ ...info, statusCode: 500, errorCode: 'ERR_DIRECT_INVOKE', daprMessage: 'couldn\'t find service' })
  ]
  for (const err of transient) t.ok(isTransientSidecarError(err), err.message)
  const permanent = [
    new Error('not ours'),
    'string',
    undefined,
    http(400, 'ERR_MALFORMED_REQUEST'),
    http(500, 'ERR_STATE_TRANSACTION'),
    http(500),
    new SidecarEtagMismatchError({ ...info, statusCode: 409, errorCode: 'ERR_STATE_SAVE', daprMessage: 'm' }),
    new SidecarInvokeError({ ...info, statusCode: 403, errorCode: 'ERR_DIRECT_INVOKE', daprMessage: 'acl' }),
    new SidecarInvokeError({ ...info, statusCode: 404, errorCode: 'ERR_DIRECT_INVOKE', daprMessage: 'no app id' }),
    new SidecarAuthError(info),
    new SidecarAbortError(info),
    new SidecarInvalidResponseError(info, 'x'),
    new SidecarOptionError('x')
  ]
  for (const err of permanent) t.notOk(isTransientSidecarError(err), String(err))
})
