import t from 'tap'
import { Writable } from 'node:stream'
import { createLogger, createProcessLogger, loggerOptions, onceOutputLost, REDACT_PATHS } from '../../src/shared/logger.js'
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

const tick = async (): Promise<void> => await new Promise((resolve) => setTimeout(resolve, 20))

function terminal (isTTY = true): Writable & { isTTY: boolean, written: string[] } {
  const written: string[] = []
  return Object.assign(new Writable({ write (chunk: Buffer, _e, cb) { written.push(chunk.toString()); cb() } }), { isTTY, written })
}

t.test('on a terminal: pino-pretty lines (time, coloured level, message, the fields that matter)', async (t) => {
  const tty = terminal()
  const pretty = createProcessLogger('info', { out: tty })
  pretty.info({ orderId: '7', reqId: 'r', traceId: 'x' }, 'Got a new order! Order ID: 7')
  pretty.info({ latencyMs: 12 }, 'Order 7 delivered')
  pretty.debug('hidden')
  await tick()
  t.equal(tty.written.length, 2)
  // eslint-disable-next-line no-control-regex
  const plain = tty.written.map((l) => l.replace(/\u001b\[\d+m/g, ''))
  t.match(plain[0], /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: Got a new order! Order ID: 7\n$/, 'ids that repeat the message are left out')
  t.match(plain[1], /INFO: Order 7 delivered \{"latencyMs":12\}\n$/)
  t.ok(tty.written[0]?.includes('\u001b[32mINFO'), 'the level in colour')
})

t.test('not a terminal, or no pino-pretty installed (the image): the exact JSON lines', async (t) => {
  const pipe = terminal(false)
  createProcessLogger('info', { out: pipe }).info({ orderId: '7' }, 'Got a new order! Order ID: 7')
  const bare = terminal(true)
  createProcessLogger('info', { out: bare, loadPretty: () => { throw Object.assign(new Error('Cannot find module'), { code: 'MODULE_NOT_FOUND' }) } }).info('x')
  await tick()
  t.match(JSON.parse(pipe.written[0] as string), { level: 30, orderId: '7', msg: 'Got a new order! Order ID: 7' })
  t.match(JSON.parse(bare.written[0] as string), { level: 30, msg: 'x' })
  t.equal(createProcessLogger('error').level, 'error', 'the default output, process.stdout')
})

t.test('a lost output (EPIPE, EIO) is reported once; other write errors are thrown', async (t) => {
  const lost: string[] = []
  const out = terminal(false)
  createProcessLogger('info', { out, onOutputLost: (err) => lost.push(err.code as string) })
  out.emit('error', Object.assign(new Error('broken pipe'), { code: 'EPIPE' }))
  out.emit('error', Object.assign(new Error('i/o'), { code: 'EIO' }))
  t.same(lost, ['EPIPE'], 'once')
  const tty = terminal()
  const prettyLost: string[] = []
  createProcessLogger('info', { out: tty, onOutputLost: (err) => prettyLost.push(err.code as string) })
  tty.emit('error', Object.assign(new Error('i/o'), { code: 'EIO' }))
  t.same(prettyLost, ['EIO'], 'the terminal behind pino-pretty too')
  const report = onceOutputLost(() => t.fail('not a lost output'))
  t.throws(() => report(Object.assign(new Error('disk full'), { code: 'ENOSPC' })), { code: 'ENOSPC' })
})

t.test('by default a lost output raises SIGHUP at the process, which closes as on a hang-up', async (t) => {
  const kills: unknown[][] = []
  t.intercept(process, 'kill', { value: (...args: unknown[]) => { kills.push(args); return true } })
  const out = terminal(false)
  createProcessLogger('info', { out })
  out.emit('error', Object.assign(new Error('broken pipe'), { code: 'EPIPE' }))
  t.same(kills, [[process.pid, 'SIGHUP']])
})
