// The order service's environment, parsed once at start-up (server.ts).
import { Type, type Static } from '@sinclair/typebox'
import { ConfigError, DaprEnvSchema, LogLevelSchema, parseEnv } from '../shared/config.js'
import { PUBLIC_DEMO_MODES } from './auth.js'

const port = Type.Integer({ minimum: 0, maximum: 65535 })

export const OrderConfigSchema = Type.Object({
  /** DAPR_HTTP_ENDPOINT, DAPR_HTTP_PORT, DAPR_API_TOKEN: checked here with the rest, so one report lists every problem. */
  ...DaprEnvSchema.properties,
  /** The Dapr app channel's address: loopback unless told otherwise, so no other host reaches it. */
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  /** The Dapr app channel's port (daprd's app port). 0 picks a free port (tests). */
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  /** The public listener's address (EKS: 0.0.0.0, for the NLB and kubelet probes). */
  PUBLIC_HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  /** When set, the same routes are also served here, guarded by PUBLIC_API_KEY. 0 picks a free port. */
  PUBLIC_PORT: Type.Optional(port),
  /** What public clients send as `x-api-key`, on reads and writes. Never APP_API_TOKEN. */
  PUBLIC_API_KEY: Type.Optional(Type.String({
    minLength: 16,
    pattern: '^[\\x21-\\x7e]+$',
    errorMessage: 'must be at least 16 visible ASCII characters without spaces (e.g. openssl rand -hex 32)',
    secret: true
  })),
  /** `reads` opens the public GETs, `all` opens everything: for demos only, warned about at start. */
  PUBLIC_DEMO_MODE: Type.Union(PUBLIC_DEMO_MODES.map((mode) => Type.Literal(mode)), { default: 'off' }),
  /**
   * When set, `GET /metrics` is served on this port only (EKS: 9464, which the NLB does not
   * forward); unset, it is served on PORT (local runs). 0 picks a free port (tests).
   */
  METRICS_PORT: Type.Optional(port),
  /** Where the METRICS_PORT listener binds; default HOST. EKS: 0.0.0.0, since Prometheus scrapes the pod IP. */
  METRICS_HOST: Type.Optional(Type.String({ minLength: 1 })),
  LOG_LEVEL: LogLevelSchema,
  STATE_STORE_NAME: Type.String({ minLength: 1, default: 'statestore' }),
  /** When set, POST /neworder on the app channel requires header dapr-api-token equal to it (daprd's APP_API_TOKEN). */
  APP_API_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
  /** Time between failing /readyz and closing the listener, so routing catches up first. */
  DRAIN_DELAY_MS: Type.Integer({ minimum: 0, default: 0 }),
  /** Hard limit on the whole shutdown; keep it under terminationGracePeriodSeconds (30 s). */
  CLOSE_GRACE_DELAY_MS: Type.Integer({ minimum: 1, default: 10_000 })
})
export type OrderConfig = Static<typeof OrderConfigSchema>

/**
 * Problems that involve several variables, read from the raw environment so they are
 * reported together with the per-variable ones. Never quotes a secret.
 */
function publicListenerProblems (env: Record<string, string | undefined>): string[] {
  const value = (name: string): string | undefined => env[name] === '' ? undefined : env[name]
  const publicPort = value('PUBLIC_PORT')
  const key = value('PUBLIC_API_KEY')
  const demo = value('PUBLIC_DEMO_MODE') ?? 'off'
  const problems: string[] = []
  if (publicPort === undefined) {
    if (key !== undefined || demo !== 'off') problems.push('PUBLIC_PORT: not set, so PUBLIC_API_KEY / PUBLIC_DEMO_MODE would guard no listener; set PUBLIC_PORT or remove them')
  } else {
    if (key === undefined && demo === 'off') problems.push('PUBLIC_API_KEY: required when PUBLIC_PORT is set (its own Secret; header x-api-key), or open the listener on purpose with PUBLIC_DEMO_MODE=reads or all')
    if (Number(publicPort) !== 0 && publicPort === value('PORT')) problems.push('PUBLIC_PORT: must differ from PORT, the Dapr app channel')
  }
  if (key !== undefined && key === value('APP_API_TOKEN')) problems.push('PUBLIC_API_KEY: must differ from APP_API_TOKEN; the app token never leaves the pod (value not shown)')
  return problems
}

/**
 * @example
 * const config = loadOrderConfig(process.env) // throws ConfigError listing every problem
 */
export function loadOrderConfig (env: Record<string, string | undefined>): OrderConfig {
  const problems = publicListenerProblems(env)
  let config: OrderConfig
  try {
    config = parseEnv(OrderConfigSchema, env)
  } catch (err) {
    throw new ConfigError([...(err as ConfigError).problems, ...problems])
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return config
}

/**
 * What the start-up log must shout about the public listener: demo modes and what they open.
 * @example
 * for (const line of publicListenerWarnings(config)) logger.warn(line)
 */
export function publicListenerWarnings (config: OrderConfig): string[] {
  if (config.PUBLIC_PORT === undefined) return []
  const where = `${config.PUBLIC_HOST}:${config.PUBLIC_PORT}`
  if (config.PUBLIC_DEMO_MODE === 'all') {
    const ignored = config.PUBLIC_API_KEY === undefined ? '' : ' PUBLIC_API_KEY is ignored.'
    return [`DEMO MODE (PUBLIC_DEMO_MODE=all): the public listener on ${where} lets ANYONE read every order and post new ones, with no key.${ignored} Never use this with real data.`]
  }
  if (config.PUBLIC_DEMO_MODE === 'reads') {
    const writes = config.PUBLIC_API_KEY === undefined ? 'POST /neworder is refused there (no PUBLIC_API_KEY)' : 'POST /neworder still needs x-api-key'
    return [`DEMO MODE (PUBLIC_DEMO_MODE=reads): the public listener on ${where} lets ANYONE read every order, with no key; ${writes}. Never use this with real data.`]
  }
  return []
}
