import t from 'tap'
import { Type } from '@sinclair/typebox'
import { ConfigError, LogLevelSchema, parseEnv } from '../../src/shared/config.js'

const Schema = Type.Object({
  PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 3000 }),
  LOG_LEVEL: LogLevelSchema,
  NAME: Type.String({ minLength: 1, default: 'statestore' }),
  COUNT: Type.Optional(Type.Integer({ minimum: 1 })),
  TOKEN: Type.Optional(Type.String({ minLength: 1 }))
})

t.test('defaults apply, strings convert, unrelated variables are dropped', async (t) => {
  t.same(parseEnv(Schema, { PATH: '/bin' }), { PORT: 3000, LOG_LEVEL: 'info', NAME: 'statestore' })
  t.same(parseEnv(Schema, { PORT: '8080', LOG_LEVEL: 'debug', COUNT: ' 5 ', TOKEN: 'x' }), { PORT: 8080, LOG_LEVEL: 'debug', NAME: 'statestore', COUNT: 5, TOKEN: 'x' })
})

t.test('an empty variable counts as unset', async (t) => {
  t.same(parseEnv(Schema, { PORT: '', TOKEN: '', COUNT: '' }), { PORT: 3000, LOG_LEVEL: 'info', NAME: 'statestore' })
})

t.test('every problem is reported at once, with the variable and the value', async (t) => {
  const err = (() => { try { parseEnv(Schema, { PORT: 'abc', LOG_LEVEL: 'loud', COUNT: '1.5' }) } catch (e) { return e } })()
  t.ok(err instanceof ConfigError)
  const problems = (err as ConfigError).problems
  t.same(problems, [
    'PORT: Expected integer (got "abc")',
    'LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    'COUNT: Expected integer (got "1.5")'
  ])
  t.equal((err as ConfigError).code, 'CONFIG_ERR_INVALID')
  t.match((err as ConfigError).message, /^invalid configuration: PORT: .*; LOG_LEVEL: .*; COUNT: /)
})

t.test('range problems are reported too', async (t) => {
  t.throws(() => parseEnv(Schema, { PORT: '0' }), { code: 'CONFIG_ERR_INVALID', problems: ['PORT: Expected integer to be greater or equal to 1 (got 0)'] })
})
