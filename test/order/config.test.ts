import t from 'tap'
import { loadOrderConfig } from '../../src/order/config.js'

t.test('defaults match the quickstart deployment', async (t) => {
  t.same(loadOrderConfig({}), { DAPR_HTTP_PORT: 3500, HOST: '0.0.0.0', PORT: 3000, LOG_LEVEL: 'info', STATE_STORE_NAME: 'statestore', DRAIN_DELAY_MS: 0, CLOSE_GRACE_DELAY_MS: 10_000 })
})

t.test('every variable is read and converted', async (t) => {
  t.same(loadOrderConfig({ HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '9464', LOG_LEVEL: 'debug', STATE_STORE_NAME: 'orders', APP_API_TOKEN: 't', DRAIN_DELAY_MS: '5000', CLOSE_GRACE_DELAY_MS: '20000' }),
    { DAPR_HTTP_PORT: 3500, HOST: '127.0.0.1', PORT: 0, METRICS_PORT: 9464, LOG_LEVEL: 'debug', STATE_STORE_NAME: 'orders', APP_API_TOKEN: 't', DRAIN_DELAY_MS: 5000, CLOSE_GRACE_DELAY_MS: 20000 })
})

t.test('all problems at once', async (t) => {
  t.throws(() => loadOrderConfig({ PORT: '70000', METRICS_PORT: '-1', CLOSE_GRACE_DELAY_MS: '0', DRAIN_DELAY_MS: 'soon', DAPR_HTTP_PORT: 'x' }), {
    code: 'CONFIG_ERR_INVALID',
    problems: [/^DAPR_HTTP_PORT: /, /^PORT: /, /^METRICS_PORT: /, /^DRAIN_DELAY_MS: /, /^CLOSE_GRACE_DELAY_MS: /]
  })
})

t.test('the sidecar variables are part of it', async (t) => {
  t.match(loadOrderConfig({ DAPR_HTTP_ENDPOINT: 'http://dapr:3500', DAPR_API_TOKEN: 'x' }), { DAPR_HTTP_ENDPOINT: 'http://dapr:3500', DAPR_API_TOKEN: 'x' })
})
