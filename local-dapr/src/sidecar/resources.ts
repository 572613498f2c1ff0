// Reads `--resources-path` folders the way daprd does: every *.yaml / *.yml file,
// several documents per file, filtered by scopes. Only what the local sidecar can
// emulate is accepted; anything else fails loudly, naming the file, the component and
// the field, instead of being ignored and surprising someone at run time.

import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { parseAllDocuments } from 'yaml'
import type { ResiliencyResource } from './resiliency/provider.js'
import type { StoreComponent } from './store/component.js'
import { createInMemoryStore } from './store/in-memory.js'
import { createRedisStore, type StoreLogger } from './store/redis.js'
import type { StateStore } from './store/types.js'

export type ResourcesErrorCode =
  | 'RESOURCES_ERR_READ'
  | 'RESOURCES_ERR_INVALID'
  | 'RESOURCES_ERR_NOT_EMULATED'
  | 'RESOURCES_ERR_DUPLICATE'

export class ResourcesError extends Error {
  readonly code: ResourcesErrorCode
  /** The file (or folder) at fault. */
  readonly file: string
  constructor (code: ResourcesErrorCode, file: string, message: string, options?: ErrorOptions) {
    super(`${file}: ${message}`, options)
    this.name = 'ResourcesError'
    this.code = code
    this.file = file
  }
}

const API_VERSION = 'dapr.io/v1alpha1'
const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])

const ComponentSchema = Type.Object({
  apiVersion: Type.Literal(API_VERSION),
  kind: Type.Literal('Component'),
  metadata: Type.Object({ name: Type.String({ minLength: 1 }), namespace: Type.Optional(Type.String()) }),
  spec: Type.Object({
    type: Type.String({ minLength: 1 }),
    version: Type.Optional(Type.String()),
    metadata: Type.Optional(Type.Union([Type.Null(), Type.Array(Type.Object({
      name: Type.String({ minLength: 1 }),
      value: Type.Optional(Scalar),
      secretKeyRef: Type.Optional(Type.Unknown())
    }, { additionalProperties: false }))]))
  }, { additionalProperties: false }),
  scopes: Type.Optional(Type.Union([Type.Null(), Type.Array(Type.String())]))
})

const ResiliencySchema = Type.Object({
  apiVersion: Type.Literal(API_VERSION),
  kind: Type.Literal('Resiliency'),
  metadata: Type.Object({ name: Type.String({ minLength: 1 }), namespace: Type.Optional(Type.String()) }),
  // Checked by the resiliency decoder, which logs and skips a bad spec as daprd does.
  spec: Type.Optional(Type.Unknown()),
  scopes: Type.Optional(Type.Union([Type.Null(), Type.Array(Type.String())]))
})

const Action = Type.String({ pattern: '^(?:[Aa][Ll][Ll][Oo][Ww]|[Dd][Ee][Nn][Yy])$' })

const ConfigurationSchema = Type.Object({
  apiVersion: Type.Literal(API_VERSION),
  kind: Type.Literal('Configuration'),
  metadata: Type.Object({ name: Type.String({ minLength: 1 }) }),
  spec: Type.Optional(Type.Object({
    tracing: Type.Optional(Type.Object({
      samplingRate: Type.Optional(Type.Union([Type.Number(), Type.String({ pattern: '^\\s*[0-9]*\\.?[0-9]+(?:[eE][+-]?[0-9]+)?\\s*$' })]))
    })),
    metrics: Type.Optional(Type.Object({ enabled: Type.Optional(Type.Boolean()) })),
    accessControl: Type.Optional(Type.Object({
      defaultAction: Type.Optional(Action),
      trustDomain: Type.Optional(Type.String()),
      policies: Type.Optional(Type.Array(Type.Object({
        appId: Type.String({ minLength: 1 }),
        defaultAction: Type.Optional(Action),
        trustDomain: Type.Optional(Type.String()),
        namespace: Type.Optional(Type.String()),
        operations: Type.Optional(Type.Array(Type.Object({
          name: Type.String({ minLength: 1 }),
          httpVerb: Type.Optional(Type.Array(Type.String())),
          action: Action
        })))
      })))
    })),
    features: Type.Optional(Type.Array(Type.Object({ name: Type.String({ minLength: 1 }), enabled: Type.Boolean() })))
  }))
})

type AccessAction = 'allow' | 'deny'

/** The parts of a Dapr Configuration the local sidecar can act on. */
export interface DaprConfiguration {
  name: string
  /** `spec.tracing.samplingRate` as Dapr keeps it (a string), if set. */
  tracing: { samplingRate: string | undefined }
  /** Dapr enables metrics unless `spec.metrics.enabled` is false. */
  metrics: { enabled: boolean }
  /** Undefined when the file has no `accessControl`; actions are lower-cased. */
  accessControl: {
    defaultAction: AccessAction | undefined
    trustDomain: string | undefined
    policies: Array<{
      appId: string
      defaultAction: AccessAction | undefined
      trustDomain: string | undefined
      namespace: string | undefined
      operations: Array<{ name: string, httpVerb: string[], action: AccessAction }>
    }>
  } | undefined
  features: Array<{ name: string, enabled: boolean }>
}

export interface LoadResourcesOptions {
  resourcesPaths: string[]
  appId: string
  /** `NAMESPACE` filters components by `metadata.namespace`, as daprd does. */
  env?: Record<string, string | undefined> | undefined
  logger?: StoreLogger | undefined
}

export interface LoadedResources {
  /** Built, not yet initialised: call `init()` on each. */
  stateStores: StateStore[]
  /** Names of the Resiliency resources in scope. */
  resiliencies: string[]
  /** The same resources, in load order, for the resiliency decoder. */
  resiliencyResources: ResiliencyResource[]
}

/**
 * Loads the state store components and Resiliency names from daprd resource folders.
 *
 * @example
 * const { stateStores } = await loadResources({ resourcesPaths: ['./components/common', './components/local'], appId: 'nodeapp' })
 * await Promise.all(stateStores.map((s) => s.init()))
 */
export async function loadResources (options: LoadResourcesOptions): Promise<LoadedResources> {
  const namespace = options.env?.NAMESPACE ?? ''
  const stateStores: StateStore[] = []
  const sources = new Map<string, string>()
  const resiliencyResources: ResiliencyResource[] = []
  for (const dir of options.resourcesPaths) {
    for (const file of await yamlFilesIn(dir)) {
      const docs = await readDocuments(file)
      for (const [index, doc] of docs.entries()) {
        const kind = doc.kind
        if (kind === 'Subscription' || kind === 'HTTPEndpoint') {
          throw new ResourcesError('RESOURCES_ERR_NOT_EMULATED', file, `kind ${kind} is not emulated by the local sidecar`)
        }
        if (doc.apiVersion !== API_VERSION || (kind !== 'Component' && kind !== 'Resiliency' && kind !== 'Configuration')) {
          throw new ResourcesError('RESOURCES_ERR_INVALID', file,
            `unknown resource apiVersion ${JSON.stringify(doc.apiVersion)} kind ${JSON.stringify(kind)} (expected ${API_VERSION} Component, Resiliency or Configuration)`)
        }
        // daprd reads Configuration from --config only and skips it in resource folders.
        if (kind === 'Configuration') continue
        if (kind === 'Resiliency') {
          const res = check(ResiliencySchema, doc, file, 'resiliency')
          // daprd reads a resiliency file as one YAML document (sigs.k8s.io/yaml): a Resiliency
          // after the first document is never seen. Standalone mode filters by scopes only.
          if (index > 0) {
            options.logger?.warn({ file, resiliency: res.metadata.name }, `resiliency ${res.metadata.name} is not the first document of ${file}: daprd ignores it, and so does the local sidecar`)
            continue
          }
          if (res.scopes == null || res.scopes.length === 0 || res.scopes.includes(options.appId)) {
            resiliencyResources.push({ name: res.metadata.name, namespace: res.metadata.namespace, file, spec: res.spec })
          }
          continue
        }
        const comp = check(ComponentSchema, doc, file, `component ${JSON.stringify((doc.metadata as { name?: unknown } | undefined)?.name)}`)
        if (!inScope(comp, options.appId, namespace)) continue
        const store = buildStore(comp, file, options.logger)
        const earlier = sources.get(store.name)
        if (earlier !== undefined) {
          throw new ResourcesError('RESOURCES_ERR_DUPLICATE', file, `component '${store.name}' is already defined in ${earlier}`)
        }
        sources.set(store.name, file)
        stateStores.push(store)
      }
    }
  }
  return { stateStores, resiliencies: resiliencyResources.map((r) => r.name), resiliencyResources }
}

/**
 * Reads a Dapr Configuration file (`--config`) into the typed subset the sidecar uses.
 *
 * @example
 * const config = await loadConfiguration('./components/config.yaml')
 * config.tracing.samplingRate // '1'
 */
export async function loadConfiguration (path: string): Promise<DaprConfiguration> {
  const docs = await readDocuments(path)
  if (docs.length !== 1) throw new ResourcesError('RESOURCES_ERR_INVALID', path, `expected one Configuration document, found ${docs.length}`)
  const doc = check(ConfigurationSchema, docs[0], path, 'configuration')
  const spec = doc.spec ?? {}
  const action = (a: string | undefined): AccessAction | undefined => a?.toLowerCase() as AccessAction | undefined
  const acl = spec.accessControl
  return {
    name: doc.metadata.name,
    tracing: { samplingRate: spec.tracing?.samplingRate === undefined ? undefined : String(spec.tracing.samplingRate).trim() },
    metrics: { enabled: spec.metrics?.enabled ?? true },
    accessControl: acl === undefined
      ? undefined
      : {
          defaultAction: action(acl.defaultAction),
          trustDomain: acl.trustDomain,
          policies: (acl.policies ?? []).map((p) => ({
            appId: p.appId,
            defaultAction: action(p.defaultAction),
            trustDomain: p.trustDomain,
            namespace: p.namespace,
            operations: (p.operations ?? []).map((o) => ({ name: o.name, httpVerb: o.httpVerb ?? [], action: action(o.action) as AccessAction }))
          }))
        },
    features: (spec.features ?? []).map((f) => ({ name: f.name, enabled: f.enabled }))
  }
}

async function yamlFilesIn (dir: string): Promise<string[]> {
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch (err) {
    throw new ResourcesError('RESOURCES_ERR_READ', dir, `cannot read resources path: ${(err as Error).message}`, { cause: err })
  }
  return entries
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => e.name)
    .sort()
    .map((name) => join(dir, name))
}

async function readDocuments (file: string): Promise<Array<Record<string, unknown>>> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new ResourcesError('RESOURCES_ERR_READ', file, `cannot read file: ${(err as Error).message}`, { cause: err })
  }
  const out: Array<Record<string, unknown>> = []
  for (const doc of parseAllDocuments(text)) {
    const [error] = doc.errors
    if (error !== undefined) throw new ResourcesError('RESOURCES_ERR_INVALID', file, `invalid YAML: ${error.message}`)
    const value: unknown = doc.toJS()
    if (value === null || value === undefined) continue
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new ResourcesError('RESOURCES_ERR_INVALID', file, 'a document is not a mapping with apiVersion and kind')
    }
    out.push(value as Record<string, unknown>)
  }
  return out
}

function check<T extends TSchema> (schema: T, doc: unknown, file: string, what: string): Static<T> {
  if (Value.Check(schema, doc)) return doc
  const problems = [...Value.Errors(schema, doc)].slice(0, 3).map((e) => `${e.path}: ${e.message}`)
  throw new ResourcesError('RESOURCES_ERR_INVALID', file, `${what}: ${problems.join('; ')}`)
}

interface Scoped {
  metadata: { namespace?: string | undefined }
  scopes?: string[] | null | undefined
}

function inScope (res: Scoped, appId: string, namespace: string): boolean {
  if (namespace !== '' && res.metadata.namespace !== undefined && res.metadata.namespace !== '' && res.metadata.namespace !== namespace) return false
  return res.scopes == null || res.scopes.length === 0 || res.scopes.includes(appId)
}

function buildStore (comp: Static<typeof ComponentSchema>, file: string, logger: StoreLogger | undefined): StateStore {
  const name = comp.metadata.name
  const type = comp.spec.type
  const where = `component '${name}' (${type})`
  if (type !== 'state.in-memory' && type !== 'state.redis') {
    throw new ResourcesError('RESOURCES_ERR_NOT_EMULATED', file, `${where}: type ${type} is not emulated (state.in-memory, state.redis)`)
  }
  const version = comp.spec.version ?? ''
  if (version !== '' && version !== 'v1') {
    throw new ResourcesError('RESOURCES_ERR_INVALID', file, `${where}: version ${version} does not exist (v1)`)
  }
  const metadata: Record<string, string> = {}
  for (const item of comp.spec.metadata ?? []) {
    if (item.secretKeyRef !== undefined) {
      throw new ResourcesError('RESOURCES_ERR_NOT_EMULATED', file, `${where}: metadata field '${item.name}' uses secretKeyRef, and no secret store is emulated`)
    }
    if (Object.hasOwn(metadata, item.name)) {
      throw new ResourcesError('RESOURCES_ERR_INVALID', file, `${where}: metadata field '${item.name}' is given twice`)
    }
    metadata[item.name] = item.value == null ? '' : String(item.value)
  }
  const component: StoreComponent = { name, version: 'v1', metadata }
  try {
    return type === 'state.redis' ? createRedisStore(component, { logger }) : createInMemoryStore(component)
  } catch (err) {
    // Construction only checks metadata (ComponentMetadataError); nothing connects yet.
    throw new ResourcesError('RESOURCES_ERR_INVALID', file, `${where}: ${(err as Error).message}`, { cause: err })
  }
}
