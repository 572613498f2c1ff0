import t from 'tap'
import { Type } from '@sinclair/typebox'
import { ConfigError, DaprEnvSchema, LogLevelSchema, daprEndpoint, parseEnv, sidecarOptions } from '../../src/shared/config.js'

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

t.test('DaprEnvSchema: the sidecar variables with Dapr\'s defaults, checked like any other', async (t) => {
  t.same(parseEnv(DaprEnvSchema, {}), { DAPR_HTTP_PORT: 3500 })
  const full = parseEnv(DaprEnvSchema, { DAPR_HTTP_ENDPOINT: 'HTTPS://dapr.example:443/base', DAPR_HTTP_PORT: '3601', DAPR_API_TOKEN: 'tok' })
  t.same(full, { DAPR_HTTP_ENDPOINT: 'HTTPS://dapr.example:443/base', DAPR_HTTP_PORT: 3601, DAPR_API_TOKEN: 'tok' })
  t.equal(daprEndpoint(full), 'HTTPS://dapr.example:443/base')
  t.equal(daprEndpoint(parseEnv(DaprEnvSchema, { DAPR_HTTP_PORT: '3601' })), 'http://127.0.0.1:3601')
  t.same(sidecarOptions(full), { endpoint: 'HTTPS://dapr.example:443/base', apiToken: 'tok', env: {} })
  t.same(sidecarOptions(parseEnv(DaprEnvSchema, {})), { endpoint: 'http://127.0.0.1:3500', apiToken: undefined, env: {} })
})

t.test('DaprEnvSchema problems say what is expected; a bad token is never quoted', async (t) => {
  const bad = { DAPR_HTTP_ENDPOINT: 'localhost:3500', DAPR_HTTP_PORT: '0', DAPR_API_TOKEN: 'sec\nret' }
  t.throws(() => parseEnv(DaprEnvSchema, bad), {
    code: 'CONFIG_ERR_INVALID',
    problems: [
      'DAPR_HTTP_ENDPOINT: must be an http(s) URL such as http://127.0.0.1:3500, without query, fragment or credentials (got "localhost:3500")',
      'DAPR_HTTP_PORT: must be a port number (1-65535) (got 0)',
      'DAPR_API_TOKEN: must be one line (value not shown)'
    ]
  })
  for (const endpoint of ['ftp://x', 'http://u:p@h', 'http://h/?a=1', 'http://h/#x', 'http://h /']) {
    t.throws(() => parseEnv(DaprEnvSchema, { DAPR_HTTP_ENDPOINT: endpoint }), { code: 'CONFIG_ERR_INVALID' }, endpoint)
  }
})
