// Dapr resources: strict schemas of the kinds and fields this project uses, the state store's
// metadata (names and value formats at components-contrib 1.18.4), Configurations, the access
// control list, retry policies and resiliency references.
import { Type, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { DeployBundle, Issue, Json } from './bundle.js'
import { COMPONENTS_CONTRIB_VERSION, REDIS_STATE_METADATA, RUNTIME_STATE_METADATA } from './facts.js'
import { isGoInt, kitBool, redisDurationMs } from './formats.js'
import { appContainer, appIdOf, arr, components, configFor, containers, deployments, envOf, invocations, isDapr, isRecord, ref, resiliencies } from './util.js'

const strict = { additionalProperties: false }
const Str = Type.String({ minLength: 1 })
const AppId = Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' })
const Duration = Type.String({ pattern: '^\\d+(ms|s|m|h)$' })
const DaprMeta = Type.Object({
  name: Str,
  namespace: Type.Optional(Str),
  labels: Type.Optional(Type.Record(Type.String(), Type.String())),
  annotations: Type.Optional(Type.Record(Type.String(), Type.String()))
}, strict)
const MetadataItem = Type.Union([
  Type.Object({ name: Str, value: Type.String() }, strict),
  Type.Object({ name: Str, secretKeyRef: Type.Object({ name: Str, key: Str }, strict) }, strict)
])

export const ComponentSchema = Type.Object({
  apiVersion: Type.Literal('dapr.io/v1alpha1'),
  kind: Type.Literal('Component'),
  metadata: DaprMeta,
  spec: Type.Object({
    type: Type.Union([Type.Literal('state.redis'), Type.Literal('state.in-memory')]),
    version: Type.Literal('v1'),
    initTimeout: Type.Optional(Duration),
    ignoreErrors: Type.Optional(Type.Boolean()),
    metadata: Type.Array(MetadataItem)
  }, strict),
  auth: Type.Optional(Type.Object({ secretStore: Str }, strict)),
  scopes: Type.Optional(Type.Array(AppId, { minItems: 1 }))
}, strict)

const ApiRule = Type.Object({
  name: Type.Union(['invoke', 'state', 'publish', 'bindings', 'secrets', 'actors', 'metadata', 'configuration', 'healthz', 'shutdown'].map((n) => Type.Literal(n))),
  version: Type.Union([Type.Literal('v1.0'), Type.Literal('v1.0-alpha1'), Type.Literal('v1')]),
  protocol: Type.Union([Type.Literal('http'), Type.Literal('grpc')])
}, strict)
const Action = Type.Union([Type.Literal('allow'), Type.Literal('deny')])

export const ConfigurationSchema = Type.Object({
  apiVersion: Type.Literal('dapr.io/v1alpha1'),
  kind: Type.Literal('Configuration'),
  metadata: DaprMeta,
  spec: Type.Object({
    tracing: Type.Optional(Type.Object({
      samplingRate: Type.String({ pattern: '^(0|1|0?\\.\\d+)$' }),
      otel: Type.Optional(Type.Object({
        endpointAddress: Str,
        isSecure: Type.Boolean(),
        protocol: Type.Union([Type.Literal('grpc'), Type.Literal('http')])
      }, strict)),
      zipkin: Type.Optional(Type.Object({ endpointAddress: Str }, strict))
    }, strict)),
    metrics: Type.Optional(Type.Object({ enabled: Type.Boolean() }, strict)),
    logging: Type.Optional(Type.Object({
      apiLogging: Type.Optional(Type.Object({
        enabled: Type.Optional(Type.Boolean()),
        omitHealthChecks: Type.Optional(Type.Boolean()),
        obfuscateURLs: Type.Optional(Type.Boolean())
      }, strict))
    }, strict)),
    api: Type.Optional(Type.Object({ allowed: Type.Optional(Type.Array(ApiRule)), denied: Type.Optional(Type.Array(ApiRule)) }, strict)),
    accessControl: Type.Optional(Type.Object({
      defaultAction: Action,
      trustDomain: Type.Optional(Str),
      policies: Type.Optional(Type.Array(Type.Object({
        appId: AppId,
        defaultAction: Type.Optional(Action),
        trustDomain: Type.Optional(Str),
        namespace: Type.Optional(Str),
        operations: Type.Array(Type.Object({
          name: Type.String({ pattern: '^/' }),
          httpVerb: Type.Optional(Type.Array(Type.String({ pattern: '^(GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS|\\*)$' }))),
          action: Action
        }, strict))
      }, strict)))
    }, strict))
    // Deliberately absent: mtls (control plane only), features, secrets, nameResolution, ...
  }, strict)
}, strict)

const PolicyRefs = Type.Object({ timeout: Type.Optional(Str), retry: Type.Optional(Str), circuitBreaker: Type.Optional(Str) }, strict)

export const ResiliencySchema = Type.Object({
  apiVersion: Type.Literal('dapr.io/v1alpha1'),
  kind: Type.Literal('Resiliency'),
  metadata: DaprMeta,
  scopes: Type.Optional(Type.Array(AppId, { minItems: 1 })),
  spec: Type.Object({
    policies: Type.Object({
      timeouts: Type.Optional(Type.Record(Type.String(), Duration)),
      retries: Type.Optional(Type.Record(Type.String(), Type.Object({
        policy: Type.Union([Type.Literal('constant'), Type.Literal('exponential')]),
        duration: Type.Optional(Duration),
        maxInterval: Type.Optional(Duration),
        maxRetries: Type.Integer(),
        matching: Type.Optional(Type.Object({
          httpStatusCodes: Type.Optional(Type.String()),
          gRPCStatusCodes: Type.Optional(Type.String())
        }, strict))
      }, strict))),
      circuitBreakers: Type.Optional(Type.Record(Type.String(), Type.Object({
        maxRequests: Type.Integer({ minimum: 1 }),
        interval: Duration,
        timeout: Duration,
        trip: Str
      }, strict)))
    }, strict),
    targets: Type.Object({
      apps: Type.Optional(Type.Record(Type.String(), Type.Object({
        timeout: Type.Optional(Str),
        retry: Type.Optional(Str),
        circuitBreaker: Type.Optional(Str),
        circuitBreakerCacheSize: Type.Optional(Type.Integer({ minimum: 1 }))
      }, strict))),
      components: Type.Optional(Type.Record(Type.String(), Type.Object({
        outbound: Type.Optional(PolicyRefs),
        inbound: Type.Optional(PolicyRefs)
      }, strict)))
    }, strict)
  }, strict)
}, strict)

const DAPR_SCHEMAS: Record<string, TSchema> = { Component: ComponentSchema, Configuration: ConfigurationSchema, Resiliency: ResiliencySchema }

const METADATA_NAMES: Record<string, Set<string>> = {
  'state.redis': new Set([...Object.keys(REDIS_STATE_METADATA), ...RUNTIME_STATE_METADATA]),
  'state.in-memory': new Set(RUNTIME_STATE_METADATA)
}

export function checkDaprSchema (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  for (const o of b.rendered.filter(isDapr)) {
    const schema = DAPR_SCHEMAS[o.kind]
    if (!schema) {
      issues.push({ check: 'DAPR_SCHEMA', where: ref(o), message: `Dapr kind ${o.kind} is not one this project uses` })
      continue
    }
    for (const e of Value.Errors(schema, o)) issues.push({ check: 'DAPR_SCHEMA', where: ref(o), message: `${e.path}: ${e.message}` })
  }
  return issues
}

export function checkDaprMetadataNames (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  for (const c of components(b)) {
    const allowed = METADATA_NAMES[c?.spec?.type]
    for (const m of arr(c?.spec?.metadata)) {
      if (allowed && !allowed.has(m?.name)) issues.push({ check: 'DAPR_METADATA_NAME', where: ref(c), message: `metadata ${m?.name} is not a ${c.spec.type} field at components-contrib ${COMPONENTS_CONTRIB_VERSION} (daprd ignores unknown names)` })
    }
  }
  return issues
}

/**
 * state.redis values in the format components-contrib reads them: durations (a bare number is
 * milliseconds, so dialTimeout "5" is 5 ms), integers and booleans.
 */
export function checkDaprMetadataFormat (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  for (const c of components(b).filter((x) => x?.spec?.type === 'state.redis')) {
    for (const m of arr(c?.spec?.metadata)) {
      const kind = REDIS_STATE_METADATA[m?.name]
      const v = m?.value
      if (kind === undefined || typeof v !== 'string') continue
      const fail = (message: string): void => { issues.push({ check: 'DAPR_METADATA_FORMAT', where: ref(c), message: `metadata ${m.name} "${v}": ${message}` }) }
      if (kind === 'duration') {
        const ms = redisDurationMs(v)
        if (ms === undefined) fail('is not a duration (write a Go duration such as 5s)')
        else if (/^\d+$/.test(v)) fail(`a bare number is read as ${ms} ms; write a Go duration such as ${v}s`)
      } else if (kind === 'int' && !isGoInt(v)) fail('is not an integer')
      else if (kind === 'bool' && (kitBool(v) === undefined || !/^(true|false)$/.test(v))) fail('write "true" or "false"')
    }
  }
  return issues
}

const SECRET_NAME = /(password|passwd|secret|token|username|apikey|accesskey|clientkey)$/i

/** Secret-looking component metadata and container env must come from a Secret, never inline. */
export function checkSecretPlainValues (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  for (const c of [...components(b), ...b.localDapr.map((d) => d.obj).filter((o) => o?.kind === 'Component')]) {
    for (const m of arr(c?.spec?.metadata)) {
      // An empty value is "no password" (local Redis), not a leaked one.
      if (SECRET_NAME.test(m?.name ?? '') && typeof m?.value === 'string' && m.value !== '') {
        issues.push({ check: 'SECRET_PLAIN_VALUE', where: ref(c), message: `metadata ${m.name} is a plain value; use secretKeyRef` })
      }
    }
  }
  for (const d of deployments(b)) {
    for (const c of containers(d)) {
      for (const e of arr(c?.env)) {
        if (/(TOKEN|PASSWORD|SECRET)/.test(e?.name ?? '') && e?.value !== undefined) {
          issues.push({ check: 'SECRET_PLAIN_VALUE', where: ref(d), message: `env ${e.name} is a plain value; use valueFrom.secretKeyRef` })
        }
      }
    }
  }
  return issues
}

/** ElastiCache Serverless needs TLS and cluster mode; credentials come from the Secret. */
export function checkStateStore (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  for (const c of components(b).filter((x) => x?.spec?.type === 'state.redis')) {
    const meta = new Map<string, Json>(arr(c.spec.metadata).map((m) => [m?.name, m]))
    const fail = (message: string): void => { issues.push({ check: 'DAPR_STATESTORE', where: ref(c), message }) }
    if (meta.get('enableTLS')?.value !== 'true') fail('enableTLS must be "true" (serverless caches only accept TLS)')
    if (meta.get('redisType')?.value !== 'cluster') fail('redisType must be "cluster" (serverless presents as cluster mode)')
    if (meta.has('redisDB')) fail('redisDB must not be set (SELECT is refused in cluster mode)')
    if (meta.get('insecureSkipTLSVerify')?.value === 'true') fail('insecureSkipTLSVerify must not be "true"')
    for (const name of ['redisHost', 'redisUsername', 'redisPassword']) {
      if (!meta.get(name)?.secretKeyRef) fail(`${name} must come from a secretKeyRef`)
    }
    for (const name of ['keyPrefix', 'dialTimeout', 'readTimeout', 'writeTimeout']) {
      if (typeof meta.get(name)?.value !== 'string') fail(`${name} must be set`)
    }
    if (c?.auth?.secretStore !== 'kubernetes') fail('auth.secretStore must be "kubernetes" (resolved by the operator)')
    if (arr(c?.scopes).length === 0) fail('scopes must list the apps that use it')
  }
  return issues
}

const API_NAMES_USED = new Set(['invoke', 'state', 'healthz', 'metadata'])

export function checkConfigurations (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  const callers = new Set(invocations(b).map((i) => i.caller))
  for (const d of deployments(b)) {
    const cfg = configFor(b, d)
    if (!cfg) continue // CROSS_CONFIG reports it
    const fail = (message: string): void => { issues.push({ check: 'DAPR_CONFIG', where: ref(cfg), message }) }
    const spec = cfg.spec ?? {}
    if (typeof spec.tracing?.samplingRate !== 'string' || !spec.tracing?.otel?.endpointAddress) fail('tracing needs samplingRate and an otel endpoint')
    if (spec.metrics?.enabled !== true) fail('metrics.enabled must be true')
    if (spec.logging?.apiLogging?.omitHealthChecks !== true) fail('logging.apiLogging.omitHealthChecks must be true')
    if ('mtls' in spec) fail('spec.mtls belongs in the control plane\'s daprsystem Configuration only')
    const allowed = arr(spec.api?.allowed).map((r) => r?.name)
    if (allowed.length === 0) fail('api.allowed must list the Dapr APIs the app calls (otherwise every API is open)')
    for (const name of allowed) if (!API_NAMES_USED.has(name)) fail(`api.allowed opens ${name}, which the apps never call`)
    const id = appIdOf(d) ?? ''
    if (allowed.includes('invoke') !== callers.has(id)) fail(callers.has(id) ? 'the app invokes another app but invoke is not allowed' : 'invoke is allowed but the app invokes nothing')
    const usesState = envOf(appContainer(d), 'STATE_STORE_NAME') !== undefined
    if (allowed.includes('state') !== usesState) fail(usesState ? 'the app uses the state store but state is not allowed' : 'state is allowed but the app has no state store')
  }
  return issues
}

/** The callee's access control: deny by default, allow exactly its callers' operations. */
export function checkAcl (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  const ns = b.kustomization?.namespace
  const ids = new Set(deployments(b).map(appIdOf))
  const calls = invocations(b)
  for (const d of deployments(b)) {
    const cfg = configFor(b, d)
    if (!cfg) continue
    const id = appIdOf(d)
    const fail = (message: string): void => { issues.push({ check: 'DAPR_ACL', where: ref(cfg), message }) }
    const ac = cfg.spec?.accessControl
    if (!isRecord(ac) || ac.defaultAction !== 'deny') {
      fail('accessControl.defaultAction must be deny')
      continue
    }
    const expectedCallers = new Set(calls.filter((c) => c.callee === id).map((c) => c.caller))
    for (const p of arr(ac.policies)) {
      if (!ids.has(p?.appId)) fail(`policy for unknown app id ${p?.appId}`)
      else if (!expectedCallers.has(p.appId)) fail(`policy allows ${p.appId}, which does not call ${id}`)
      if (p?.defaultAction !== 'deny') fail(`policy ${p?.appId}: defaultAction must be deny`)
      if (p?.namespace !== ns) fail(`policy ${p?.appId}: namespace must be ${ns}`)
      for (const op of arr(p?.operations)) {
        const verbs = arr(op?.httpVerb)
        if (op?.action === 'allow' && (verbs.length === 0 || verbs.includes('*') || String(op?.name).includes('*'))) {
          fail(`policy ${p?.appId}: allow ${op?.name} must name exact verbs and path`)
        }
      }
    }
    for (const caller of expectedCallers) {
      if (!arr(ac.policies).some((p) => p?.appId === caller)) fail(`${caller} calls ${id} but has no policy`)
    }
  }
  return issues
}

const TRANSIENT_HTTP = new Set([408, 429, 502, 503, 504])
const TRANSIENT_GRPC = new Set([8, 14]) // RESOURCE_EXHAUSTED, UNAVAILABLE
const MAX_RETRIES = 5

/** Expands daprd's code lists ("429,502-504"); null when daprd would reject the string. */
export function parseCodes (codes: string): number[] | null {
  const out: number[] = []
  for (const part of codes.split(',')) {
    if (part === '') continue
    const m = /^(\d+)(?:-(\d+))?$/.exec(part)
    if (!m) return null
    const start = Number(m[1])
    const end = m[2] === undefined ? start : Number(m[2])
    if (end < start) return null
    for (let c = start; c <= end; c++) out.push(c)
  }
  return out
}

export function checkRetryPolicies (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  for (const r of resiliencies(b)) {
    for (const [name, p] of Object.entries(r?.spec?.policies?.retries ?? {}) as Array<[string, Json]>) {
      const fail = (message: string): void => { issues.push({ check: 'DAPR_RETRY_POLICY', where: ref(r), message: `retry ${name}: ${message}` }) }
      if (!Number.isInteger(p?.maxRetries) || p.maxRetries < 0 || p.maxRetries > MAX_RETRIES) fail(`maxRetries must be 0..${MAX_RETRIES} (the default -1 retries forever)`)
      if (!isRecord(p?.matching)) {
        fail('matching is required: without it every error is retried, 4xx included')
        continue
      }
      const sets: Array<[string, Set<number>]> = [['httpStatusCodes', TRANSIENT_HTTP], ['gRPCStatusCodes', TRANSIENT_GRPC]]
      for (const [field, transient] of sets) {
        const raw = p.matching[field]
        if (typeof raw !== 'string' || raw === '') {
          fail(`matching.${field} must be set (empty means every code)`)
          continue
        }
        const codes = parseCodes(raw)
        if (codes === null) fail(`matching.${field} "${raw}" is not a list of numbers and ranges (daprd refuses to load it)`)
        else for (const c of codes.filter((x) => !transient.has(x))) fail(`matching.${field} retries ${c}, which is not transient`)
      }
    }
  }
  return issues
}

export function checkResiliencyRefs (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  for (const r of resiliencies(b)) {
    const policies = r?.spec?.policies ?? {}
    const defined: Record<string, Set<string>> = {
      timeout: new Set(Object.keys(policies.timeouts ?? {})),
      retry: new Set(Object.keys(policies.retries ?? {})),
      circuitBreaker: new Set(Object.keys(policies.circuitBreakers ?? {}))
    }
    const targets: Array<[string, Json]> = [
      ...Object.entries(r?.spec?.targets?.apps ?? {}).map(([k, v]): [string, Json] => [`apps.${k}`, v]),
      ...Object.entries(r?.spec?.targets?.components ?? {}).flatMap(([k, v]) =>
        Object.entries(isRecord(v) ? v : {}).map(([dir, refs]): [string, Json] => [`components.${k}.${dir}`, refs]))
    ]
    for (const [where, refs] of targets) {
      // A component target gets a timeout only: its errors carry no status code, so daprd would
      // retry every failure and count it against the breaker, answers such as a first-write
      // conflict included (components/k8s/resiliency.yaml says how that stalled the pipeline).
      const component = where.startsWith('components.')
      for (const kind of ['timeout', 'retry', 'circuitBreaker']) {
        const name = refs?.[kind]
        if (component && kind !== 'timeout') {
          if (name !== undefined) issues.push({ check: 'DAPR_RESILIENCY_REF', where: ref(r), message: `${where}.${kind}: a state store error carries no status code, so every failure (a first-write conflict too) is retried and counted; give components a timeout only` })
          continue
        }
        if (typeof name !== 'string') issues.push({ check: 'DAPR_RESILIENCY_REF', where: ref(r), message: `${where} has no ${kind}` })
        else if (!defined[kind]?.has(name)) issues.push({ check: 'DAPR_RESILIENCY_REF', where: ref(r), message: `${where}.${kind} names undefined policy ${name}` })
      }
    }
  }
  return issues
}
