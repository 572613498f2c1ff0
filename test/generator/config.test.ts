import t from 'tap'
import { loadGeneratorConfig } from '../../src/generator/config.js'

t.test('defaults: one order a second to nodeapp, forever, every order retried until delivered', async (t) => {
  t.same(loadGeneratorConfig({}), {
    DAPR_HTTP_PORT: 3500,
    HOST: '0.0.0.0',
    PORT: 3001,
    LOG_LEVEL: 'info',
    TARGET_APP_ID: 'nodeapp',
    STATE_STORE_NAME: 'statestore',
    GENERATOR_COUNTER_KEY: 'order-id-counter',
    GENERATOR_ID_BLOCK_SIZE: 100,
    GENERATOR_INTERVAL_MS: 1000,
    GENERATOR_CONCURRENCY: 1,
    GENERATOR_RETRY_BASE_MS: 100,
    GENERATOR_RETRY_MAX_MS: 5000,
    GENERATOR_REQUEST_TIMEOUT_MS: 10_000,
    GENERATOR_SIDECAR_WAIT_MS: 60_000,
    CLOSE_GRACE_DELAY_MS: 20_000
  })
})

t.test('the load-tool knobs', async (t) => {
  t.match(loadGeneratorConfig({ GENERATOR_COUNT: '500', GENERATOR_CONCURRENCY: '16', GENERATOR_INTERVAL_MS: '0', GENERATOR_DELIVERED_FILE: '/tmp/ids.txt' }),
    { GENERATOR_COUNT: 500, GENERATOR_CONCURRENCY: 16, GENERATOR_INTERVAL_MS: 0, GENERATOR_DELIVERED_FILE: '/tmp/ids.txt' })
})

t.test('METRICS_PORT moves /metrics off the probe port', async (t) => {
  t.equal(loadGeneratorConfig({ METRICS_PORT: '9464' }).METRICS_PORT, 9464)
  t.throws(() => loadGeneratorConfig({ METRICS_PORT: '65536' }), { code: 'CONFIG_ERR_INVALID', problems: [/^METRICS_PORT: /] })
})

t.test('all problems at once', async (t) => {
  t.throws(() => loadGeneratorConfig({ GENERATOR_COUNT: '0', GENERATOR_CONCURRENCY: 'many', GENERATOR_RETRY_MAX_MS: '0', GENERATOR_INTERVAL_MS: '-5', DAPR_HTTP_ENDPOINT: 'dapr:3500' }), {
    code: 'CONFIG_ERR_INVALID',
    problems: [/^DAPR_HTTP_ENDPOINT: /, /^GENERATOR_INTERVAL_MS: /, /^GENERATOR_COUNT: /, /^GENERATOR_CONCURRENCY: /, /^GENERATOR_RETRY_MAX_MS: /]
  })
})
