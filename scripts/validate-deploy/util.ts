// Small helpers over the bundle that several check modules share: object lookup, a Deployment's
// pod template, labels and selectors, ports, env, and who invokes whom.
import type { DeployBundle, Json } from './bundle.js'
import { goDurationMs } from './formats.js'

export const isRecord = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v)
export const arr = (v: unknown): Json[] => Array.isArray(v) ? v : []
export const ref = (o: Json): string => `${o?.kind ?? '?'}/${o?.metadata?.name ?? '?'}`
export const isDapr = (o: Json): boolean => typeof o?.apiVersion === 'string' && o.apiVersion.startsWith('dapr.io/')
export const ofKind = (objs: Json[], kind: string): Json[] => objs.filter((o) => o?.kind === kind)

export function deployments (b: DeployBundle): Json[] {
  return ofKind(b.rendered, 'Deployment')
}

export function annotations (d: Json): Record<string, Json> {
  const a = d?.spec?.template?.metadata?.annotations
  return isRecord(a) ? a : {}
}

export function appIdOf (d: Json): string | undefined {
  const id = annotations(d)['dapr.io/app-id']
  return typeof id === 'string' ? id : undefined
}

export function podSpec (d: Json): Json {
  return d?.spec?.template?.spec ?? {}
}

export function containers (d: Json): Json[] {
  return arr(podSpec(d).containers)
}

/** The app container: the one named after the app id, else the first. */
export function appContainer (d: Json): Json {
  const cs = containers(d)
  return cs.find((c) => c?.name === appIdOf(d)) ?? cs[0] ?? {}
}

export function envOf (c: Json, name: string): Json {
  return arr(c?.env).find((e) => e?.name === name)
}

/** Pod labels as they will be at run time: template labels plus what the Dapr injector adds. */
export function podLabels (d: Json): Record<string, string> {
  const labels = { ...(d?.spec?.template?.metadata?.labels ?? {}) }
  const id = appIdOf(d)
  if (id !== undefined) {
    labels['dapr.io/app-id'] = id
    labels['dapr.io/sidecar-injected'] = 'true'
  }
  return labels
}

/** Whether a Kubernetes label selector (matchLabels and matchExpressions) selects `labels`. */
export function matchLabels (selector: Json, labels: Record<string, string>): boolean {
  if (!isRecord(selector)) return false
  const want = isRecord(selector.matchLabels) ? selector.matchLabels : {}
  if (!Object.entries(want).every(([k, v]) => labels[k] === v)) return false
  return arr(selector.matchExpressions).every((e) => {
    const has = Object.hasOwn(labels, e?.key)
    const values = arr(e?.values)
    switch (e?.operator) {
      case 'In': return has && values.includes(labels[e.key])
      case 'NotIn': return !has || !values.includes(labels[e.key])
      case 'Exists': return has
      case 'DoesNotExist': return !has
      default: return false
    }
  })
}

/** Resolves a probe/Service port (number or name) to a container port number. */
export function resolvePort (c: Json, port: Json): number | undefined {
  if (typeof port === 'number') return arr(c?.ports).some((p) => p?.containerPort === port) ? port : undefined
  const p = arr(c?.ports).find((x) => x?.name === port)
  return typeof p?.containerPort === 'number' ? p.containerPort : undefined
}

export function components (b: DeployBundle): Json[] {
  return ofKind(b.rendered, 'Component')
}

export function configurations (b: DeployBundle): Json[] {
  return ofKind(b.rendered, 'Configuration')
}

export function resiliencies (b: DeployBundle): Json[] {
  return ofKind(b.rendered, 'Resiliency')
}

export function runFileApps (b: DeployBundle): Json[] {
  return arr(b.runFile?.apps)
}

/** Apps that another app invokes (TARGET_APP_ID in some Deployment), with the callers. */
export function invocations (b: DeployBundle): Array<{ caller: string, callee: string }> {
  const out: Array<{ caller: string, callee: string }> = []
  for (const d of deployments(b)) {
    const target = envOf(appContainer(d), 'TARGET_APP_ID')?.value
    const caller = appIdOf(d)
    if (typeof target === 'string' && caller !== undefined) out.push({ caller, callee: target })
  }
  return out
}

export function configFor (b: DeployBundle, d: Json): Json {
  const name = annotations(d)['dapr.io/config']
  return configurations(b).find((c) => c?.metadata?.name === name)
}

/** Seconds of a Go duration string ("25s", "1m"), undefined when it is not one. */
export function seconds (duration: unknown): number | undefined {
  const ms = typeof duration === 'string' ? goDurationMs(duration) : undefined
  return ms === undefined ? undefined : ms / 1000
}

/** The Services whose selector picks this Deployment's pods. */
export function servicesFor (b: DeployBundle, d: Json): Json[] {
  return ofKind(b.rendered, 'Service').filter((s) => matchLabels({ matchLabels: s?.spec?.selector }, podLabels(d)))
}
