import t from 'tap'
import { pathToFileURL } from 'node:url'
import { resolve } from 'node:path'
import { ConfigError } from '../../src/shared/config.js'
import { isMainModule, logStartupFailure } from '../../src/shared/process.js'
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
