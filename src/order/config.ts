// The order service's environment, parsed once at start-up (server.ts).
import { Type, type Static } from '@sinclair/typebox'
import { DaprEnvSchema, LogLevelSchema, parseEnv } from '../shared/config.js'

export const OrderConfigSchema = Type.Object({
  /** DAPR_HTTP_ENDPOINT, DAPR_HTTP_PORT, DAPR_API_TOKEN: checked here with the rest, so one report lists every problem. */
  ...DaprEnvSchema.properties,
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  /** 0 picks a free port (tests). */
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  /**
   * When set, `GET /metrics` is served on this port only (EKS: 9464, which the NLB does not
   * forward); unset, it is served on PORT (local runs). 0 picks a free port (tests).
   */
  METRICS_PORT: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  LOG_LEVEL: LogLevelSchema,
  STATE_STORE_NAME: Type.String({ minLength: 1, default: 'statestore' }),
  /** When set, POST /neworder requires header dapr-api-token equal to it (daprd's APP_API_TOKEN). */
  APP_API_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
  /** Time between failing /readyz and closing the listener, so routing catches up first. */
  DRAIN_DELAY_MS: Type.Integer({ minimum: 0, default: 0 }),
  /** Hard limit on the whole shutdown; keep it under terminationGracePeriodSeconds (30 s). */
  CLOSE_GRACE_DELAY_MS: Type.Integer({ minimum: 1, default: 10_000 })
})
export type OrderConfig = Static<typeof OrderConfigSchema>

/**
 * @example
 * const config = loadOrderConfig(process.env) // throws ConfigError listing every problem
 */
export function loadOrderConfig (env: Record<string, string | undefined>): OrderConfig {
  return parseEnv(OrderConfigSchema, env)
}
