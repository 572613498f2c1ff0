// daprd's command line (cmd/daprd/options), parsed the way Go's flag package does:
// `-flag`, `--flag`, `--flag value`, `--flag=value`; bools take no separate value.
import type { AppHealthOptions } from './invoke/app-channel.js'

export class CliError extends Error {
  readonly code = 'ERR_CLI_USAGE'
  constructor (message: string) {
    super(message)
    this.name = 'CliError'
  }
}

export interface CliConfig {
  appId: string
  appPort: number | undefined
  httpPort: number
  appChannelAddress: string
  resourcesPaths: string[]
  configPath: string | undefined
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'fatal'
  apiLogging: boolean
  appHealth: AppHealthOptions | undefined
  apiToken: string | undefined
  appApiToken: string | undefined
  namespace: string
  keyNamespace: string
  hostIp: string
  registryDir: string | undefined
  /** Notes for the log: accepted-but-ignored and deprecated flags. */
  warnings: string[]
}

const STRING_FLAGS = new Set(['app-id', 'app-port', 'dapr-http-port', 'resources-path', 'components-path', 'config',
  'app-channel-address', 'log-level', 'app-protocol', 'app-health-check-path', 'app-health-probe-interval',
  'app-health-probe-timeout', 'app-health-threshold'])
const BOOL_FLAGS = new Set(['enable-api-logging', 'enable-app-health-check', 'log-as-json'])
/** daprd flags with no meaning for the local sidecar: accepted so `dapr run` lines keep working. */
const IGNORED_FLAGS = new Set(['dapr-grpc-port', 'dapr-internal-grpc-port', 'metrics-port', 'profile-port',
  'placement-host-address', 'scheduler-host-address', 'app-max-concurrency', 'mode', 'dapr-http-max-request-size',
  'dapr-http-read-buffer-size', 'dapr-listen-addresses', 'control-plane-address', 'sentry-address'])
const IGNORED_BOOL_FLAGS = new Set(['enable-metrics', 'enable-profiling', 'enable-mtls'])

export const SIDECAR_USAGE = `usage: local-dapr sidecar --app-id <id> [flags]

daprd's flags, parsed as daprd parses them (-flag, --flag value, --flag=value):
  --app-id id                    required
  --app-port port                the app's HTTP port (none: no app channel)
  --dapr-http-port port          the Dapr HTTP API (default 3500)
  --resources-path dir           component and resiliency files; repeatable (--components-path is the old name)
  --config file                  a Configuration resource
  --app-channel-address host     where the app listens (default 127.0.0.1)
  --app-protocol http            http only
  --log-level level              debug, info, warn, error or fatal (default info)
  --enable-api-logging           one log line per API call
  --enable-app-health-check      with --app-health-check-path, --app-health-probe-interval (s),
                                 --app-health-probe-timeout (ms), --app-health-threshold
Accepted and ignored: ${[...IGNORED_FLAGS, ...IGNORED_BOOL_FLAGS].sort().map((f) => `--${f}`).join(', ')}.
Environment: DAPR_API_TOKEN, APP_API_TOKEN, NAMESPACE, DAPR_HOST_IP, LOCAL_DAPR_REGISTRY_DIR.
`

function intFlag (name: string, v: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^-?\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new CliError(`invalid value "${v}" for flag -${name}: parse error`)
  return Number(v)
}

function boolValue (name: string, v: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false
  throw new CliError(`invalid boolean value "${v}" for -${name}: parse error`)
}

/**
 * @example
 * parseCli(['--app-id', 'nodeapp', '--app-port', '3000', '--resources-path', './components/local'], process.env)
 */
export function parseCli (argv: readonly string[], env: NodeJS.ProcessEnv): CliConfig {
  const values = new Map<string, string[]>()
  const bools = new Map<string, boolean>()
  const warnings: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const m = /^--?([^=-][^=]*)(?:=(.*))?$/s.exec(arg)
    if (!m) throw new CliError(`unexpected argument ${JSON.stringify(arg)}: daprd takes flags only`)
    const name = m[1] as string
    let value = m[2]
    if (BOOL_FLAGS.has(name) || IGNORED_BOOL_FLAGS.has(name)) {
      const b = value === undefined ? true : boolValue(name, value)
      if (IGNORED_BOOL_FLAGS.has(name)) warnings.push(`flag --${name} is accepted and ignored by the local sidecar`)
      else bools.set(name, b)
      continue
    }
    if (!STRING_FLAGS.has(name) && !IGNORED_FLAGS.has(name)) throw new CliError(`flag provided but not defined: -${name}`)
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new CliError(`flag needs an argument: -${name}`)
      value = argv[++i] as string
    }
    if (IGNORED_FLAGS.has(name)) {
      warnings.push(`flag --${name} is accepted and ignored by the local sidecar`)
      continue
    }
    values.set(name, [...(values.get(name) ?? []), value])
  }
  const one = (name: string): string | undefined => values.get(name)?.at(-1)

  const appId = one('app-id')
  if (!appId) throw new CliError('flag --app-id is required')
  const protocol = one('app-protocol') ?? 'http'
  if (protocol !== 'http') throw new CliError(`--app-protocol ${protocol} is not supported by the local sidecar (http only)`)
  const logLevel = one('log-level') ?? 'info'
  if (!['debug', 'info', 'warn', 'error', 'fatal'].includes(logLevel)) throw new CliError(`invalid value "${logLevel}" for flag -log-level: must be one of debug, info, warn, error, fatal`)
  const components = values.get('components-path') ?? []
  if (components.length > 0) warnings.push('--components-path is deprecated; use --resources-path')
  const resourcesPaths = [...(values.get('resources-path') ?? []), ...components]

  const appPortRaw = one('app-port')
  const appPort = appPortRaw === undefined ? undefined : intFlag('app-port', appPortRaw, 0, 65535)
  let appHealth: AppHealthOptions | undefined
  if (bools.get('enable-app-health-check')) {
    if (!appPort) throw new CliError('--enable-app-health-check needs --app-port')
    appHealth = {
      path: one('app-health-check-path') ?? '/healthz',
      intervalMs: intFlag('app-health-probe-interval', one('app-health-probe-interval') ?? '5', 1) * 1000,
      timeoutMs: intFlag('app-health-probe-timeout', one('app-health-probe-timeout') ?? '500', 1),
      threshold: intFlag('app-health-threshold', one('app-health-threshold') ?? '3', 1)
    }
  }
  return {
    appId,
    appPort: appPort || undefined,
    httpPort: intFlag('dapr-http-port', one('dapr-http-port') ?? '3500', 0, 65535),
    appChannelAddress: one('app-channel-address') ?? '127.0.0.1',
    resourcesPaths,
    configPath: one('config'),
    logLevel: logLevel as CliConfig['logLevel'],
    apiLogging: bools.get('enable-api-logging') ?? false,
    appHealth,
    apiToken: env.DAPR_API_TOKEN || undefined,
    appApiToken: env.APP_API_TOKEN || undefined,
    namespace: env.NAMESPACE || 'default',
    keyNamespace: env.NAMESPACE ?? '',
    hostIp: env.DAPR_HOST_IP || '127.0.0.1',
    registryDir: env.LOCAL_DAPR_REGISTRY_DIR || undefined,
    warnings
  }
}
