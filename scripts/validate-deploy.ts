#!/usr/bin/env node
// Offline validation of everything that deploys orders-on-dapr to EKS: the Dockerfile, the
// kustomize tree in manifests/ (with components/k8s), the eksctl/Helm inputs in manifests/cluster,
// and the walkthrough in docs/deploy-eks.md, cross-checked against the local run file dapr.yaml.
// No cluster, Docker or daprd is needed; only kubectl (for `kubectl kustomize`).
//
//   node --import tsx scripts/validate-deploy.ts     # prints every issue, exits 1 if any
//
// Each check returns issues tagged with a stable code (CheckCode); test/manifests/ proves
// every code fires on a broken input and stays silent on the committed tree.
import { execFile } from 'node:child_process'
import { readFile, readdir } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { parseAllDocuments } from 'yaml'
import { Type, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { Namespace } from 'kubernetes-models/v1/Namespace'
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount'
import { Service } from 'kubernetes-models/v1/Service'
import { Secret } from 'kubernetes-models/v1/Secret'
import { Deployment } from 'kubernetes-models/apps/v1/Deployment'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget'
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler'
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy'
import { StorageClass } from 'kubernetes-models/storage.k8s.io/v1/StorageClass'

// YAML-derived data is untyped JSON; every check guards what it reads.
export type Json = any

export type CheckCode =
  | 'YAML_PARSE' | 'KUSTOMIZE_BUILD'
  | 'K8S_SCHEMA' | 'K8S_UNKNOWN_FIELD' | 'K8S_UNKNOWN_KIND'
  | 'DAPR_SCHEMA' | 'DAPR_METADATA_NAME' | 'DAPR_STATESTORE' | 'DAPR_CONFIG' | 'DAPR_ACL'
  | 'DAPR_RETRY_POLICY' | 'DAPR_RESILIENCY_REF' | 'SECRET_PLAIN_VALUE'
  | 'DAPR_ANNOTATION_KEY' | 'DAPR_ANNOTATION_VALUE' | 'DAPR_ANNOTATION_REQUIRED'
  | 'POD_PROBES' | 'POD_RESOURCES' | 'POD_SECURITY' | 'POD_SHUTDOWN' | 'POD_SPREAD'
  | 'IMAGE_PINNED' | 'WORKLOAD_ENV' | 'SERVICE_NLB' | 'PDB_HPA' | 'NETPOL' | 'METRICS' | 'NAMESPACE' | 'SERVICEACCOUNT'
  | 'SECRETS' | 'CROSS_APP_IDS' | 'CROSS_PORTS' | 'CROSS_CONFIG' | 'CROSS_COMPONENT_NAMES'
  | 'CROSS_RESILIENCY_TARGETS' | 'CROSS_UID' | 'CLUSTER'
  | 'DOCKERFILE_FROM' | 'DOCKERFILE_USER' | 'DOCKERFILE_CMD' | 'DOCKERFILE_NPM' | 'DOCKERFILE_SERVICE'
  | 'DOCKERIGNORE' | 'DOCS'

export interface Issue {
  check: CheckCode
  /** `Kind/name` or a file path, then a JSON-pointer-ish path when useful. */
  where: string
  message: string
}

/** Everything the checks read, already parsed. Tests clone and mutate it. */
export interface DeployBundle {
  /** `kubectl kustomize manifests`, one object per document. */
  rendered: Json[]
  kustomization: Json
  /** dapr.yaml, the local multi-app run file. */
  runFile: Json
  /** Dapr objects under components/ outside components/k8s (the local flavours). */
  localDapr: Array<{ file: string, obj: Json }>
  /** The configFilePath of dapr.yaml resolves to this file (null when missing). */
  localConfigFile: { file: string, obj: Json } | null
  cluster: Json
  daprValues: Json
  lbcValues: Json
  /** Kubernetes objects applied by hand from manifests/cluster (StorageClass). */
  clusterObjects: Json[]
  secretsExample: Json[]
  dockerfile: string
  dockerignore: string
  docs: string
}

const here = path.dirname(fileURLToPath(import.meta.url))
export const repoRoot = path.resolve(here, '..')

/** The namespace every app object lives in. */
export const NAMESPACE = 'orders'
/** close-with-grace's default delay: how long the app may take to drain after SIGTERM,
 * unless the container sets CLOSE_GRACE_DELAY_MS. */
export const APP_CLOSE_DELAY_S = 10
const SHUTDOWN_MARGIN_S = 5

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

export class ValidateError extends Error {
  readonly code: 'KUBECTL_MISSING' | 'KUSTOMIZE_BUILD' | 'YAML_PARSE'
  constructor (code: ValidateError['code'], message: string) {
    super(message)
    this.name = 'ValidateError'
    this.code = code
  }
}

/** Parses a multi-document YAML string; duplicate keys and syntax errors throw YAML_PARSE. */
export function parseYamlDocs (text: string, source: string): Json[] {
  const docs = parseAllDocuments(text, { uniqueKeys: true })
  const out: Json[] = []
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      throw new ValidateError('YAML_PARSE', `${source}: ${doc.errors.map((e) => e.message).join('; ')}`)
    }
    const value = doc.toJS()
    if (value !== null && value !== undefined) out.push(value)
  }
  return out
}

function one (text: string, source: string): Json {
  return parseYamlDocs(text, source)[0] ?? null
}

/** Whether kubectl can run here; the reason says what is missing when not. */
export async function kubectlStatus (): Promise<{ ok: true } | { ok: false, reason: string }> {
  try {
    await run('kubectl', ['version', '--client'])
    return { ok: true }
  } catch (err) {
    return { ok: false, reason: `kubectl is not usable here (${(err as Error).message.split('\n')[0]}); install it (the Kubernetes apt package ships kubectl with kustomize)` }
  }
}

function run (cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const e = err as NodeJS.ErrnoException
        reject(new ValidateError(e.code === 'ENOENT' ? 'KUBECTL_MISSING' : 'KUSTOMIZE_BUILD', `${cmd} ${args.join(' ')}: ${stderr.trim() || e.message}`))
        return
      }
      resolve(stdout)
    })
  })
}

/** `kubectl kustomize <dir>` parsed into objects. Throws KUBECTL_MISSING or KUSTOMIZE_BUILD. */
export async function renderKustomize (dir: string): Promise<Json[]> {
  const out = await run('kubectl', ['kustomize', dir])
  return parseYamlDocs(out, `kubectl kustomize ${dir}`)
}

async function listYaml (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .sort()
}

/** Reads and renders everything under `root` that the checks need. */
export async function loadBundle (root = repoRoot): Promise<DeployBundle> {
  const text = (p: string): Promise<string> => readFile(path.join(root, p), 'utf8')
  const rendered = await renderKustomize(path.join(root, 'manifests'))
  const runFile = one(await text('dapr.yaml'), 'dapr.yaml')

  const localDapr: DeployBundle['localDapr'] = []
  for (const file of await listYaml(path.join(root, 'components'))) {
    const rel = path.relative(root, file)
    if (rel.startsWith(path.join('components', 'k8s'))) continue
    for (const obj of parseYamlDocs(await readFile(file, 'utf8'), rel)) {
      if (typeof obj?.apiVersion === 'string' && obj.apiVersion.startsWith('dapr.io/')) localDapr.push({ file: rel, obj })
    }
  }
  const configPath = runFile?.common?.configFilePath
  let localConfigFile: DeployBundle['localConfigFile'] = null
  if (typeof configPath === 'string') {
    const rel = path.normalize(configPath)
    localConfigFile = localDapr.find((d) => d.file === rel) ?? null
  }

  const clusterObjects: Json[] = []
  for (const file of await listYaml(path.join(root, 'manifests', 'cluster'))) {
    const rel = path.relative(root, file)
    for (const obj of parseYamlDocs(await readFile(file, 'utf8'), rel)) {
      if (typeof obj?.apiVersion === 'string' && typeof obj.kind === 'string' && !obj.apiVersion.startsWith('eksctl.io/')) clusterObjects.push(obj)
    }
  }

  return {
    rendered,
    kustomization: one(await text('manifests/kustomization.yaml'), 'manifests/kustomization.yaml'),
    runFile,
    localDapr,
    localConfigFile,
    cluster: one(await text('manifests/cluster/cluster.yaml'), 'manifests/cluster/cluster.yaml'),
    daprValues: one(await text('manifests/cluster/dapr-values.yaml'), 'manifests/cluster/dapr-values.yaml'),
    lbcValues: one(await text('manifests/cluster/aws-load-balancer-controller-values.yaml'), 'manifests/cluster/aws-load-balancer-controller-values.yaml'),
    clusterObjects,
    secretsExample: parseYamlDocs(await text('manifests/secrets.example.yaml'), 'manifests/secrets.example.yaml'),
    dockerfile: await text('Dockerfile'),
    dockerignore: await text('.dockerignore'),
    docs: await text('docs/deploy-eks.md')
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers over the bundle
// ---------------------------------------------------------------------------------------------

const isRecord = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v)
const arr = (v: unknown): Json[] => Array.isArray(v) ? v : []
const ref = (o: Json): string => `${o?.kind ?? '?'}/${o?.metadata?.name ?? '?'}`
const isDapr = (o: Json): boolean => typeof o?.apiVersion === 'string' && o.apiVersion.startsWith('dapr.io/')
const ofKind = (objs: Json[], kind: string): Json[] => objs.filter((o) => o?.kind === kind)

export function deployments (b: DeployBundle): Json[] {
  return ofKind(b.rendered, 'Deployment')
}

function annotations (d: Json): Record<string, Json> {
  const a = d?.spec?.template?.metadata?.annotations
  return isRecord(a) ? a : {}
}

export function appIdOf (d: Json): string | undefined {
  const id = annotations(d)['dapr.io/app-id']
  return typeof id === 'string' ? id : undefined
}

function podSpec (d: Json): Json {
  return d?.spec?.template?.spec ?? {}
}

function containers (d: Json): Json[] {
  return arr(podSpec(d).containers)
}

/** The app container: the one named after the app id, else the first. */
function appContainer (d: Json): Json {
  const cs = containers(d)
  return cs.find((c) => c?.name === appIdOf(d)) ?? cs[0] ?? {}
}

function envOf (c: Json, name: string): Json {
  return arr(c?.env).find((e) => e?.name === name)
}

/** Pod labels as they will be at run time: template labels plus what the Dapr injector adds. */
function podLabels (d: Json): Record<string, string> {
  const labels = { ...(d?.spec?.template?.metadata?.labels ?? {}) }
  const id = appIdOf(d)
  if (id !== undefined) {
    labels['dapr.io/app-id'] = id
    labels['dapr.io/sidecar-injected'] = 'true'
  }
  return labels
}

function matchLabels (selector: Json, labels: Record<string, string>): boolean {
  if (!isRecord(selector)) return false
  if (arr(selector.matchExpressions).length > 0) return false // not used here; treat as no match
  const want = isRecord(selector.matchLabels) ? selector.matchLabels : {}
  return Object.entries(want).every(([k, v]) => labels[k] === v)
}

/** Resolves a probe/Service port (number or name) to a container port number. */
function resolvePort (c: Json, port: Json): number | undefined {
  if (typeof port === 'number') return arr(c?.ports).some((p) => p?.containerPort === port) ? port : undefined
  const p = arr(c?.ports).find((x) => x?.name === port)
  return typeof p?.containerPort === 'number' ? p.containerPort : undefined
}

function components (b: DeployBundle): Json[] {
  return ofKind(b.rendered, 'Component')
}

function configurations (b: DeployBundle): Json[] {
  return ofKind(b.rendered, 'Configuration')
}

function resiliencies (b: DeployBundle): Json[] {
  return ofKind(b.rendered, 'Resiliency')
}

function runFileApps (b: DeployBundle): Json[] {
  return arr(b.runFile?.apps)
}

/** Apps that another app invokes (TARGET_APP_ID in some Deployment), with the callers. */
function invocations (b: DeployBundle): Array<{ caller: string, callee: string }> {
  const out: Array<{ caller: string, callee: string }> = []
  for (const d of deployments(b)) {
    const target = envOf(appContainer(d), 'TARGET_APP_ID')?.value
    const caller = appIdOf(d)
    if (typeof target === 'string' && caller !== undefined) out.push({ caller, callee: target })
  }
  return out
}

function configFor (b: DeployBundle, d: Json): Json {
  const name = annotations(d)['dapr.io/config']
  return configurations(b).find((c) => c?.metadata?.name === name)
}

function seconds (duration: unknown): number | undefined {
  if (typeof duration !== 'string') return undefined
  const m = /^(\d+)(ms|s|m)$/.exec(duration)
  if (!m) return undefined
  const n = Number(m[1])
  return m[2] === 'ms' ? n / 1000 : m[2] === 'm' ? n * 60 : n
}

// ---------------------------------------------------------------------------------------------
// Kubernetes objects: kubernetes-models (types, formats, required) and unknown fields
// ---------------------------------------------------------------------------------------------

interface ModelClass { new (data: Json): { validate: () => void } }

/** Every Kubernetes kind the project renders or applies, with its model and TS interface. */
export const K8S_KINDS: Record<string, { model: ModelClass, module: string, iface: string }> = {
  'v1/Namespace': { model: Namespace, module: 'kubernetes-models/v1/Namespace', iface: 'INamespace' },
  'v1/ServiceAccount': { model: ServiceAccount, module: 'kubernetes-models/v1/ServiceAccount', iface: 'IServiceAccount' },
  'v1/Service': { model: Service, module: 'kubernetes-models/v1/Service', iface: 'IService' },
  'v1/Secret': { model: Secret, module: 'kubernetes-models/v1/Secret', iface: 'ISecret' },
  'apps/v1/Deployment': { model: Deployment, module: 'kubernetes-models/apps/v1/Deployment', iface: 'IDeployment' },
  'policy/v1/PodDisruptionBudget': { model: PodDisruptionBudget, module: 'kubernetes-models/policy/v1/PodDisruptionBudget', iface: 'IPodDisruptionBudget' },
  'autoscaling/v2/HorizontalPodAutoscaler': { model: HorizontalPodAutoscaler, module: 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler', iface: 'IHorizontalPodAutoscaler' },
  'networking.k8s.io/v1/NetworkPolicy': { model: NetworkPolicy, module: 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy', iface: 'INetworkPolicy' },
  'storage.k8s.io/v1/StorageClass': { model: StorageClass, module: 'kubernetes-models/storage.k8s.io/v1/StorageClass', iface: 'IStorageClass' }
}

const kindKey = (o: Json): string => `${o?.apiVersion}/${o?.kind}`

/** Every non-Dapr object: rendered, cluster add-ons, and the example Secrets. */
function k8sObjects (b: DeployBundle): Json[] {
  return [...b.rendered.filter((o) => !isDapr(o)), ...b.clusterObjects, ...b.secretsExample]
}

export function checkK8sSchema (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  for (const o of k8sObjects(b)) {
    const kind = K8S_KINDS[kindKey(o)]
    if (!kind) {
      issues.push({ check: 'K8S_UNKNOWN_KIND', where: ref(o), message: `${kindKey(o)} is not a kind this validator knows; add it to K8S_KINDS so it gets validated` })
      continue
    }
    try {
      const Model = kind.model
      new Model(o).validate()
    } catch (err) {
      const errors = arr((err as { errors?: unknown }).errors)
      const detail = errors.length > 0
        ? errors.map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')
        : (err as Error).message
      issues.push({ check: 'K8S_SCHEMA', where: ref(o), message: detail })
    }
  }
  return issues
}

let typeCache: { checker: ts.TypeChecker, roots: Map<string, ts.Type> } | undefined

/**
 * Loads the kubernetes-models interfaces into one in-memory TypeScript program (once per
 * process). kubernetes-models' ajv validators accept unknown fields, the TS interfaces do not.
 */
function k8sTypes (): { checker: ts.TypeChecker, roots: Map<string, ts.Type> } {
  if (typeCache) return typeCache
  const file = path.join(repoRoot, '__deploy_check_types__.ts')
  const keys = Object.keys(K8S_KINDS)
  const source = keys.map((k, i) => `import type { ${K8S_KINDS[k]?.iface} as T${i} } from '${K8S_KINDS[k]?.module}'\nexport type R${i} = T${i}`).join('\n')
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    types: [],
    lib: ['lib.es2022.d.ts'],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true
  }
  const host = ts.createCompilerHost(options)
  const getSourceFile = host.getSourceFile.bind(host)
  const fileExists = host.fileExists.bind(host)
  host.getSourceFile = (f, lang, ...rest) => f === file ? ts.createSourceFile(f, source, lang) : getSourceFile(f, lang, ...rest)
  host.fileExists = (f) => f === file || fileExists(f)
  const program = ts.createProgram([file], options, host)
  const checker = program.getTypeChecker()
  const sf = program.getSourceFile(file)
  const roots = new Map<string, ts.Type>()
  sf?.forEachChild((node) => {
    if (ts.isTypeAliasDeclaration(node)) {
      const key = keys[Number(node.name.text.slice(1))]
      const type = checker.getTypeAtLocation(node.name)
      // An unresolved import gives `any`; that would silently accept everything.
      if (key !== undefined && !(type.flags & ts.TypeFlags.Any)) roots.set(key, type)
    }
  })
  typeCache = { checker, roots }
  return typeCache
}

function walkUnknown (checker: ts.TypeChecker, value: Json, type: ts.Type, where: string, at: string, issues: Issue[]): void {
  if (value === null || typeof value !== 'object') return
  const t = checker.getNonNullableType(type)
  const members = t.isUnion() ? t.types : [t]
  const objectTypes = members.filter((m) => (m.flags & ts.TypeFlags.Object) !== 0)
  if (objectTypes.length === 0) return // a primitive is expected: type errors are K8S_SCHEMA's job
  if (Array.isArray(value)) {
    const arrayType = objectTypes.find((m) => checker.isArrayType(m))
    const element = arrayType ? checker.getTypeArguments(arrayType as ts.TypeReference)[0] : undefined
    if (element) value.forEach((v, i) => walkUnknown(checker, v, element, where, `${at}/${i}`, issues))
    return
  }
  for (const [key, v] of Object.entries(value)) {
    let propType: ts.Type | undefined
    for (const m of objectTypes) {
      const prop = checker.getPropertyOfType(m, key)
      if (prop) {
        propType = checker.getTypeOfSymbol(prop)
        break
      }
      const index = checker.getIndexTypeOfType(m, ts.IndexKind.String)
      if (index) {
        propType = index
        break
      }
    }
    if (!propType) {
      issues.push({ check: 'K8S_UNKNOWN_FIELD', where, message: `${at}/${key} is not a field of ${checker.typeToString(objectTypes[0] as ts.Type)}` })
      continue
    }
    walkUnknown(checker, v, propType, where, `${at}/${key}`, issues)
  }
}

export function checkK8sUnknownFields (b: DeployBundle): Issue[] {
  const { checker, roots } = k8sTypes()
  const issues: Issue[] = []
  for (const o of k8sObjects(b)) {
    const root = roots.get(kindKey(o))
    if (root) walkUnknown(checker, o, root, ref(o), '', issues)
  }
  if (roots.size !== Object.keys(K8S_KINDS).length) {
    issues.push({ check: 'K8S_UNKNOWN_FIELD', where: 'kubernetes-models', message: 'some kubernetes-models interfaces did not resolve; unknown fields cannot be checked' })
  }
  return issues
}

// ---------------------------------------------------------------------------------------------
// Dapr objects: strict schemas of the kinds and fields this project uses
// ---------------------------------------------------------------------------------------------

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

/** components-contrib state/redis/metadata.yaml plus the runtime-level keys (deploy.md §1.6). */
export const REDIS_METADATA_NAMES = new Set([
  'redisHost', 'redisPort', 'redisUsername', 'redisPassword', 'enableTLS', 'insecureSkipTLSVerify', 'clientCert', 'clientKey',
  'failover', 'sentinelMasterName', 'sentinelUsername', 'sentinelPassword', 'redisDB', 'redisType', 'redisMaxRetries',
  'redisMinRetryInterval', 'redisMaxRetryInterval', 'dialTimeout', 'readTimeout', 'writeTimeout', 'poolSize', 'poolTimeout',
  'maxConnAge', 'minIdleConns', 'idleCheckFrequency', 'idleTimeout', 'queryIndexes', 'ttlInSeconds', 'useEntraID', 'useOIDC',
  'oidcTokenEndpoint', 'oidcClientID', 'oidcClientSecret', 'oidcScopes', 'oidcAudience'
])
const RUNTIME_METADATA_NAMES = ['keyPrefix', 'actorStateStore', 'outboxPublishPubsub', 'outboxPublishTopic', 'outboxPubsub', 'outboxDiscardWhenMissingState']
const METADATA_NAMES: Record<string, Set<string>> = {
  'state.redis': new Set([...REDIS_METADATA_NAMES, ...RUNTIME_METADATA_NAMES]),
  'state.in-memory': new Set(RUNTIME_METADATA_NAMES)
}

export function checkDaprSchema (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  for (const o of b.rendered.filter(isDapr)) {
    const schema = DAPR_SCHEMAS[o.kind]
    if (!schema) {
      issues.push({ check: 'DAPR_SCHEMA', where: ref(o), message: `Dapr kind ${o.kind} is not one this project uses` })
      continue
    }
    for (const e of Value.Errors(schema, o)) issues.push({ check: 'DAPR_SCHEMA', where: ref(o), message: `${e.path || '/'}: ${e.message}` })
  }
  return issues
}

export function checkDaprMetadataNames (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  for (const c of components(b)) {
    const allowed = METADATA_NAMES[c?.spec?.type]
    for (const m of arr(c?.spec?.metadata)) {
      if (allowed && !allowed.has(m?.name)) issues.push({ check: 'DAPR_METADATA_NAME', where: ref(c), message: `metadata ${m?.name} is not a ${c.spec.type} field (daprd ignores unknown names)` })
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
      for (const kind of ['timeout', 'retry', 'circuitBreaker']) {
        const name = refs?.[kind]
        if (typeof name !== 'string') issues.push({ check: 'DAPR_RESILIENCY_REF', where: ref(r), message: `${where} has no ${kind}` })
        else if (!defined[kind]?.has(name)) issues.push({ check: 'DAPR_RESILIENCY_REF', where: ref(r), message: `${where}.${kind} names undefined policy ${name}` })
      }
    }
  }
  return issues
}

// ---------------------------------------------------------------------------------------------
// Workloads: Dapr annotations, probes, resources, security, shutdown, images, env
// ---------------------------------------------------------------------------------------------

/** Every pod annotation the 1.18 injector reads (pkg/injector/annotations; deploy.md §1.2). */
export const KNOWN_DAPR_ANNOTATIONS = new Set([
  'enabled', 'app-id', 'app-port', 'app-protocol', 'config', 'log-as-json', 'log-level', 'enable-api-logging',
  'api-token-secret', 'app-token-secret', 'sidecar-cpu-request', 'sidecar-cpu-limit', 'sidecar-memory-request',
  'sidecar-memory-limit', 'env', 'graceful-shutdown-seconds', 'block-shutdown-duration', 'enable-app-health-check',
  'app-health-check-path', 'app-health-probe-interval', 'app-health-probe-timeout', 'app-health-threshold',
  'sidecar-liveness-probe-delay-seconds', 'sidecar-liveness-probe-timeout-seconds', 'sidecar-liveness-probe-period-seconds',
  'sidecar-liveness-probe-threshold', 'sidecar-readiness-probe-delay-seconds', 'sidecar-readiness-probe-timeout-seconds',
  'sidecar-readiness-probe-period-seconds', 'sidecar-readiness-probe-threshold', 'sidecar-seccomp-profile-type',
  'sidecar-listen-addresses', 'placement-host-address', 'scheduler-host-address', 'disable-builtin-k8s-secret-store',
  'enable-native-sidecar', 'grpc-port', 'internal-grpc-port', 'metrics-port', 'app-max-concurrency', 'max-body-size',
  'read-buffer-size', 'volume-mounts', 'volume-mounts-rw', 'env-from-secret', 'unix-domain-socket-path', 'sidecar-image',
  'app-channel-address', 'sidecar-svc-annotations', 'disable-init-endpoints', 'enable-metrics', 'enable-profiling',
  'enable-debug', 'debug-port', 'app-ssl', 'http-max-request-size', 'http-read-buffer-size'
].map((k) => `dapr.io/${k}`))

const QUANTITY = /^\d+(\.\d+)?(m|Ki|Mi|Gi)?$/
/** Annotation → a predicate its value must satisfy (string already checked). */
const REQUIRED_ANNOTATIONS: Record<string, (v: string, d: Json) => boolean> = {
  'dapr.io/enabled': (v) => v === 'true',
  'dapr.io/app-id': (v, d) => v === d?.metadata?.name,
  'dapr.io/app-port': (v) => /^\d+$/.test(v),
  'dapr.io/config': (v) => v.length > 0,
  'dapr.io/api-token-secret': (v) => v.length > 0,
  'dapr.io/app-token-secret': (v) => v.length > 0,
  'dapr.io/enable-app-health-check': (v) => v === 'true',
  'dapr.io/app-health-check-path': (v) => v === '/healthz',
  'dapr.io/sidecar-cpu-request': (v) => QUANTITY.test(v),
  'dapr.io/sidecar-cpu-limit': (v) => QUANTITY.test(v),
  'dapr.io/sidecar-memory-request': (v) => QUANTITY.test(v),
  'dapr.io/sidecar-memory-limit': (v) => QUANTITY.test(v),
  'dapr.io/graceful-shutdown-seconds': (v) => /^\d+$/.test(v),
  'dapr.io/placement-host-address': (v) => v === '',
  'dapr.io/scheduler-host-address': (v) => v === '',
  'dapr.io/log-as-json': (v) => v === 'true',
  'dapr.io/enable-api-logging': (v) => v === 'true'
}

export function checkDaprAnnotations (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  for (const d of deployments(b)) {
    const ann = annotations(d)
    for (const [k, v] of Object.entries(ann)) {
      if (!k.startsWith('dapr.io/')) continue
      if (!KNOWN_DAPR_ANNOTATIONS.has(k)) issues.push({ check: 'DAPR_ANNOTATION_KEY', where: ref(d), message: `${k} is not a Dapr annotation (the injector ignores it silently)` })
      if (typeof v !== 'string') issues.push({ check: 'DAPR_ANNOTATION_VALUE', where: ref(d), message: `${k} must be a string, got ${typeof v} ${JSON.stringify(v)}` })
    }
    for (const [k, ok] of Object.entries(REQUIRED_ANNOTATIONS)) {
      const v = ann[k]
      if (typeof v !== 'string') {
        if (v === undefined) issues.push({ check: 'DAPR_ANNOTATION_REQUIRED', where: ref(d), message: `${k} is missing` })
      } else if (!ok(v, d)) {
        issues.push({ check: 'DAPR_ANNOTATION_REQUIRED', where: ref(d), message: `${k}: ${JSON.stringify(v)} is not the expected value` })
      }
    }
  }
  return issues
}

export function checkProbes (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  const want: Array<[string, string]> = [['startupProbe', '/healthz'], ['livenessProbe', '/healthz'], ['readinessProbe', '/readyz']]
  for (const d of deployments(b)) {
    for (const c of containers(d)) {
      for (const [probe, p] of want) {
        const get = c?.[probe]?.httpGet
        if (!isRecord(get)) issues.push({ check: 'POD_PROBES', where: ref(d), message: `container ${c?.name} has no ${probe} httpGet` })
        else if (get.path !== p) issues.push({ check: 'POD_PROBES', where: ref(d), message: `container ${c?.name} ${probe} must GET ${p}, not ${get.path}` })
        else if (resolvePort(c, get.port) === undefined) issues.push({ check: 'POD_PROBES', where: ref(d), message: `container ${c?.name} ${probe} port ${get.port} is not a container port` })
      }
    }
  }
  return issues
}

export function checkResources (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  for (const d of deployments(b)) {
    for (const c of containers(d)) {
      for (const [k, field] of [['requests', 'cpu'], ['requests', 'memory'], ['limits', 'memory']] as const) {
        if (c?.resources?.[k]?.[field] === undefined) issues.push({ check: 'POD_RESOURCES', where: ref(d), message: `container ${c?.name} has no resources.${k}.${field}` })
      }
    }
  }
  return issues
}

/** Pod Security "restricted" plus the project's own rules (numeric uid, read-only root). */
export function checkSecurity (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  for (const d of deployments(b)) {
    const fail = (message: string): void => { issues.push({ check: 'POD_SECURITY', where: ref(d), message }) }
    const spec = podSpec(d)
    const psc = spec.securityContext ?? {}
    if (spec.automountServiceAccountToken !== false) fail('automountServiceAccountToken must be false')
    if (psc.runAsNonRoot !== true) fail('pod runAsNonRoot must be true')
    if (!Number.isInteger(psc.runAsUser) || psc.runAsUser <= 0) fail('pod runAsUser must be a numeric non-root uid')
    if (psc.seccompProfile?.type !== 'RuntimeDefault') fail('pod seccompProfile must be RuntimeDefault (daprd inherits it)')
    for (const c of [...containers(d), ...arr(spec.initContainers)]) {
      const sc = c?.securityContext ?? {}
      const who = `container ${c?.name}`
      if (sc.allowPrivilegeEscalation !== false) fail(`${who}: allowPrivilegeEscalation must be false`)
      if (sc.readOnlyRootFilesystem !== true) fail(`${who}: readOnlyRootFilesystem must be true`)
      if (!arr(sc.capabilities?.drop).includes('ALL')) fail(`${who}: capabilities must drop ALL`)
      if (arr(sc.capabilities?.add).length > 0) fail(`${who}: must add no capabilities`)
      if (sc.privileged === true) fail(`${who}: must not be privileged`)
      if (sc.runAsUser !== undefined && !(Number.isInteger(sc.runAsUser) && sc.runAsUser > 0)) fail(`${who}: runAsUser must be a non-root uid`)
      if (sc.seccompProfile !== undefined && sc.seccompProfile?.type !== 'RuntimeDefault') fail(`${who}: seccompProfile must be RuntimeDefault`)
    }
  }
  return issues
}

function nlbDeregistrationDelay (svc: Json): number | undefined {
  const attrs = svc?.metadata?.annotations?.['service.beta.kubernetes.io/aws-load-balancer-target-group-attributes']
  const m = typeof attrs === 'string' ? /deregistration_delay\.timeout_seconds=(\d+)/.exec(attrs) : null
  return m ? Number(m[1]) : undefined
}

function servicesFor (b: DeployBundle, d: Json): Json[] {
  return ofKind(b.rendered, 'Service').filter((s) => matchLabels({ matchLabels: s?.spec?.selector }, podLabels(d)))
}

/**
 * terminationGracePeriodSeconds must cover both shutdown paths: preStop + the app's drain, and
 * daprd's block-shutdown-duration + graceful-shutdown-seconds. Pods behind a load balancer
 * need a preStop sleep longer than the target group's deregistration delay.
 */
export function checkShutdown (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  for (const d of deployments(b)) {
    const fail = (message: string): void => { issues.push({ check: 'POD_SHUTDOWN', where: ref(d), message }) }
    const grace = podSpec(d).terminationGracePeriodSeconds ?? 30
    const preStop = appContainer(d)?.lifecycle?.preStop?.sleep?.seconds ?? 0
    const closeMs = envOf(appContainer(d), 'CLOSE_GRACE_DELAY_MS')?.value
    const drain = closeMs === undefined ? APP_CLOSE_DELAY_S : Number(closeMs) / 1000
    const ann = annotations(d)
    const graceful = Number(ann['dapr.io/graceful-shutdown-seconds'] ?? 5)
    const block = seconds(ann['dapr.io/block-shutdown-duration']) ?? 0
    if (!(grace >= preStop + drain + SHUTDOWN_MARGIN_S)) fail(`terminationGracePeriodSeconds ${grace} < preStop ${preStop} + app drain ${drain} + margin ${SHUTDOWN_MARGIN_S}`)
    if (grace < block + graceful + SHUTDOWN_MARGIN_S) fail(`terminationGracePeriodSeconds ${grace} < daprd block ${block} + graceful ${graceful} + margin ${SHUTDOWN_MARGIN_S}`)
    if (block > 0 && block < preStop + drain) fail(`block-shutdown-duration ${block}s ends before the app has drained (${preStop + drain}s)`)
    for (const svc of servicesFor(b, d).filter((s) => s?.spec?.type === 'LoadBalancer')) {
      const delay = nlbDeregistrationDelay(svc)
      if (delay === undefined) fail(`${ref(svc)} sets no deregistration_delay.timeout_seconds`)
      else if (preStop <= delay) fail(`preStop sleep ${preStop}s must exceed ${ref(svc)}'s deregistration delay ${delay}s`)
    }
  }
  return issues
}

export function checkSpread (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  for (const d of deployments(b)) {
    const tsc = arr(podSpec(d).topologySpreadConstraints)
    const zone = tsc.find((t) => t?.topologyKey === 'topology.kubernetes.io/zone')
    if (!zone) issues.push({ check: 'POD_SPREAD', where: ref(d), message: 'no topologySpreadConstraint across topology.kubernetes.io/zone' })
    for (const t of tsc) {
      if (!matchLabels(t?.labelSelector, podLabels(d))) issues.push({ check: 'POD_SPREAD', where: ref(d), message: `spread on ${t?.topologyKey} selects other pods than this Deployment's` })
    }
  }
  return issues
}

const DIGEST = /@sha256:[a-f0-9]{64}$/

export function checkImages (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  const sources = new Set(arr(b.kustomization?.images).map((i) => i?.name))
  for (const i of arr(b.kustomization?.images)) {
    const tag = i?.newTag
    if (i?.digest === undefined && (typeof tag !== 'string' || tag === '' || tag === 'latest')) issues.push({ check: 'IMAGE_PINNED', where: 'manifests/kustomization.yaml', message: `images ${i?.name}: needs a fixed newTag or digest` })
  }
  for (const d of deployments(b)) {
    for (const c of containers(d)) {
      const image = String(c?.image ?? '')
      const fail = (message: string): void => { issues.push({ check: 'IMAGE_PINNED', where: ref(d), message: `container ${c?.name} image ${image}: ${message}` }) }
      if (DIGEST.test(image)) continue
      const slash = image.indexOf('/')
      const registry = slash > 0 ? image.slice(0, slash) : ''
      if (!registry.includes('.') && !registry.includes(':')) fail('has no registry host (is the kustomize images block matching it?)')
      const tag = /:([^/:]+)$/.exec(image)?.[1]
      if (tag === undefined || tag === 'latest') fail('must have a fixed tag, never latest')
    }
  }
  // Each source image name in the Deployments must be rewritten by the images block.
  for (const name of sources) {
    if (!deployments(b).some((d) => containers(d).some((c) => String(c?.image).includes(`/${name}:`) || String(c?.image).endsWith(`/${name}`)))) {
      issues.push({ check: 'IMAGE_PINNED', where: 'manifests/kustomization.yaml', message: `images ${name} matches no container` })
    }
  }
  return issues
}

/** The env the services read, wired to the same names and ports as the Dapr annotations. */
export function checkWorkloadEnv (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  const ids = new Set(deployments(b).map(appIdOf))
  const callees = new Set(invocations(b).map((i) => i.callee))
  const storeNames = new Set(components(b).map((c) => c?.metadata?.name))
  for (const d of deployments(b)) {
    const c = appContainer(d)
    const ann = annotations(d)
    const fail = (message: string): void => { issues.push({ check: 'WORKLOAD_ENV', where: ref(d), message }) }
    const port = envOf(c, 'PORT')?.value
    if (port !== ann['dapr.io/app-port']) fail(`PORT ${port} differs from dapr.io/app-port ${ann['dapr.io/app-port']}`)
    if (resolvePort(c, Number(port)) === undefined) fail(`PORT ${port} is not a declared containerPort`)
    if (envOf(c, 'HOST')?.value !== '0.0.0.0') fail('HOST must be 0.0.0.0 so kubelet and the NLB reach the app')
    const store = envOf(c, 'STATE_STORE_NAME')?.value
    if (store !== undefined && !storeNames.has(store)) fail(`STATE_STORE_NAME ${store} is not a rendered Component`)
    const token = envOf(c, 'DAPR_API_TOKEN')?.valueFrom?.secretKeyRef
    if (token?.name !== ann['dapr.io/api-token-secret'] || token?.key !== 'token') fail('DAPR_API_TOKEN must come from the dapr.io/api-token-secret Secret, key token')
    const appToken = envOf(c, 'APP_API_TOKEN')?.valueFrom?.secretKeyRef
    if (callees.has(appIdOf(d) ?? '') && (appToken?.name !== ann['dapr.io/app-token-secret'] || appToken?.key !== 'token')) {
      fail('APP_API_TOKEN must come from the dapr.io/app-token-secret Secret, key token (the app verifies daprd and NLB writes)')
    }
    const target = envOf(c, 'TARGET_APP_ID')?.value
    if (target !== undefined && !ids.has(target)) fail(`TARGET_APP_ID ${target} is not a deployed app id`)
    if (envOf(c, 'DAPR_HTTP_PORT') !== undefined) fail('DAPR_HTTP_PORT is set by the injector; do not override it')
  }
  return issues
}

// ---------------------------------------------------------------------------------------------
// Services, PDB/HPA, NetworkPolicies, namespace, service accounts, secrets
// ---------------------------------------------------------------------------------------------

const LB = 'service.beta.kubernetes.io/aws-load-balancer-'

export function checkServices (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  const services = ofKind(b.rendered, 'Service')
  const ids = new Set(deployments(b).map(appIdOf))
  for (const s of services) {
    const name = String(s?.metadata?.name)
    if (name.endsWith('-dapr') && ids.has(name.slice(0, -5))) issues.push({ check: 'SERVICE_NLB', where: ref(s), message: 'the Dapr operator owns <app-id>-dapr Services' })
  }
  const lbs = services.filter((s) => s?.spec?.type === 'LoadBalancer')
  if (lbs.length !== 1) issues.push({ check: 'SERVICE_NLB', where: 'manifests', message: `expected exactly one LoadBalancer Service, found ${lbs.length}` })
  for (const s of lbs) {
    const fail = (message: string): void => { issues.push({ check: 'SERVICE_NLB', where: ref(s), message }) }
    const ann = s?.metadata?.annotations ?? {}
    if (s.spec.loadBalancerClass !== 'service.k8s.aws/nlb') fail('loadBalancerClass must be service.k8s.aws/nlb')
    if (ann[`${LB}scheme`] !== 'internet-facing') fail('scheme must be internet-facing')
    if (ann[`${LB}nlb-target-type`] !== 'ip') fail('nlb-target-type must be ip')
    if (ann[`${LB}healthcheck-protocol`] !== 'HTTP') fail('healthcheck-protocol must be HTTP')
    const selected = deployments(b).filter((d) => matchLabels({ matchLabels: s.spec.selector }, podLabels(d)))
    if (selected.length !== 1) {
      fail(`selects ${selected.length} Deployments, expected 1`)
      continue
    }
    const d = selected[0]
    const c = appContainer(d)
    if (ann[`${LB}healthcheck-path`] !== c?.readinessProbe?.httpGet?.path) fail(`healthcheck-path ${ann[`${LB}healthcheck-path`]} differs from the readiness probe path`)
    for (const p of arr(s.spec.ports)) {
      if (String(resolvePort(c, p?.targetPort)) !== annotations(d)['dapr.io/app-port']) fail(`port ${p?.name} targetPort ${p?.targetPort} is not the app port`)
    }
  }
  return issues
}

export function checkPdbHpa (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  const pdbs = ofKind(b.rendered, 'PodDisruptionBudget')
  const hpas = ofKind(b.rendered, 'HorizontalPodAutoscaler')
  for (const d of deployments(b)) {
    const fail = (message: string): void => { issues.push({ check: 'PDB_HPA', where: ref(d), message }) }
    const pdb = pdbs.filter((p) => matchLabels(p?.spec?.selector, podLabels(d)))
    if (pdb.length !== 1) fail(`${pdb.length} PodDisruptionBudgets select it, expected 1`)
    const hpa = hpas.find((h) => h?.spec?.scaleTargetRef?.kind === 'Deployment' && h.spec.scaleTargetRef.name === d?.metadata?.name)
    if (!hpa) continue
    if (d.spec?.replicas !== undefined) fail('spec.replicas is set although an HPA owns the count (every apply would reset it)')
    const metrics = arr(hpa.spec?.metrics)
    if (metrics.length === 0 || metrics.some((m) => m?.type !== 'ContainerResource' || m?.containerResource?.name !== 'cpu')) {
      fail(`${ref(hpa)} must scale on ContainerResource cpu only (a pod Resource metric averages in daprd)`)
    }
    for (const m of metrics) {
      const name = m?.containerResource?.container
      if (!containers(d).some((c) => c?.name === name)) fail(`${ref(hpa)} measures container ${name}, which the pod does not have`)
    }
    const min = pdb[0]?.spec?.minAvailable
    if (typeof min === 'number' && !(min < (hpa.spec?.minReplicas ?? 1))) fail(`PDB minAvailable ${min} must be below HPA minReplicas ${hpa.spec?.minReplicas}`)
  }
  return issues
}

/** Who is on the other end: a pod (namespace + labels) or an address outside the cluster. */
type Peer = { namespace: string, labels: Record<string, string> } | { ip: string }

function cidrContains (cidr: string, ip: string): boolean {
  const toInt = (a: string): number => a.split('.').reduce((n, o) => n * 256 + Number(o), 0)
  const [base, bits] = cidr.split('/')
  const mask = Number(bits)
  if (base === undefined || !(mask >= 0 && mask <= 32)) return false
  const size = 2 ** (32 - mask)
  return Math.floor(toInt(base) / size) === Math.floor(toInt(ip) / size)
}

function peerMatches (rulePeer: Json, peer: Peer): boolean {
  if ('ip' in peer) return typeof rulePeer?.ipBlock?.cidr === 'string' && cidrContains(rulePeer.ipBlock.cidr, peer.ip)
  if (rulePeer?.ipBlock !== undefined) return false
  const nsOk = rulePeer?.namespaceSelector === undefined
    ? peer.namespace === NAMESPACE // a bare podSelector means the policy's own namespace
    : matchLabels(rulePeer.namespaceSelector, { 'kubernetes.io/metadata.name': peer.namespace })
  const podOk = rulePeer?.podSelector === undefined || matchLabels(rulePeer.podSelector, peer.labels)
  return nsOk && podOk
}

/** Whether some policy selecting `pod` lets `peer` in (or out) on `port`. */
function netpolAllows (b: DeployBundle, dir: 'ingress' | 'egress', pod: Record<string, string>, peer: Peer, port: number, protocol = 'TCP'): boolean {
  const field = dir === 'ingress' ? 'from' : 'to'
  return ofKind(b.rendered, 'NetworkPolicy').some((np) =>
    matchLabels(np?.spec?.podSelector, pod) &&
    arr(np?.spec?.[dir]).some((rule) =>
      arr(rule?.[field]).some((p) => peerMatches(p, peer)) &&
      arr(rule?.ports).some((p) => p?.port === port && (p?.protocol ?? 'TCP') === protocol)))
}

function firstIp (cidr: unknown): string {
  const base = typeof cidr === 'string' ? cidr.split('/')[0] : undefined
  return base === undefined ? '0.0.0.0' : base.replace(/\.0$/, '.10')
}

export function checkNetworkPolicies (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  const nps = ofKind(b.rendered, 'NetworkPolicy')
  const fail = (where: string, message: string): void => { issues.push({ check: 'NETPOL', where, message }) }
  const defaultDeny = nps.some((np) => isRecord(np?.spec?.podSelector) && Object.keys(np.spec.podSelector).length === 0 &&
    arr(np.spec.policyTypes).includes('Ingress') && arr(np.spec.policyTypes).includes('Egress') &&
    np.spec.ingress === undefined && np.spec.egress === undefined)
  if (!defaultDeny) fail('manifests/networkpolicies.yaml', 'no default-deny policy (podSelector {}, Ingress and Egress, no rules)')
  const vpcIp = firstIp(b.cluster?.vpc?.cidr)
  const internetIp = '203.0.113.10'
  const deps = deployments(b)
  const calls = invocations(b)
  for (const d of deps) {
    const pod = podLabels(d)
    const id = appIdOf(d)
    const appPort = Number(annotations(d)['dapr.io/app-port'])
    if (!netpolAllows(b, 'ingress', pod, { namespace: 'monitoring', labels: {} }, 9090)) fail(ref(d), 'Prometheus in namespace monitoring cannot reach daprd metrics on 9090')
    const behindLb = servicesFor(b, d).some((s) => s?.spec?.type === 'LoadBalancer')
    if (behindLb && !netpolAllows(b, 'ingress', pod, { ip: vpcIp }, appPort)) fail(ref(d), `the NLB (VPC ${b.cluster?.vpc?.cidr}) cannot reach the app port ${appPort}`)
    if (!behindLb && netpolAllows(b, 'ingress', pod, { ip: vpcIp }, appPort)) fail(ref(d), `app port ${appPort} is open to the VPC but no load balancer fronts it`)
    if (netpolAllows(b, 'ingress', pod, { ip: internetIp }, appPort)) fail(ref(d), `app port ${appPort} is open to addresses outside the VPC`)
    for (const other of deps.filter((x) => x !== d)) {
      const from = appIdOf(other)
      const mayCall = calls.some((c) => c.caller === from && c.callee === id)
      const allowed = netpolAllows(b, 'ingress', pod, { namespace: NAMESPACE, labels: podLabels(other) }, 50002)
      if (mayCall && !allowed) fail(ref(d), `${from} invokes ${id} but daprd's 50002 is closed to it`)
      if (!mayCall && allowed) fail(ref(d), `daprd's 50002 is open to ${from}, which the ACL does not let call ${id}`)
      if (mayCall && !netpolAllows(b, 'egress', podLabels(other), { namespace: NAMESPACE, labels: pod }, 50002)) fail(ref(other), `egress to ${id}'s daprd on 50002 is closed`)
    }
    if (!netpolAllows(b, 'egress', pod, { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } }, 53, 'UDP')) fail(ref(d), 'no DNS egress (UDP 53 to kube-dns)')
    for (const port of [50001, 6500]) {
      if (!netpolAllows(b, 'egress', pod, { namespace: 'dapr-system', labels: {} }, port)) fail(ref(d), `no egress to dapr-system on ${port} (Sentry 50001, operator 6500)`)
    }
    if (!netpolAllows(b, 'egress', pod, { ip: vpcIp }, 6379)) fail(ref(d), 'no egress to the cache on 6379')
  }
  return issues
}

/**
 * The apps' own /metrics: scraped by annotation, on METRICS_PORT (a declared container port
 * other than the app port, so the NLB never exposes it), open to the monitoring namespace and
 * closed to the VPC.
 */
export function checkMetrics (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  const vpcIp = firstIp(b.cluster?.vpc?.cidr)
  for (const d of deployments(b)) {
    const fail = (message: string): void => { issues.push({ check: 'METRICS', where: ref(d), message }) }
    const ann = annotations(d)
    const c = appContainer(d)
    if (ann['prometheus.io/scrape'] !== 'true') fail('prometheus.io/scrape must be "true"')
    if (ann['prometheus.io/path'] !== '/metrics') fail(`prometheus.io/path ${ann['prometheus.io/path']} is not /metrics`)
    const port = Number(ann['prometheus.io/port'])
    const env = envOf(c, 'METRICS_PORT')?.value
    if (resolvePort(c, port) === undefined) fail(`prometheus.io/port ${ann['prometheus.io/port']} is not a declared containerPort`)
    if (env !== ann['prometheus.io/port']) fail(`METRICS_PORT ${env} differs from prometheus.io/port ${ann['prometheus.io/port']}`)
    if (String(port) === ann['dapr.io/app-port']) fail(`metrics port ${port} is the app port; /metrics must stay off the port the NLB forwards`)
    if (!netpolAllows(b, 'ingress', podLabels(d), { namespace: 'monitoring', labels: {} }, port)) fail(`Prometheus in namespace monitoring cannot reach /metrics on ${port}`)
    if (netpolAllows(b, 'ingress', podLabels(d), { ip: vpcIp }, port)) fail(`metrics port ${port} is open to the VPC (the NLB)`)
  }
  return issues
}

export function checkNamespace (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  const ns = b.kustomization?.namespace
  const fail = (where: string, message: string): void => { issues.push({ check: 'NAMESPACE', where, message }) }
  if (ns !== NAMESPACE) fail('manifests/kustomization.yaml', `namespace must be ${NAMESPACE}`)
  const nsObj = ofKind(b.rendered, 'Namespace').find((n) => n?.metadata?.name === ns)
  const labels = nsObj?.metadata?.labels ?? {}
  if (!nsObj) fail('manifests/namespace.yaml', `no Namespace ${ns}`)
  else {
    if (labels['pod-security.kubernetes.io/enforce'] !== 'restricted') fail(ref(nsObj), 'pod-security.kubernetes.io/enforce must be restricted')
    if (labels['elbv2.k8s.aws/pod-readiness-gate-inject'] !== 'enabled') fail(ref(nsObj), 'elbv2.k8s.aws/pod-readiness-gate-inject must be enabled')
  }
  for (const o of b.rendered.filter((x) => x?.kind !== 'Namespace')) {
    if (o?.metadata?.namespace !== ns) fail(ref(o), `namespace ${o?.metadata?.namespace} is not ${ns}`)
  }
  return issues
}

export function checkServiceAccounts (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  const sas = ofKind(b.rendered, 'ServiceAccount')
  for (const sa of sas) {
    if (sa?.automountServiceAccountToken !== false) issues.push({ check: 'SERVICEACCOUNT', where: ref(sa), message: 'automountServiceAccountToken must be false' })
  }
  const used = new Set<string>()
  for (const d of deployments(b)) {
    const name = podSpec(d).serviceAccountName
    if (!sas.some((sa) => sa?.metadata?.name === name)) issues.push({ check: 'SERVICEACCOUNT', where: ref(d), message: `serviceAccountName ${name} is not a rendered ServiceAccount` })
    if (used.has(name)) issues.push({ check: 'SERVICEACCOUNT', where: ref(d), message: `ServiceAccount ${name} is shared; give each app its own identity` })
    used.add(name)
  }
  return issues
}

/** Every Secret the manifests reference, with the keys read from it. */
function referencedSecrets (b: DeployBundle): Map<string, Set<string>> {
  const refs = new Map<string, Set<string>>()
  const add = (name: unknown, key: unknown): void => {
    if (typeof name !== 'string' || typeof key !== 'string') return
    const keys = refs.get(name) ?? new Set<string>()
    keys.add(key)
    refs.set(name, keys)
  }
  for (const c of components(b)) for (const m of arr(c?.spec?.metadata)) add(m?.secretKeyRef?.name, m?.secretKeyRef?.key)
  for (const d of deployments(b)) {
    const ann = annotations(d)
    // The injector reads the fixed key `token` from both token Secrets.
    add(ann['dapr.io/api-token-secret'], 'token')
    add(ann['dapr.io/app-token-secret'], 'token')
    for (const c of containers(d)) for (const e of arr(c?.env)) add(e?.valueFrom?.secretKeyRef?.name, e?.valueFrom?.secretKeyRef?.key)
  }
  return refs
}

export function checkSecrets (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  const fail = (where: string, message: string): void => { issues.push({ check: 'SECRETS', where, message }) }
  for (const s of ofKind(b.rendered, 'Secret')) fail(ref(s), 'Secrets must not be rendered from git; create them with kubectl')
  if (arr(b.kustomization?.resources).some((r) => String(r).includes('secrets.example'))) fail('manifests/kustomization.yaml', 'secrets.example.yaml must not be a resource')
  const example = new Map<string, Json>(ofKind(b.secretsExample, 'Secret').map((s) => [s?.metadata?.name, s]))
  for (const [name, keys] of referencedSecrets(b)) {
    const s = example.get(name)
    if (!s) {
      fail('manifests/secrets.example.yaml', `Secret ${name} is referenced but has no example`)
      continue
    }
    if (s?.metadata?.namespace !== NAMESPACE) fail(ref(s), `namespace must be ${NAMESPACE}`)
    const have = new Set(Object.keys({ ...(s.data ?? {}), ...(s.stringData ?? {}) }))
    for (const k of keys) if (!have.has(k)) fail(ref(s), `key ${k} is read by the manifests but missing from the example`)
  }
  return issues
}

// ---------------------------------------------------------------------------------------------
// Cross-file: dapr.yaml, local components, Deployments, ACL, Resiliency, Dockerfile
// ---------------------------------------------------------------------------------------------

const sameSet = (a: Iterable<unknown>, b: Iterable<unknown>): boolean => {
  const x = new Set(a)
  const y = new Set(b)
  return x.size === y.size && [...x].every((v) => y.has(v))
}
const list = (s: Iterable<unknown>): string => [...new Set(s)].sort().join(', ')

export function checkCrossAppIds (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  const runIds = runFileApps(b).map((a) => a?.appID)
  const deployIds = deployments(b).map(appIdOf)
  const fail = (where: string, message: string): void => { issues.push({ check: 'CROSS_APP_IDS', where, message }) }
  if (!sameSet(runIds, deployIds)) fail('dapr.yaml', `app ids ${list(runIds)} differ from the Deployments' ${list(deployIds)}`)
  for (const o of [...components(b), ...resiliencies(b), ...b.localDapr.map((d) => d.obj)]) {
    if (o?.scopes !== undefined && !sameSet(o.scopes, deployIds)) fail(ref(o), `scopes ${list(o.scopes)} differ from the app ids ${list(deployIds)}`)
  }
  for (const d of deployments(b)) {
    if (appContainer(d)?.name !== appIdOf(d)) fail(ref(d), `the app container should be named after the app id ${appIdOf(d)}`)
  }
  return issues
}

export function checkCrossPorts (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  for (const app of runFileApps(b)) {
    const d = deployments(b).find((x) => appIdOf(x) === app?.appID)
    if (!d) continue
    const appPort = annotations(d)['dapr.io/app-port']
    if (app.appPort !== undefined && String(app.appPort) !== appPort) issues.push({ check: 'CROSS_PORTS', where: 'dapr.yaml', message: `${app.appID}: appPort ${app.appPort} but dapr.io/app-port ${appPort}` })
    const envPort = app.env?.PORT ?? b.runFile?.common?.env?.PORT
    if (envPort !== undefined && String(envPort) !== appPort) issues.push({ check: 'CROSS_PORTS', where: 'dapr.yaml', message: `${app.appID}: env PORT ${envPort} but dapr.io/app-port ${appPort}` })
  }
  return issues
}

export function checkCrossConfig (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  for (const d of deployments(b)) {
    const name = annotations(d)['dapr.io/config']
    if (!configFor(b, d)) issues.push({ check: 'CROSS_CONFIG', where: ref(d), message: `dapr.io/config ${name} is not a rendered Configuration` })
  }
  const local = b.localConfigFile
  if (!local || local.obj?.kind !== 'Configuration') issues.push({ check: 'CROSS_CONFIG', where: 'dapr.yaml', message: `configFilePath ${b.runFile?.common?.configFilePath} is not a Configuration under components/` })
  else if (local.obj?.spec?.accessControl !== undefined) issues.push({ check: 'CROSS_CONFIG', where: local.file, message: 'the local Configuration must have no accessControl (no Sentry locally, so deny would block every call)' })
  return issues
}

export function checkCrossComponentNames (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  const k8s = components(b).map((c) => c?.metadata?.name)
  const local = b.localDapr.filter((d) => d.obj?.kind === 'Component')
  for (const l of local) {
    if (!k8s.includes(l.obj?.metadata?.name)) issues.push({ check: 'CROSS_COMPONENT_NAMES', where: l.file, message: `local component ${l.obj?.metadata?.name} has no EKS counterpart (${list(k8s)})` })
  }
  const envName = b.runFile?.common?.env?.STATE_STORE_NAME
  if (envName !== undefined && !k8s.includes(envName)) issues.push({ check: 'CROSS_COMPONENT_NAMES', where: 'dapr.yaml', message: `STATE_STORE_NAME ${envName} is not an EKS component (${list(k8s)})` })
  for (const d of deployments(b)) {
    const v = envOf(appContainer(d), 'STATE_STORE_NAME')?.value
    if (v !== undefined && envName !== undefined && v !== envName) issues.push({ check: 'CROSS_COMPONENT_NAMES', where: ref(d), message: `STATE_STORE_NAME ${v} differs from dapr.yaml's ${envName}` })
  }
  return issues
}

export function checkCrossResiliencyTargets (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  const callees = new Set(invocations(b).map((i) => i.callee))
  const names = new Set(components(b).map((c) => c?.metadata?.name))
  for (const r of resiliencies(b)) {
    const apps = Object.keys(r?.spec?.targets?.apps ?? {})
    const comps = Object.keys(r?.spec?.targets?.components ?? {})
    for (const a of apps) if (!callees.has(a)) issues.push({ check: 'CROSS_RESILIENCY_TARGETS', where: ref(r), message: `targets.apps.${a} is not an app that anything invokes` })
    for (const c of callees) if (!apps.includes(c)) issues.push({ check: 'CROSS_RESILIENCY_TARGETS', where: ref(r), message: `invocations of ${c} have no resiliency target` })
    for (const c of comps) if (!names.has(c)) issues.push({ check: 'CROSS_RESILIENCY_TARGETS', where: ref(r), message: `targets.components.${c} is not a Component` })
    for (const n of names) if (!comps.includes(n)) issues.push({ check: 'CROSS_RESILIENCY_TARGETS', where: ref(r), message: `component ${n} has no resiliency target` })
  }
  return issues
}

export function checkCrossUid (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  const user = finalStage(parseDockerfile(b.dockerfile)).filter((i) => i.keyword === 'USER').at(-1)?.args
  const [uid, gid] = (user ?? '').split(':').map(Number)
  for (const d of deployments(b)) {
    const psc = podSpec(d).securityContext ?? {}
    if (psc.runAsUser !== uid || (gid !== undefined && psc.runAsGroup !== gid)) {
      issues.push({ check: 'CROSS_UID', where: ref(d), message: `runAsUser/runAsGroup ${psc.runAsUser}/${psc.runAsGroup} differ from the Dockerfile's USER ${user}` })
    }
  }
  return issues
}

// ---------------------------------------------------------------------------------------------
// manifests/cluster: eksctl, Dapr and load balancer controller Helm values
// ---------------------------------------------------------------------------------------------

export function daprVersion (b: DeployBundle): string | undefined {
  const tag = b.daprValues?.global?.tag
  return typeof tag === 'string' ? tag : undefined
}

export function checkCluster (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  const fail = (where: string, message: string): void => { issues.push({ check: 'CLUSTER', where: `manifests/cluster/${where}`, message }) }
  const c = b.cluster
  const addons = arr(c?.addons)
  const cni = addons.find((a) => a?.name === 'vpc-cni')
  if (!/enableNetworkPolicy:\s*"true"/.test(String(cni?.configurationValues ?? ''))) fail('cluster.yaml', 'vpc-cni must run with enableNetworkPolicy "true" or NetworkPolicies are not enforced')
  if (!addons.some((a) => a?.name === 'eks-pod-identity-agent')) fail('cluster.yaml', 'the eks-pod-identity-agent add-on is required for Pod Identity associations')
  const saName = b.lbcValues?.serviceAccount?.name
  const assoc = arr(c?.iam?.podIdentityAssociations).find((p) => p?.namespace === 'kube-system' && p?.serviceAccountName === saName)
  if (!assoc || assoc.wellKnownPolicies?.awsLoadBalancerController !== true) fail('cluster.yaml', `no Pod Identity association for kube-system/${saName} with the load balancer controller policy`)
  if (b.lbcValues?.serviceAccount?.create !== false) fail('aws-load-balancer-controller-values.yaml', 'serviceAccount.create must be false (eksctl creates it with the association)')
  if (b.lbcValues?.clusterName !== c?.metadata?.name) fail('aws-load-balancer-controller-values.yaml', `clusterName ${b.lbcValues?.clusterName} differs from cluster.yaml's ${c?.metadata?.name}`)
  if (b.lbcValues?.region !== c?.metadata?.region) fail('aws-load-balancer-controller-values.yaml', 'region differs from cluster.yaml')
  for (const np of ofKind(b.rendered, 'NetworkPolicy')) {
    for (const rule of [...arr(np?.spec?.ingress).flatMap((r) => arr(r?.from)), ...arr(np?.spec?.egress).flatMap((r) => arr(r?.to))]) {
      if (rule?.ipBlock !== undefined && rule.ipBlock.cidr !== c?.vpc?.cidr) fail('cluster.yaml', `${ref(np)} allows ${rule.ipBlock.cidr}, but the VPC is ${c?.vpc?.cidr}`)
    }
  }
  const pss = ofKind(b.rendered, 'Namespace')[0]?.metadata?.labels?.['pod-security.kubernetes.io/enforce-version']
  if (pss !== undefined && pss !== 'latest' && pss !== `v${c?.metadata?.version}`) fail('cluster.yaml', `Kubernetes ${c?.metadata?.version} but the namespace enforces Pod Security ${pss}`)
  const v = b.daprValues
  if (v?.global?.ha?.enabled !== true) fail('dapr-values.yaml', 'global.ha.enabled must be true')
  if (!/^1\.\d+\.\d+$/.test(daprVersion(b) ?? '')) fail('dapr-values.yaml', 'global.tag must pin one Dapr 1.x.y release')
  if (v?.dapr_sidecar_injector?.sidecarDropALLCapabilities !== true) fail('dapr-values.yaml', 'dapr_sidecar_injector.sidecarDropALLCapabilities must be true (restricted namespace)')
  if (v?.global?.mtls?.enabled === false) fail('dapr-values.yaml', 'mTLS must stay on (the ACL depends on it)')
  const sc = v?.dapr_scheduler?.cluster?.storageClassName
  if (!ofKind(b.clusterObjects, 'StorageClass').some((s) => s?.metadata?.name === sc)) fail('dapr-values.yaml', `scheduler storageClassName ${sc} is not defined in manifests/cluster`)
  return issues
}

// ---------------------------------------------------------------------------------------------
// Dockerfile and .dockerignore
// ---------------------------------------------------------------------------------------------

export interface Instruction { keyword: string, args: string, line: number }

/** Instructions with continuation lines joined; comments and parser directives dropped. */
export function parseDockerfile (text: string): Instruction[] {
  const out: Instruction[] = []
  let pending = ''
  let start = 0
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '')
    if (pending === '' && (/^\s*#/.test(line) || line.trim() === '')) return
    if (pending !== '' && /^\s*#/.test(line)) return
    if (pending === '') start = i + 1
    if (/\\\s*$/.test(line)) {
      pending += line.replace(/\\\s*$/, ' ')
      return
    }
    const full = (pending + line).trim()
    pending = ''
    const m = /^(\S+)\s*(.*)$/.exec(full)
    if (m) out.push({ keyword: (m[1] ?? '').toUpperCase(), args: (m[2] ?? '').trim(), line: start })
  })
  return out
}

function stages (ins: Instruction[]): Instruction[][] {
  const out: Instruction[][] = []
  for (const i of ins) {
    if (i.keyword === 'FROM') out.push([i])
    else out.at(-1)?.push(i)
  }
  return out
}

function finalStage (ins: Instruction[]): Instruction[] {
  return stages(ins).at(-1) ?? []
}

const runs = (stage: Instruction[]): string[] => stage.filter((i) => i.keyword === 'RUN').map((i) => i.args)

export function checkDockerfile (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  const ins = parseDockerfile(b.dockerfile)
  const fail = (check: CheckCode, line: number, message: string): void => { issues.push({ check, where: `Dockerfile:${line}`, message }) }
  const names = new Set<string>()
  const all = stages(ins)
  for (const stage of all) {
    const from = stage[0] as Instruction
    const parts = from.args.split(/\s+/).filter((p) => !p.startsWith('--'))
    const image = parts[0] ?? ''
    const alias = parts[1]?.toUpperCase() === 'AS' ? parts[2] : undefined
    if (!names.has(image)) {
      const tag = /:([^/@]+)(@|$)/.exec(image)?.[1]
      if (image.includes('$')) fail('DOCKERFILE_FROM', from.line, `FROM ${image}: use a literal, pinned image`)
      else if (!DIGEST.test(image) && (tag === undefined || !/^\d+\.\d+\.\d+/.test(tag))) fail('DOCKERFILE_FROM', from.line, `FROM ${image}: pin a full version tag (x.y.z) or a digest`)
      else if (/^(docker\.io\/(library\/)?)?node:/.test(image) && !/^24\./.test(tag ?? '')) fail('DOCKERFILE_FROM', from.line, `FROM ${image}: the services target Node 24`)
    }
    if (alias) names.add(alias)
  }
  const last = finalStage(ins)
  const users = last.filter((i) => i.keyword === 'USER')
  const user = users.at(-1)
  if (!user || !/^[1-9]\d*(:\d+)?$/.test(user.args)) fail('DOCKERFILE_USER', user?.line ?? 0, 'the final stage must end with a numeric non-root USER uid[:gid]')
  for (const i of ins.filter((x) => x.keyword === 'CMD' || x.keyword === 'ENTRYPOINT')) {
    let argv: unknown
    try { argv = JSON.parse(i.args) } catch { argv = undefined }
    if (!Array.isArray(argv) || argv.some((a) => typeof a !== 'string')) fail('DOCKERFILE_CMD', i.line, `${i.keyword} must be exec form (a JSON array), so node is PID 1 and gets SIGTERM`)
    else if (argv[0] !== 'node' || argv.some((a) => /^(npm|npx|yarn|pnpm)$/.test(a))) fail('DOCKERFILE_CMD', i.line, `${i.keyword} must run node directly, never npm`)
  }
  if (!last.some((i) => i.keyword === 'CMD')) fail('DOCKERFILE_CMD', 0, 'the final stage has no CMD')
  for (const i of ins.filter((x) => x.keyword === 'RUN')) {
    if (/\b(npm|pnpm)\s+(install|i|add)\b/.test(i.args)) fail('DOCKERFILE_NPM', i.line, 'use npm ci (lockfile-exact), not npm install')
  }
  const finalRuns = runs(last)
  if (!finalRuns.some((r) => /\bnpm ci\b.*--omit=dev/.test(r))) fail('DOCKERFILE_NPM', last[0]?.line ?? 0, 'the final stage must install production deps only (npm ci --omit=dev)')
  if (!finalRuns.some((r) => r.includes('/usr/local/lib/node_modules/npm'))) fail('DOCKERFILE_NPM', last[0]?.line ?? 0, 'the final stage must delete npm after installing (no npm at runtime)')
  if (finalRuns.some((r) => /\bnpm run\b/.test(r))) fail('DOCKERFILE_NPM', last[0]?.line ?? 0, 'the final stage must not build; build in an earlier stage')
  if (!all.slice(0, -1).some((s) => runs(s).some((r) => /\bnpm ci\b/.test(r) && !r.includes('--omit=dev')) && runs(s).some((r) => /\bnpm run build\b/.test(r)))) {
    fail('DOCKERFILE_NPM', 0, 'a build stage must run npm ci (with dev deps) and npm run build')
  }
  const arg = last.find((i) => i.keyword === 'ARG' && /^SERVICE(=|$)/.test(i.args))
  if (arg?.args !== 'SERVICE=order') fail('DOCKERFILE_SERVICE', arg?.line ?? 0, 'the final stage must declare ARG SERVICE=order')
  // The literal Dockerfile text `dist/${SERVICE}/server.js` (split so it is not read as a template).
  const entry = 'dist/$' + '{SERVICE}/server.js'
  if (!finalRuns.some((r) => r.includes(entry))) fail('DOCKERFILE_SERVICE', arg?.line ?? 0, `the image must run ${entry}`)
  return issues
}

function globToRegExp (pattern: string): RegExp {
  let re = ''
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string
    if (ch === '*' && pattern[i + 1] === '*') {
      re += '.*'
      i++
    } else if (ch === '*') re += '[^/]*'
    else if (ch === '?') re += '[^/]'
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`)
}

/** Whether the build context drops `file`, with Docker's rules: last match wins, parents count. */
export function dockerIgnored (dockerignore: string, file: string): boolean {
  const rules = dockerignore.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => ({ negate: l.startsWith('!'), re: globToRegExp(path.posix.normalize(l.replace(/^!/, '')).replace(/^\/|\/$/g, '')) }))
  const parts = file.split('/')
  let ignored = false
  // A rule matching a parent directory applies to everything below it, unless a later rule
  // re-includes a path further down.
  for (let n = 1; n <= parts.length; n++) {
    const prefix = parts.slice(0, n).join('/')
    for (const r of rules) if (r.re.test(prefix)) ignored = !r.negate
  }
  return ignored
}

export function checkDockerignore (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  const ins = parseDockerfile(b.dockerfile)
  for (const i of ins.filter((x) => (x.keyword === 'COPY' || x.keyword === 'ADD') && !/--from=/.test(x.args))) {
    const srcs = i.args.split(/\s+/).filter((p) => !p.startsWith('--')).slice(0, -1)
    for (const s of srcs) {
      const probe = s.replace(/\/$/, '') + (s.includes('.') ? '' : '/x.ts')
      if (dockerIgnored(b.dockerignore, probe)) issues.push({ check: 'DOCKERIGNORE', where: '.dockerignore', message: `COPY ${s} (Dockerfile:${i.line}) is excluded from the build context` })
    }
  }
  for (const f of ['node_modules/x/index.js', '.git/config', 'dist/order/server.js', 'test/a.test.ts', '.env', 'coverage/x', '.dapr/logs/x.log']) {
    if (!dockerIgnored(b.dockerignore, f)) issues.push({ check: 'DOCKERIGNORE', where: '.dockerignore', message: `${f} would be sent to the build context` })
  }
  return issues
}

// ---------------------------------------------------------------------------------------------
// docs/deploy-eks.md: the commands must name what the files define
// ---------------------------------------------------------------------------------------------

export function checkDocs (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  const docs = b.docs
  const need = (text: string, why: string): void => {
    if (!docs.includes(text)) issues.push({ check: 'DOCS', where: 'docs/deploy-eks.md', message: `missing \`${text}\` (${why})` })
  }
  need('eksctl create cluster -f manifests/cluster/cluster.yaml', 'create the cluster from the committed ClusterConfig')
  need(`helm upgrade --install dapr dapr/dapr --version ${daprVersion(b)}`, 'install the Dapr version dapr-values.yaml pins')
  need('-f manifests/cluster/dapr-values.yaml', 'use the committed Dapr values')
  need('-f manifests/cluster/aws-load-balancer-controller-values.yaml', 'use the committed controller values')
  need('kubectl apply -f manifests/cluster/storageclass-gp3.yaml', 'the Dapr scheduler needs its StorageClass')
  need('kubectl apply -k manifests', 'deploy with kustomize')
  need(`--namespace ${NAMESPACE}`, 'commands address the app namespace')
  for (const v of docs.matchAll(/dapr\/dapr --version (\S+)/g)) {
    if (v[1] !== daprVersion(b)) issues.push({ check: 'DOCS', where: 'docs/deploy-eks.md', message: `installs Dapr ${v[1]}, dapr-values.yaml pins ${daprVersion(b)}` })
  }
  for (const s of ofKind(b.secretsExample, 'Secret')) {
    const name = s?.metadata?.name
    const cmd = new RegExp(`kubectl --namespace ${NAMESPACE} create secret generic ${name}((?:\\\\\\n|[^\\n])*)`).exec(docs)
    if (!cmd) {
      issues.push({ check: 'DOCS', where: 'docs/deploy-eks.md', message: `no \`kubectl --namespace ${NAMESPACE} create secret generic ${name}\`` })
      continue
    }
    for (const k of Object.keys({ ...(s.data ?? {}), ...(s.stringData ?? {}) })) {
      if (!(cmd[1] ?? '').includes(`--from-literal=${k}=`)) issues.push({ check: 'DOCS', where: 'docs/deploy-eks.md', message: `secret ${name} is created without key ${k}` })
    }
  }
  for (const i of arr(b.kustomization?.images)) {
    const service = String(i?.name).split('/').at(-1)
    need(`--build-arg SERVICE=${service}`, `build the ${service} image`)
    need(`orders-on-dapr/${service}:`, `push the ${service} image under the name kustomization.yaml expects`)
  }
  const lb = ofKind(b.rendered, 'Service').find((s) => s?.spec?.type === 'LoadBalancer')
  need(`service ${lb?.metadata?.name}`, 'find the NLB address of the Service the manifests define')
  need('-c daprd', 'read the sidecar logs')
  need('dapr-api-token:', 'writes through the NLB need the app token')
  return issues
}

// ---------------------------------------------------------------------------------------------
// All checks
// ---------------------------------------------------------------------------------------------

/** Every check, in the order they run; each returns issues tagged with its code(s). */
export const CHECKS: Record<string, (b: DeployBundle) => Issue[]> = {
  k8sSchema: checkK8sSchema,
  k8sUnknownFields: checkK8sUnknownFields,
  daprSchema: checkDaprSchema,
  daprMetadataNames: checkDaprMetadataNames,
  secretPlainValues: checkSecretPlainValues,
  stateStore: checkStateStore,
  configurations: checkConfigurations,
  acl: checkAcl,
  retryPolicies: checkRetryPolicies,
  resiliencyRefs: checkResiliencyRefs,
  daprAnnotations: checkDaprAnnotations,
  probes: checkProbes,
  resources: checkResources,
  security: checkSecurity,
  shutdown: checkShutdown,
  spread: checkSpread,
  images: checkImages,
  workloadEnv: checkWorkloadEnv,
  services: checkServices,
  pdbHpa: checkPdbHpa,
  networkPolicies: checkNetworkPolicies,
  metrics: checkMetrics,
  namespace: checkNamespace,
  serviceAccounts: checkServiceAccounts,
  secrets: checkSecrets,
  crossAppIds: checkCrossAppIds,
  crossPorts: checkCrossPorts,
  crossConfig: checkCrossConfig,
  crossComponentNames: checkCrossComponentNames,
  crossResiliencyTargets: checkCrossResiliencyTargets,
  crossUid: checkCrossUid,
  cluster: checkCluster,
  dockerfile: checkDockerfile,
  dockerignore: checkDockerignore,
  docs: checkDocs
}

/**
 * Runs every check over a loaded bundle.
 * @example
 * const issues = validateBundle(await loadBundle())
 * if (issues.length > 0) console.error(issues)
 */
export function validateBundle (b: DeployBundle): Issue[] {
  return Object.values(CHECKS).flatMap((check) => check(b))
}

async function main (): Promise<void> {
  const started = Date.now()
  let issues: Issue[]
  try {
    issues = validateBundle(await loadBundle())
  } catch (err) {
    const code = err instanceof ValidateError ? err.code : 'ERROR'
    process.stderr.write(`${code}: ${(err as Error).message}\n`)
    process.exit(1)
  }
  for (const i of issues) process.stderr.write(`${i.check} ${i.where}: ${i.message}\n`)
  process.stdout.write(`${issues.length} issue(s), ${Object.keys(CHECKS).length} checks, ${Date.now() - started} ms\n`)
  process.exit(issues.length === 0 ? 0 : 1)
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main()
