// The generator's environment, parsed once at start-up (server.ts).
import { Type, type Static } from '@sinclair/typebox'
import { DaprEnvSchema, LogLevelSchema, parseEnv } from '../shared/config.js'

const ms = (options: { default: number, minimum: number }) => Type.Integer({ maximum: 2_147_483_647, ...options })

export const GeneratorConfigSchema = Type.Object({
  /** DAPR_HTTP_ENDPOINT, DAPR_HTTP_PORT, DAPR_API_TOKEN: checked here with the rest, so one report lists every problem. */
  ...DaprEnvSchema.properties,
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  /** Port of the probe endpoints; 0 picks a free port (tests). */
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3001 }),
  /** When set, `GET /metrics` is served on this port only; unset, on PORT. 0 picks a free port. */
  METRICS_PORT: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  LOG_LEVEL: LogLevelSchema,
  TARGET_APP_ID: Type.String({ minLength: 1, default: 'nodeapp' }),
  /** The generator's own state store, holding the order-id counter. */
  STATE_STORE_NAME: Type.String({ minLength: 1, default: 'statestore' }),
  GENERATOR_COUNTER_KEY: Type.String({ minLength: 1, default: 'order-id-counter' }),
  GENERATOR_ID_BLOCK_SIZE: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 100 }),
  GENERATOR_INTERVAL_MS: ms({ minimum: 0, default: 1000 }),
  /** Stop after this many orders; unset means run until stopped. */
  GENERATOR_COUNT: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Orders pending at once, at most; during an outage the generator holds no more than this. */
  GENERATOR_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 1000, default: 1 }),
  /** Backoff of a paused delivery: full jitter under min(MAX, BASE * 2^n); orders are retried until delivered. */
  GENERATOR_RETRY_BASE_MS: ms({ minimum: 1, default: 100 }),
  GENERATOR_RETRY_MAX_MS: ms({ minimum: 1, default: 5000 }),
  /** Deadline of one delivery attempt (daprd has no invocation timeout of its own). */
  GENERATOR_REQUEST_TIMEOUT_MS: ms({ minimum: 1, default: 10_000 }),
  GENERATOR_SIDECAR_WAIT_MS: ms({ minimum: 1, default: 60_000 }),
  /** When set, every delivered order id is appended to this file, one per line. */
  GENERATOR_DELIVERED_FILE: Type.Optional(Type.String({ minLength: 1 })),
  /** Hard limit on the whole shutdown; keep it above GENERATOR_REQUEST_TIMEOUT_MS. */
  CLOSE_GRACE_DELAY_MS: ms({ minimum: 1, default: 20_000 })
})
export type GeneratorConfig = Static<typeof GeneratorConfigSchema>

/**
 * @example
 * const config = loadGeneratorConfig(process.env) // throws ConfigError listing every problem
 */
export function loadGeneratorConfig (env: Record<string, string | undefined>): GeneratorConfig {
  return parseEnv(GeneratorConfigSchema, env)
}
