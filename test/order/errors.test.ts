import t from 'tap'
import { orderErrors } from '../../src/order/errors.js'
import { HttpError } from '../../src/shared/http.js'

t.test('every order error has its status and stable code', async (t) => {
  const cause = new Error('down')
  const cases: Array<[HttpError, number, string, string]> = [
    [orderErrors.notFound('7'), 404, 'ORDER_ERR_NOT_FOUND', 'Order 7 not found'],
    [orderErrors.noOrderYet(), 404, 'ORDER_ERR_NO_ORDER_YET', 'No order has been received yet'],
    [orderErrors.conflict('7'), 409, 'ORDER_ERR_CONFLICT', 'Order 7 already exists with different data'],
    [orderErrors.unauthorized(), 401, 'ORDER_ERR_UNAUTHORIZED', 'Missing or invalid dapr-api-token'],
    [orderErrors.tooDeep(32), 400, 'ORDER_ERR_TOO_DEEP', 'Order data nests deeper than 32 levels'],
    [orderErrors.inexactNumber('1e400'), 400, 'ORDER_ERR_INEXACT_NUMBER', 'The number 1e400 cannot be stored exactly (beyond 2^53, out of range, or more digits than a double holds); send it as a string'],
    [orderErrors.storeUnavailable({ cause }), 503, 'ORDER_ERR_STORE_UNAVAILABLE', 'State store unavailable, retry later']
  ]
  for (const [err, status, code, message] of cases) {
    t.ok(err instanceof HttpError)
    t.equal(err.statusCode, status)
    t.equal(err.code, code)
    t.equal(err.message, message)
  }
  t.equal(orderErrors.storeUnavailable({ cause }).cause, cause)
  t.notMatch(orderErrors.storeUnavailable({ cause }).message, /down/, 'the cause never reaches the client message')
})
