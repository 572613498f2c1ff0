import t from 'tap'
import { loadOrderConfig, publicListenerWarnings } from '../../src/order/config.js'

const KEY = 'public-key-0123456789abcdef'

t.test('defaults: loopback only, no public listener', async (t) => {
  t.same(loadOrderConfig({}), { DAPR_HTTP_PORT: 3500, HOST: '127.0.0.1', PORT: 3000, PUBLIC_HOST: '127.0.0.1', PUBLIC_DEMO_MODE: 'off', LOG_LEVEL: 'info', STATE_STORE_NAME: 'statestore', DRAIN_DELAY_MS: 0, CLOSE_GRACE_DELAY_MS: 10_000 })
})

t.test('every variable is read and converted (the EKS Deployment\'s set)', async (t) => {
  t.same(loadOrderConfig({ HOST: '127.0.0.1', PORT: '3000', PUBLIC_HOST: '0.0.0.0', PUBLIC_PORT: '8080', PUBLIC_API_KEY: KEY, PUBLIC_DEMO_MODE: 'reads', METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0', LOG_LEVEL: 'debug', STATE_STORE_NAME: 'orders', APP_API_TOKEN: 't', DRAIN_DELAY_MS: '5000', CLOSE_GRACE_DELAY_MS: '20000' }),
    { DAPR_HTTP_PORT: 3500, HOST: '127.0.0.1', PORT: 3000, PUBLIC_HOST: '0.0.0.0', PUBLIC_PORT: 8080, PUBLIC_API_KEY: KEY, PUBLIC_DEMO_MODE: 'reads', METRICS_PORT: 9464, METRICS_HOST: '0.0.0.0', LOG_LEVEL: 'debug', STATE_STORE_NAME: 'orders', APP_API_TOKEN: 't', DRAIN_DELAY_MS: 5000, CLOSE_GRACE_DELAY_MS: 20000 })
})

t.test('all problems at once, the cross-variable ones included', async (t) => {
  t.throws(() => loadOrderConfig({ PORT: '70000', METRICS_PORT: '-1', CLOSE_GRACE_DELAY_MS: '0', DRAIN_DELAY_MS: 'soon', DAPR_HTTP_PORT: 'x', PUBLIC_PORT: '8080' }), {
    code: 'CONFIG_ERR_INVALID',
    problems: [/^DAPR_HTTP_PORT: /, /^PORT: /, /^METRICS_PORT: /, /^DRAIN_DELAY_MS: /, /^CLOSE_GRACE_DELAY_MS: /, /^PUBLIC_API_KEY: required when PUBLIC_PORT is set/]
  })
})

t.test('the public listener refuses to start without a key, unless a demo mode opens it on purpose', async (t) => {
  t.throws(() => loadOrderConfig({ PUBLIC_PORT: '8080' }), { code: 'CONFIG_ERR_INVALID', problems: [/^PUBLIC_API_KEY: required when PUBLIC_PORT is set .*PUBLIC_DEMO_MODE=reads or all$/] })
  t.throws(() => loadOrderConfig({ PUBLIC_PORT: '8080', PUBLIC_API_KEY: '', PUBLIC_DEMO_MODE: 'off' }), { code: 'CONFIG_ERR_INVALID', problems: [/^PUBLIC_API_KEY: required/] }, 'an empty key is no key')
  t.match(loadOrderConfig({ PUBLIC_PORT: '8080', PUBLIC_DEMO_MODE: 'reads' }), { PUBLIC_PORT: 8080, PUBLIC_DEMO_MODE: 'reads' })
  t.match(loadOrderConfig({ PUBLIC_PORT: '8080', PUBLIC_DEMO_MODE: 'all' }), { PUBLIC_DEMO_MODE: 'all' })
  t.throws(() => loadOrderConfig({ PUBLIC_PORT: '8080', PUBLIC_DEMO_MODE: 'yes' }), { code: 'CONFIG_ERR_INVALID', problems: ['PUBLIC_DEMO_MODE: expected one of off, reads, all (got "yes")'] })
})

t.test('the public key is never the app token, and a problem with it never quotes it', async (t) => {
  const err = t.throws(() => loadOrderConfig({ PUBLIC_PORT: '8080', PUBLIC_API_KEY: KEY, APP_API_TOKEN: KEY }), {
    code: 'CONFIG_ERR_INVALID',
    problems: ['PUBLIC_API_KEY: must differ from APP_API_TOKEN; the app token never leaves the pod (value not shown)']
  }) as Error
  t.notMatch(err.message, KEY)
  const weak = t.throws(() => loadOrderConfig({ PUBLIC_PORT: '8080', PUBLIC_API_KEY: 'short' }), {
    code: 'CONFIG_ERR_INVALID',
    problems: ['PUBLIC_API_KEY: must be at least 16 visible ASCII characters without spaces (e.g. openssl rand -hex 32) (value not shown)']
  }) as Error
  t.notMatch(weak.message, 'short')
  t.throws(() => loadOrderConfig({ PUBLIC_PORT: '8080', PUBLIC_API_KEY: 'sixteen chars ok ' }), { code: 'CONFIG_ERR_INVALID', problems: [/^PUBLIC_API_KEY: must be/] }, 'spaces would never survive a header')
})

t.test('PUBLIC_PORT must differ from PORT (0, a free port each, may repeat) and is needed by the key and demo mode', async (t) => {
  t.throws(() => loadOrderConfig({ PORT: '8080', PUBLIC_PORT: '8080', PUBLIC_API_KEY: KEY }), { code: 'CONFIG_ERR_INVALID', problems: ['PUBLIC_PORT: must differ from PORT, the Dapr app channel'] })
  t.match(loadOrderConfig({ PORT: '0', PUBLIC_PORT: '0', PUBLIC_API_KEY: KEY }), { PORT: 0, PUBLIC_PORT: 0 })
  t.throws(() => loadOrderConfig({ PUBLIC_API_KEY: KEY }), { code: 'CONFIG_ERR_INVALID', problems: [/^PUBLIC_PORT: not set, so PUBLIC_API_KEY \/ PUBLIC_DEMO_MODE would guard no listener/] })
  t.throws(() => loadOrderConfig({ PUBLIC_DEMO_MODE: 'all' }), { code: 'CONFIG_ERR_INVALID', problems: [/^PUBLIC_PORT: not set/] })
  t.match(loadOrderConfig({ PUBLIC_DEMO_MODE: 'off' }), { PUBLIC_DEMO_MODE: 'off' }, 'off without a public listener is harmless')
})

t.test('the sidecar variables are part of it', async (t) => {
  t.match(loadOrderConfig({ DAPR_HTTP_ENDPOINT: 'http://dapr:3500', DAPR_API_TOKEN: 'x' }), { DAPR_HTTP_ENDPOINT: 'http://dapr:3500', DAPR_API_TOKEN: 'x' })
})

t.test('warnings: demo modes are shouted about; a keyed or absent public listener is quiet', async (t) => {
  t.same(publicListenerWarnings(loadOrderConfig({})), [])
  t.same(publicListenerWarnings(loadOrderConfig({ PUBLIC_PORT: '8080', PUBLIC_API_KEY: KEY })), [])
  t.match(publicListenerWarnings(loadOrderConfig({ PUBLIC_HOST: '0.0.0.0', PUBLIC_PORT: '8080', PUBLIC_DEMO_MODE: 'all' })), [
    /^DEMO MODE \(PUBLIC_DEMO_MODE=all\): the public listener on 0\.0\.0\.0:8080 lets ANYONE read every order and post new ones, with no key\. Never use/
  ])
  t.match(publicListenerWarnings(loadOrderConfig({ PUBLIC_PORT: '8080', PUBLIC_DEMO_MODE: 'all', PUBLIC_API_KEY: KEY })), [/ PUBLIC_API_KEY is ignored\./])
  t.match(publicListenerWarnings(loadOrderConfig({ PUBLIC_PORT: '8080', PUBLIC_DEMO_MODE: 'reads' })), [/lets ANYONE read every order, with no key; POST \/neworder is refused there \(no PUBLIC_API_KEY\)/])
  t.match(publicListenerWarnings(loadOrderConfig({ PUBLIC_PORT: '8080', PUBLIC_DEMO_MODE: 'reads', PUBLIC_API_KEY: KEY })), [/POST \/neworder still needs x-api-key/])
  for (const warning of publicListenerWarnings(loadOrderConfig({ PUBLIC_PORT: '8080', PUBLIC_DEMO_MODE: 'all', PUBLIC_API_KEY: KEY }))) t.notMatch(warning, KEY)
})
