// Dapr pod annotations: known keys, string values, the project's required values, each value's
// format as the 1.18.3 injector and daprd parse it, risky values (the Dapr API or the app
// channel beyond loopback, debug endpoints, app health timeouts in the wrong unit) and the
// sidecar's resources (request <= limit, GOMEMLIMIT under the memory limit).
import type { DeployBundle, Issue, Json } from './bundle.js'
import { APP_PROTOCOLS, DAPR_ANNOTATIONS, DAPR_VERSION, LOG_LEVELS, SECCOMP_TYPES } from './facts.js'
import { goDurationMs, isGoInt, isLoopback, kitBool, parseEnvList, quantity } from './formats.js'
import { annotations, deployments, ref } from './util.js'

/** Annotation -> a predicate its value must satisfy (the format check runs separately). */
const REQUIRED_ANNOTATIONS: Record<string, (v: string, d: Json) => boolean> = {
  'dapr.io/enabled': (v) => v === 'true',
  'dapr.io/app-id': (v, d) => v === d?.metadata?.name,
  'dapr.io/app-port': (v) => v !== '',
  'dapr.io/config': (v) => v !== '',
  'dapr.io/api-token-secret': (v) => v !== '',
  'dapr.io/app-token-secret': (v) => v !== '',
  'dapr.io/enable-app-health-check': (v) => v === 'true',
  'dapr.io/app-health-check-path': (v) => v === '/healthz',
  'dapr.io/sidecar-cpu-request': (v) => v !== '',
  'dapr.io/sidecar-cpu-limit': (v) => v !== '',
  'dapr.io/sidecar-memory-request': (v) => v !== '',
  'dapr.io/sidecar-memory-limit': (v) => v !== '',
  'dapr.io/graceful-shutdown-seconds': (v) => v !== '',
  'dapr.io/placement-host-address': (v) => v === '',
  'dapr.io/scheduler-host-address': (v) => v === '',
  'dapr.io/log-as-json': (v) => v === 'true',
  'dapr.io/enable-api-logging': (v) => v === 'true'
}

/** String annotations (Dapr-typed or not) of each Deployment's pod template, with the Deployment. */
function daprAnnotations (b: DeployBundle): Array<{ d: Json, ann: Record<string, string> }> {
  return deployments(b).map((d) => ({
    d,
    ann: Object.fromEntries(Object.entries(annotations(d)).filter((e): e is [string, string] => e[0].startsWith('dapr.io/') && typeof e[1] === 'string'))
  }))
}

export function checkDaprAnnotations (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  for (const d of deployments(b)) {
    const ann = annotations(d)
    for (const [k, v] of Object.entries(ann)) {
      if (!k.startsWith('dapr.io/')) continue
      if (DAPR_ANNOTATIONS[k] === undefined) issues.push({ check: 'DAPR_ANNOTATION_KEY', where: ref(d), message: `${k} is not a Dapr ${DAPR_VERSION} annotation (the injector ignores it silently)` })
      if (typeof v !== 'string') issues.push({ check: 'DAPR_ANNOTATION_VALUE', where: ref(d), message: `${k} must be a string, got ${typeof v} ${JSON.stringify(v)}` })
    }
    for (const [k, ok] of Object.entries(REQUIRED_ANNOTATIONS)) {
      const v = ann[k]
      if (v === undefined) issues.push({ check: 'DAPR_ANNOTATION_REQUIRED', where: ref(d), message: `${k} is missing` })
      else if (typeof v === 'string' && !ok(v, d)) issues.push({ check: 'DAPR_ANNOTATION_REQUIRED', where: ref(d), message: `${k}: ${JSON.stringify(v)} is not the expected value` })
    }
  }
  return issues
}

/** Why `value` is not a valid `kind` value for daprd, or undefined when it is. */
export function formatProblem (kind: string, value: string): string | undefined {
  switch (kind) {
    case 'bool':
      // dapr/kit reads every unknown spelling as false; "ture" would silently turn a feature off.
      return kitBool(value) === undefined || !/^(true|false)$/.test(value) ? 'must be "true" or "false"' : undefined
    case 'int':
      return isGoInt(value) ? undefined : 'must be an integer (the injector logs and ignores anything else)'
    case 'port':
      return /^\d+$/.test(value) && Number(value) > 0 && Number(value) < 65536 ? undefined : 'must be a port number 1-65535'
    case 'seconds':
      return /^\d+$/.test(value) ? undefined : 'must be a whole number of seconds, without a unit'
    case 'milliseconds':
      if (!/^\d+$/.test(value)) return 'must be a whole number of milliseconds, without a unit'
      return Number(value) < 100 ? `is ${value} ms; daprd reads milliseconds here, not seconds` : undefined
    case 'duration':
      return goDurationMs(value) === undefined ? 'must be a Go duration with a unit, such as 25s (daprd will not start)' : undefined
    case 'quantity':
      return quantity(value) === undefined ? 'must be a Kubernetes quantity such as 300m or 1000Mi' : undefined
    case 'env':
    case 'envFromSecret': {
      const { pairs, problems } = parseEnvList(value)
      if (pairs.length === 0 && problems.length === 0) return 'is empty'
      return problems.length > 0 ? problems.join('; ') : undefined
    }
    case 'addresses':
      return value.split(',').some((a) => a.trim() === '') ? 'must be a comma-separated list of addresses' : undefined
    case 'address':
      return value.trim() === '' || /[\s,]/.test(value) ? 'must be one host or address' : undefined
    case 'protocol':
      return APP_PROTOCOLS.includes(value) ? undefined : `must be one of ${APP_PROTOCOLS.join(', ')}`
    case 'logLevel':
      return LOG_LEVELS.includes(value) ? undefined : `must be one of ${LOG_LEVELS.join(', ')}`
    case 'seccomp':
      return SECCOMP_TYPES.includes(value) ? undefined : `must be one of ${SECCOMP_TYPES.join(', ')}`
    default:
      return undefined
  }
}

/** Each dapr.io/* value in the format daprd parses it (Go durations, milliseconds, booleans, quantities, k=v lists). */
export function checkAnnotationFormats (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  for (const { d, ann } of daprAnnotations(b)) {
    for (const [k, v] of Object.entries(ann)) {
      const kind = DAPR_ANNOTATIONS[k]
      const problem = kind === undefined ? undefined : formatProblem(kind, v)
      if (problem !== undefined) issues.push({ check: 'DAPR_ANNOTATION_FORMAT', where: ref(d), message: `${k} "${v}" ${problem}` })
    }
  }
  return issues
}

/** Values that open the sidecar or the app channel beyond the pod, or turn on debug endpoints. */
export function checkAnnotationRisks (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  for (const { d, ann } of daprAnnotations(b)) {
    const fail = (message: string): void => { issues.push({ check: 'RISKY_VALUE', where: ref(d), message }) }
    const listen = ann['dapr.io/sidecar-listen-addresses']
    if (listen !== undefined && !listen.split(',').every(isLoopback)) {
      fail(`dapr.io/sidecar-listen-addresses "${listen}" exposes the Dapr API (with the API token in every call) on the pod IP; keep the default [::1],127.0.0.1`)
    }
    const channel = ann['dapr.io/app-channel-address']
    if (channel !== undefined && !isLoopback(channel)) fail(`dapr.io/app-channel-address "${channel}" sends the app token off the pod; daprd must call the app on loopback`)
    for (const k of ['dapr.io/enable-debug', 'dapr.io/enable-profiling', 'dapr.io/app-ssl']) {
      if (ann[k] !== undefined && kitBool(ann[k]) === true) fail(`${k} is on; never in production`)
    }
    if (ann['dapr.io/app-protocol'] === 'h2c' || ann['dapr.io/app-protocol'] === 'grpc') fail(`dapr.io/app-protocol ${ann['dapr.io/app-protocol']} does not match the apps (HTTP/1.1)`)
    const interval = Number(ann['dapr.io/app-health-probe-interval'] ?? 5)
    const timeout = Number(ann['dapr.io/app-health-probe-timeout'] ?? 500)
    if (timeout >= interval * 1000) fail(`dapr.io/app-health-probe-timeout ${timeout} ms is not shorter than the probe interval ${interval} s`)
  }
  return issues
}

/** The sidecar's requests do not exceed its limits, and GOMEMLIMIT (dapr.io/env) stays under the memory limit. */
export function checkSidecarResources (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  for (const { d, ann } of daprAnnotations(b)) {
    const fail = (message: string): void => { issues.push({ check: 'SIDECAR_RESOURCES', where: ref(d), message }) }
    for (const r of ['cpu', 'memory']) {
      const req = quantity(ann[`dapr.io/sidecar-${r}-request`] ?? '')
      const lim = quantity(ann[`dapr.io/sidecar-${r}-limit`] ?? '')
      if (req !== undefined && lim !== undefined && req > lim) fail(`sidecar ${r} request ${ann[`dapr.io/sidecar-${r}-request`]} exceeds its limit ${ann[`dapr.io/sidecar-${r}-limit`]} (the pod is rejected)`)
    }
    const memLimit = quantity(ann['dapr.io/sidecar-memory-limit'] ?? '')
    const gomem = parseEnvList(ann['dapr.io/env'] ?? '').pairs.find(([k]) => k === 'GOMEMLIMIT')?.[1]
    if (gomem !== undefined && memLimit !== undefined) {
      // Go's GOMEMLIMIT takes B, KiB, MiB, GiB, TiB suffixes.
      const m = /^(\d+)(B|KiB|MiB|GiB|TiB)?$/.exec(gomem)
      const bytes = m ? Number(m[1]) * 1024 ** ['B', 'KiB', 'MiB', 'GiB', 'TiB'].indexOf(m[2] ?? 'B') : undefined
      if (bytes === undefined) fail(`GOMEMLIMIT "${gomem}" is not a Go memory limit (a number with B, KiB, MiB, GiB or TiB)`)
      else if (bytes >= memLimit) fail(`GOMEMLIMIT ${gomem} is not below the sidecar memory limit ${ann['dapr.io/sidecar-memory-limit']}`)
    }
  }
  return issues
}
