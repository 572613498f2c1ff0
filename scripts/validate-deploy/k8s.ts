// Kubernetes objects: kubernetes-models (types, formats, required), unknown fields (the
// kubernetes-models TypeScript interfaces), the namespace, ServiceAccounts and Secrets.
import path from 'node:path'
import ts from 'typescript'
import { Namespace } from 'kubernetes-models/v1/Namespace'
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount'
import { Service } from 'kubernetes-models/v1/Service'
import { Secret } from 'kubernetes-models/v1/Secret'
import { Deployment } from 'kubernetes-models/apps/v1/Deployment'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget'
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler'
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy'
import { StorageClass } from 'kubernetes-models/storage.k8s.io/v1/StorageClass'
import { NAMESPACE, repoRoot, type DeployBundle, type Issue, type Json } from './bundle.js'
import { annotations, arr, components, containers, deployments, isDapr, ofKind, podSpec, ref } from './util.js'

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
      const key = keys[Number(node.name.text.slice(1))] as string
      const type = checker.getTypeAtLocation(node.name)
      // An unresolved import gives `any`; that would silently accept everything.
      if (!(type.flags & ts.TypeFlags.Any)) roots.set(key, type)
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
