// Shapes of what daprd sends back (dapr-http-api.md §1.2, §3.6, §4.3): the single source
// of the client's response types and of the checks that turn a bad 2xx into a contract error.
// Only the paths that need a check load this module (`await import('./schemas.js')`): error
// answers, bulk get and metadata. A save, get or invoke that succeeds never loads TypeBox,
// and each check is compiled on its first use (docs/benchmarks.md, import cost).
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'

/** A type guard for `schema`, compiled by TypeBox the first time it is called. */
export function lazyCheck<T extends TSchema> (schema: T): (value: unknown) => value is Static<T> {
  let compiled: TypeCheck<T> | undefined
  return (value: unknown): value is Static<T> => (compiled ??= TypeCompiler.Compile(schema)).Check(value)
}

/** daprd's JSON error body; `details` only on "rich" errors. */
export const DaprErrorBodySchema = Type.Object({
  errorCode: Type.String(),
  message: Type.String(),
  details: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown())))
})
export type DaprErrorBody = Static<typeof DaprErrorBodySchema>
export const checkDaprError = lazyCheck(DaprErrorBodySchema)

/** One item of `POST /v1.0/state/{store}/bulk`: a missing key is `{ key }` only. */
export const BulkGetItemSchema = Type.Object({
  key: Type.String(),
  data: Type.Optional(Type.Unknown()),
  etag: Type.Optional(Type.String()),
  metadata: Type.Optional(Type.Record(Type.String(), Type.String())),
  error: Type.Optional(Type.String())
})
export const BulkGetResponseSchema = Type.Array(BulkGetItemSchema)
export const checkBulkGetResponse = lazyCheck(BulkGetResponseSchema)

export const MetadataComponentSchema = Type.Object({
  name: Type.String(),
  type: Type.String(),
  version: Type.Optional(Type.String()),
  capabilities: Type.Optional(Type.Array(Type.String()))
})

/** `GET /v1.0/metadata`: the fields the client types; daprd may send more, which are kept. */
export const SidecarMetadataSchema = Type.Object({
  id: Type.String(),
  runtimeVersion: Type.Optional(Type.String()),
  enabledFeatures: Type.Optional(Type.Array(Type.String())),
  components: Type.Optional(Type.Array(MetadataComponentSchema)),
  extended: Type.Optional(Type.Record(Type.String(), Type.String())),
  appConnectionProperties: Type.Optional(Type.Object({
    port: Type.Optional(Type.Integer()),
    protocol: Type.Optional(Type.String()),
    channelAddress: Type.Optional(Type.String()),
    maxConcurrency: Type.Optional(Type.Integer()),
    health: Type.Optional(Type.Object({
      healthCheckPath: Type.Optional(Type.String()),
      healthProbeInterval: Type.Optional(Type.String()),
      healthProbeTimeout: Type.Optional(Type.String()),
      healthThreshold: Type.Optional(Type.Integer())
    }))
  })),
  actorRuntime: Type.Optional(Type.Object({
    runtimeStatus: Type.Optional(Type.String()),
    hostReady: Type.Optional(Type.Boolean())
  })),
  subscriptions: Type.Optional(Type.Array(Type.Object({
    pubsubname: Type.String(),
    topic: Type.String(),
    type: Type.Optional(Type.String())
  })))
})
export type SidecarMetadata = Static<typeof SidecarMetadataSchema>
export const checkSidecarMetadata = lazyCheck(SidecarMetadataSchema)
