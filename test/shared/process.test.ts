import t from 'tap'
import { pathToFileURL } from 'node:url'
import { resolve } from 'node:path'
import { ConfigError } from '../../src/shared/config.js'
import { EventEmitter } from 'node:events'
import { closeGracefully, endByHangup, FAULT_SIGNALS, isMainModule, logStartupFailure } from '../../src/shared/process.js'
import { captureLogs } from '../helpers/log-capture.js'

t.test('isMainModule compares the started script with the module, through symlinks', async (t) => {
  const file = resolve('src/shared/process.ts')
  t.ok(isMainModule(pathToFileURL(file).href, ['node', file]))
  t.notOk(isMainModule(pathToFileURL(file).href, ['node', resolve('src/shared/config.ts')]))
  t.notOk(isMainModule(pathToFileURL(file).href, ['node']), 'no script (a REPL)')
  t.notOk(isMainModule(pathToFileURL(file).href, ['node', '/no/such/file.js']))
  t.equal(isMainModule(pathToFileURL(file).href), false, 'by default, compared with the script node started (this test)')
  t.equal(isMainModule(import.meta.url), true)
})

t.test('start-up failures are logged fatal, config problems as a list', async (t) => {
  const logs = captureLogs('info')
  logStartupFailure(logs.logger, new ConfigError(['PORT: bad', 'LOG_LEVEL: bad']))
  logStartupFailure(logs.logger, new Error('EADDRINUSE'))
  t.match(logs.lines, [
    { level: 60, problems: ['PORT: bad', 'LOG_LEVEL: bad'], msg: 'invalid configuration: PORT: bad; LOG_LEVEL: bad' },
    { level: 60, err: { message: 'EADDRINUSE' }, msg: 'start-up failed' }
  ])
})

t.test('endByHangup: after a SIGHUP, exit becomes death by SIGHUP (no exit() on a dead terminal)', async (t) => {
  const kills: unknown[][] = []
  const proc = Object.assign(new EventEmitter(), { pid: 42, kill: (...args: unknown[]) => kills.push(args) })
  const undo = endByHangup(proc)
  proc.on('SIGHUP', () => {})
  proc.emit('exit')
  t.same(kills, [], 'an ordinary exit is left alone')
  proc.emit('SIGHUP')
  t.equal(proc.listenerCount('exit'), 1)
  proc.emit('exit')
  t.same(kills, [[42, 'SIGHUP']])
  t.equal(proc.listenerCount('SIGHUP'), 0, 'every SIGHUP listener gone, so the default action ends the process')
  undo()
  const other = Object.assign(new EventEmitter(), { pid: 43, kill: (...args: unknown[]) => kills.push(args) })
  endByHangup(other)()
  t.equal(other.listenerCount('SIGHUP'), 0, 'uninstalled')
})

t.test('closeGracefully listens to the ordinary signals only, never to a native fault', async (t) => {
  const before = (s: string): number => process.listenerCount(s)
  const counts = { SIGTERM: before('SIGTERM'), SIGHUP: before('SIGHUP') }
  // tap's own signal-exit listens to some of them already: compare with before.
  const faults = FAULT_SIGNALS.map(before)
  const grace = closeGracefully({ delay: 1000, logger: captureLogs('info').logger }, async () => {})
  t.same(FAULT_SIGNALS.map(before), faults, 'no listener added to SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT')
  t.equal(process.listenerCount('SIGTERM'), counts.SIGTERM + 1)
  t.equal(process.listenerCount('SIGHUP'), counts.SIGHUP + 2, 'close-with-grace and the hang-up ending')
  t.type(grace.close, 'function')
  grace.uninstall()
  t.equal(process.listenerCount('SIGTERM'), counts.SIGTERM)
  t.equal(process.listenerCount('SIGHUP'), counts.SIGHUP)
})
