// Environment parsing shared by both services: one pass against a typebox schema that
// reports every problem at once, so a bad Deployment is fixed in one edit, not five.
import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

/** pino's levels; `silent` turns logging off. */
export const LogLevelSchema = Type.Union(
  ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
  { default: 'info' }
)

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
 * applied, then strings are converted to the declared types.
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
    return `${name}: ${describe(error.schema, error.message)} (got ${JSON.stringify(error.value)})`
  })
  if (problems.length > 0) throw new ConfigError(problems)
  return converted as Static<S>
}

function isIntegerSchema (schema: TSchema | undefined): boolean {
  return schema?.type === 'integer'
}

function describe (schema: TSchema, message: string): string {
  const choices = (schema.anyOf as TSchema[] | undefined)?.map((s) => s.const as unknown)
  if (choices !== undefined && choices.every((c) => typeof c === 'string')) return `expected one of ${choices.join(', ')}`
  return message
}
