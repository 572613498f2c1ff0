import t from 'tap'
import { orderErrors } from '../../src/order/errors.js'
import { HttpError } from '../../src/shared/http.js'

t.test('every order error has its status and stable code', async (t) => {
  const cause = new Error('down')
  const cases: Array<[HttpError, number, string]> = [
    [orderErrors.notFound('7'), 404, 'ORDER_ERR_NOT_FOUND'],
    [orderErrors.noOrderYet(), 404, 'ORDER_ERR_NO_ORDER_YET'],
    [orderErrors.conflict('7'), 409, 'ORDER_ERR_CONFLICT'],
    [orderErrors.unauthorized(), 401, 'ORDER_ERR_UNAUTHORIZED'],
    [orderErrors.tooDeep(32), 400, 'ORDER_ERR_TOO_DEEP'],
    [orderErrors.inexactNumber('1e400'), 400, 'ORDER_ERR_INEXACT_NUMBER'],
    [orderErrors.storeUnavailable(cause), 503, 'ORDER_ERR_STORE_UNAVAILABLE']
  ]
  for (const [err, status, code] of cases) {
    t.ok(err instanceof HttpError)
    t.equal(err.statusCode, status)
    t.equal(err.code, code)
  }
  t.equal(orderErrors.storeUnavailable(cause).cause, cause)
  t.match(orderErrors.inexactNumber('1e400').message, /^The number 1e400 cannot be stored exactly/)
  t.match(orderErrors.inexactNumber('9'.repeat(5000)).message, /^The number 9{37}\.\.\. cannot/, 'a long number is cut short in the message')
  t.notMatch(orderErrors.storeUnavailable(cause).message, /down/, 'the cause never reaches the client message')
})
