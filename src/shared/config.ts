// Environment parsing shared by both services: one pass against a typebox schema that
// reports every problem at once, so a bad Deployment is fixed in one edit, not five.
import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

/** pino's levels; `silent` turns logging off. */
export const LogLevelSchema = Type.Union(
  ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
  { default: 'info' }
)

/**
 * The variables Dapr gives every app to reach its sidecar (`dapr run`, the injector). Part of
 * both services' configs, and what the sidecar client reads when not given explicit options.
 * An endpoint must be an http(s) URL without query, fragment or credentials.
 */
export const DaprEnvSchema = Type.Object({
  DAPR_HTTP_ENDPOINT: Type.Optional(Type.String({
    pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[^?#@\\s]+$',
    errorMessage: 'must be an http(s) URL such as http://127.0.0.1:3500, without query, fragment or credentials'
  })),
  /** Used only when DAPR_HTTP_ENDPOINT is unset: the sidecar on this host, at this port. */
  DAPR_HTTP_PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 3500, errorMessage: 'must be a port number (1-65535)' }),
  /** `secret`: a problem with it never quotes the value. */
  DAPR_API_TOKEN: Type.Optional(Type.String({ minLength: 1, pattern: '^[^\\r\\n]+$', errorMessage: 'must be one line', secret: true }))
})
export type DaprEnv = Static<typeof DaprEnvSchema>

/**
 * The sidecar's base URL: DAPR_HTTP_ENDPOINT, else the local sidecar at DAPR_HTTP_PORT.
 * @example
 * daprEndpoint({ DAPR_HTTP_PORT: 3500 }) // 'http://127.0.0.1:3500'
 */
export function daprEndpoint (env: DaprEnv): string {
  return env.DAPR_HTTP_ENDPOINT ?? `http://127.0.0.1:${env.DAPR_HTTP_PORT}`
}

/**
 * The sidecar client's options from an already parsed config: endpoint and token explicit,
 * and an empty `env`, so the client never reads the environment a second time.
 * @example
 * const sidecar = createSidecarClient(sidecarOptions(loadOrderConfig(process.env)))
 */
export function sidecarOptions (config: DaprEnv): { endpoint: string, apiToken: string | undefined, env: Record<string, never> } {
  return { endpoint: daprEndpoint(config), apiToken: config.DAPR_API_TOKEN, env: {} }
}

/** Thrown by `parseEnv` with every problem found; `problems` holds one line per variable. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_ERR_INVALID'
  readonly problems: string[]
  constructor (problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`)
    this.name = 'ConfigError'
    this.problems = problems
  }
}

const INTEGER = /^[+-]?\d+$/

/**
 * Parses environment variables against `schema`: unknown variables are ignored, empty
 * strings count as unset (Kubernetes and `dapr run -f` export `FOO=`), defaults are
 * applied, then strings are converted to the declared types. A property's `errorMessage`
 * replaces typebox's wording; `secret: true` keeps its value out of the problem.
 * @example
 * const config = parseEnv(Type.Object({ PORT: Type.Integer({ default: 3000 }) }), process.env)
 */
export function parseEnv<S extends TObject> (schema: S, env: Record<string, string | undefined>): Static<S> {
  const raw: Record<string, string> = {}
  for (const name of Object.keys(schema.properties)) {
    const value = env[name]
    if (value !== undefined && value !== '') raw[name] = value
  }
  const converted = Value.Convert(schema, Value.Default(schema, { ...raw })) as Record<string, unknown>
  // typebox converts "1.5" to the integer 1; keep such strings so they are reported instead.
  for (const [name, value] of Object.entries(raw)) {
    if (isIntegerSchema(schema.properties[name]) && !INTEGER.test(value.trim())) converted[name] = value
  }
  const problems = [...Value.Errors(schema, converted)].map((error) => {
    const name = error.path.replace(/^\//, '')
    const got = error.schema.secret === true ? 'value not shown' : `got ${JSON.stringify(error.value)}`
    return `${name}: ${describe(error.schema, error.message)} (${got})`
  })
  if (problems.length > 0) throw new ConfigError(problems)
  return converted as Static<S>
}

function isIntegerSchema (schema: TSchema | undefined): boolean {
  return schema?.type === 'integer'
}

function describe (schema: TSchema, message: string): string {
  if (typeof schema.errorMessage === 'string') return schema.errorMessage
  const choices = (schema.anyOf as TSchema[] | undefined)?.map((s) => s.const as unknown)
  if (choices !== undefined && choices.every((c) => typeof c === 'string')) return `expected one of ${choices.join(', ')}`
  return message
}
