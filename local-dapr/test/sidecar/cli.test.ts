import t from 'tap'
import { CliError, parseCli } from '../../src/sidecar/cli.js'

t.test('daprd flags in Go flag syntax', async (t) => {
  const c = parseCli(['--app-id', 'nodeapp', '-app-port=3000', '--dapr-http-port', '0', '--dapr-grpc-port', '50001', '--resources-path', 'a',
    '--resources-path=b', '--components-path', 'c', '--config', 'x.yaml', '--app-channel-address', '::1', '--log-level', 'debug',
    '--enable-api-logging', '--app-protocol=http', '--enable-app-health-check=true', '--app-health-check-path', '/ready',
    '--app-health-probe-interval', '2', '--app-health-probe-timeout', '700', '--app-health-threshold', '4', '--enable-metrics=false', '--log-as-json'],
  { DAPR_API_TOKEN: 't', APP_API_TOKEN: 'a', NAMESPACE: 'ns', DAPR_HOST_IP: '10.0.0.1', LOCAL_DAPR_REGISTRY_DIR: '/r' })
  t.match(c, {
    appId: 'nodeapp',
    appPort: 3000,
    httpPort: 0,
    appChannelAddress: '::1',
    resourcesPaths: ['a', 'b', 'c'],
    configPath: 'x.yaml',
    logLevel: 'debug',
    apiLogging: true,
    appHealth: { path: '/ready', intervalMs: 2000, timeoutMs: 700, threshold: 4 },
    apiToken: 't',
    appApiToken: 'a',
    namespace: 'ns',
    keyNamespace: 'ns',
    hostIp: '10.0.0.1',
    registryDir: '/r'
  })
  t.equal(c.warnings.length, 3)
})

t.test('defaults', async (t) => {
  const c = parseCli(['--app-id=a', '--enable-app-health-check', '--app-port', '1', '--enable-api-logging=0'], {})
  t.match(c, {
    appPort: 1,
    httpPort: 3500,
    appChannelAddress: '127.0.0.1',
    resourcesPaths: [],
    configPath: undefined,
    logLevel: 'info',
    apiLogging: false,
    appHealth: { path: '/healthz', intervalMs: 5000, timeoutMs: 500, threshold: 3 },
    apiToken: undefined,
    appApiToken: undefined,
    namespace: 'default',
    keyNamespace: '',
    hostIp: '127.0.0.1',
    registryDir: undefined
  })
  t.equal(parseCli(['--app-id', 'a', '--app-port', '0'], {}).appPort, undefined)
  t.equal(parseCli(['--app-id', 'a'], {}).appHealth, undefined)
})

t.test('bad command lines', async (t) => {
  const bad: Array<[string[], RegExp]> = [
    [['--bogus', '1'], /flag provided but not defined: -bogus/],
    [['app'], /unexpected argument "app"/],
    [['--app-id'], /flag needs an argument: -app-id/],
    [['--app-port', '1'], /--app-id is required/],
    [['--app-id', 'a', '--app-protocol', 'grpc'], /http only/],
    [['--app-id', 'a', '--log-level', 'loud'], /log-level/],
    [['--app-id', 'a', '--app-port', 'x'], /invalid value "x" for flag -app-port/],
    [['--app-id', 'a', '--app-port', '70000'], /invalid value/],
    [['--app-id', 'a', '--enable-api-logging=maybe'], /invalid boolean value/],
    [['--app-id', 'a', '--enable-app-health-check'], /needs --app-port/]
  ]
  for (const [argv, msg] of bad) t.throws(() => parseCli(argv, {}), new CliError('x') && { message: msg, code: 'ERR_CLI_USAGE' }, argv.join(' '))
})
