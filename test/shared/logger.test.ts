import t from 'tap'
import { Writable } from 'node:stream'
import { createLogger, createProcessLogger, loggerOptions, prettyLine, prettyStream, REDACT_PATHS } from '../../src/shared/logger.js'
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

t.test('config and environment tokens are redacted too', async (t) => {
  const logs = captureLogs('info')
  logs.logger.info({ APP_API_TOKEN: 'y1', config: { DAPR_API_TOKEN: 'y2', APP_API_TOKEN: 'y3', PORT: 3000 } }, 'config')
  t.notMatch(logs.raw(), /y[1-3]/)
  t.match(logs.lines[0], { APP_API_TOKEN: '[Redacted]', config: { PORT: 3000 } })
})

t.test('prettyLine: time, level, message, fields; stacks below; non-JSON passes through', async (t) => {
  t.equal(prettyLine('{"level":30,"time":0,"pid":1,"hostname":"h","msg":"hi","orderId":"42","n":{"a":1}}'), '00:00:00.000 INFO  hi orderId=42 n={"a":1}\n')
  t.equal(prettyLine('{"level":50,"time":1000,"msg":"boom","err":{"type":"Error","message":"x","stack":"Error: x\\n    at f"}}'),
    '00:00:01.000 ERROR boom err={"type":"Error","message":"x"}\n    Error: x\n        at f\n')
  t.equal(prettyLine('{"level":35,"err":{"message":"no stack"}}'), '--:--:--.--- 35     err={"message":"no stack"}\n', 'unknown level and no time or message')
  t.equal(prettyLine('not json'), 'not json\n')
  t.equal(prettyLine('[1,2]'), '[1,2]\n')
  t.equal(prettyLine('null'), 'null\n')
})

t.test('createProcessLogger: pretty on a terminal, JSON elsewhere', async (t) => {
  const written: string[] = []
  const tty = Object.assign(new Writable({ write (chunk: Buffer, _e, cb) { written.push(chunk.toString()); cb() } }), { isTTY: true })
  const pretty = createProcessLogger('info', tty)
  pretty.info({ orderId: '7' }, 'Got a new order! Order ID: 7')
  pretty.debug('hidden')
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(written.length, 1)
  t.match(written[0], /^\d\d:\d\d:\d\d\.\d{3} INFO {2}Got a new order! Order ID: 7 orderId=7\n$/)
  t.equal(createProcessLogger('warn', new Writable()).level, 'warn', 'not a terminal: the default JSON destination')
  t.equal(createProcessLogger('error').level, 'error')
  const direct = prettyStream(tty)
  direct.write('{"msg":"a"}\n{"msg":"b"}\n')
  await new Promise((resolve) => setImmediate(resolve))
  t.match(written.slice(1), [/ a\n$/, / b\n$/], 'several lines in one chunk')
})
