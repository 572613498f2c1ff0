// Fastify compiles every route's request validators (ajv) and response serializers
// (fast-json-stringify) while the app starts, most of them for answers a process may never
// send (a 413, a 415, a 503...). These factories, given to Fastify as
// `schemaController.compilersFactory`, build the same functions with Fastify's own compilers,
// each on its first use: the start does not pay for them (docs/benchmarks.md, start-up).
import ValidatorSelector from '@fastify/ajv-compiler'
import SerializerSelector from '@fastify/fast-json-stringify-compiler'
import type { FastifyServerOptions } from 'fastify'

type Factories = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>
type ValidatorFactory = NonNullable<Factories['buildValidator']>
type SerializerFactory = NonNullable<Factories['buildSerializer']>
type RouteValidator = ReturnType<ValidatorFactory>
type RouteSerializer = ReturnType<SerializerFactory>

/** A validator factory whose compiler (and each route's validator) is built on first use. */
export function lazyValidators (build: ValidatorFactory = ValidatorSelector() as unknown as ValidatorFactory): ValidatorFactory {
  return (externalSchemas, options) => {
    let compiler: RouteValidator | undefined
    return (route) => {
      let validate: ReturnType<RouteValidator> | undefined
      // Fastify reads `.errors` off the function it called, as ajv leaves them there.
      const lazy = (data: unknown): unknown => {
        validate ??= (compiler ??= build(externalSchemas, options))(route)
        const result = (validate as (d: unknown) => unknown)(data)
        ;(lazy as { errors?: unknown }).errors = (validate as { errors?: unknown }).errors
        return result
      }
      return lazy as ReturnType<RouteValidator>
    }
  }
}

/** A serializer factory whose compiler (and each route's serializer) is built on first use. */
export function lazySerializers (build: SerializerFactory = SerializerSelector() as unknown as SerializerFactory): SerializerFactory {
  return (externalSchemas, options) => {
    let compiler: RouteSerializer | undefined
    return (route) => {
      let serialize: ((data: unknown) => string) | undefined
      return (data: unknown) => (serialize ??= (compiler ??= build(externalSchemas, options))(route))(data)
    }
  }
}
