import t from 'tap'
import { createLogger, loggerOptions, REDACT_PATHS } from '../../src/shared/logger.js'
import { captureLogs } from '../helpers/log-capture.js'

t.test('JSON lines at the given level, tokens redacted wherever headers are logged', async (t) => {
  const logs = captureLogs('info')
  logs.logger.debug('hidden')
  logs.logger.info({ orderId: '42' }, 'Got a new order! Order ID: 42')
  logs.logger.warn({ req: { headers: { 'dapr-api-token': 'x1', authorization: 'x2' } }, request: { headers: { 'dapr-api-token': 'x3' } }, headers: { 'dapr-api-token': 'x4', authorization: 'x5' } }, 'h')
  t.match(logs.lines, [{ level: 30, orderId: '42', msg: 'Got a new order! Order ID: 42' }, { level: 40 }])
  t.equal(logs.lines.length, 2)
  t.notMatch(logs.raw(), /x[1-5]/)
})

t.test('options and the default destination', async (t) => {
  t.same(loggerOptions('warn'), { level: 'warn', redact: { paths: REDACT_PATHS, censor: '[Redacted]' } })
  t.equal(createLogger('error').level, 'error')
})
