// Bundle loading: reads and parses everything the deploy checks look at (the kustomize render
// of manifests/, the eksctl and Helm inputs, dapr.yaml, the local components, the Dockerfile and
// the walkthrough) into one DeployBundle. Every check module reads only this bundle.
import { execFile } from 'node:child_process'
import { readFile, readdir } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseAllDocuments } from 'yaml'

// YAML-derived data is untyped JSON; every check guards what it reads.
export type Json = any

export type CheckCode =
  | 'YAML_PARSE' | 'KUSTOMIZE_BUILD'
  | 'K8S_SCHEMA' | 'K8S_UNKNOWN_FIELD' | 'K8S_UNKNOWN_KIND'
  | 'DAPR_SCHEMA' | 'DAPR_METADATA_NAME' | 'DAPR_METADATA_FORMAT' | 'DAPR_STATESTORE' | 'DAPR_CONFIG' | 'DAPR_ACL'
  | 'DAPR_RETRY_POLICY' | 'DAPR_RESILIENCY_REF' | 'SECRET_PLAIN_VALUE'
  | 'DAPR_ANNOTATION_KEY' | 'DAPR_ANNOTATION_VALUE' | 'DAPR_ANNOTATION_FORMAT' | 'DAPR_ANNOTATION_REQUIRED'
  | 'RISKY_VALUE' | 'SIDECAR_RESOURCES'
  | 'POD_PROBES' | 'POD_RESOURCES' | 'POD_SECURITY' | 'POD_SHUTDOWN' | 'POD_SPREAD'
  | 'IMAGE_PINNED' | 'WORKLOAD_ENV' | 'SERVICE_NLB' | 'SERVICE_ANNOTATION' | 'PDB_HPA' | 'NETPOL' | 'METRICS' | 'NAMESPACE' | 'SERVICEACCOUNT'
  | 'SECRETS' | 'CROSS_APP_IDS' | 'CROSS_PORTS' | 'CROSS_CONFIG' | 'CROSS_COMPONENT_NAMES'
  | 'CROSS_RESILIENCY_TARGETS' | 'CROSS_UID' | 'CROSS_OTEL' | 'CROSS_TRUST_DOMAIN'
  | 'CLUSTER' | 'CLUSTER_ZONES' | 'EKSCTL_KEYS' | 'HELM_KEYS'
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
  /** README.md: its deploy section and curl lines must agree with the walkthrough. */
  readme: string
}

const here = path.dirname(fileURLToPath(import.meta.url))
export const repoRoot = path.resolve(here, '..', '..')

/** The namespace every app object lives in. */
export const NAMESPACE = 'orders'
/** close-with-grace's default delay: how long the app may take to drain after SIGTERM,
 * unless the container sets CLOSE_GRACE_DELAY_MS. */
export const APP_CLOSE_DELAY_S = 10

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
    docs: await text('docs/deploy-eks.md'),
    readme: await text('README.md')
  }
}
