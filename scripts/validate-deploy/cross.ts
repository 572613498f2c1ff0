// Cross-file agreement: dapr.yaml and the local components against the Deployments, component
// and resiliency names, the image's uid, the OTel collector's port against the egress
// NetworkPolicy, and the ACL's trust domains against the callers' Configurations.
import type { DeployBundle, Issue } from './bundle.js'
import { finalStage, parseDockerfile } from './dockerfile.js'
import { netpolAllows } from './network.js'
import { annotations, appContainer, appIdOf, components, configFor, configurations, deployments, envOf, invocations, podLabels, podSpec, ref, resiliencies, runFileApps, arr } from './util.js'

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
/** The Configurations' OTel endpoint (host.namespace[.svc...]:port) is reachable through the egress NetworkPolicy on that port. */
export function checkCrossOtel (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  for (const d of deployments(b)) {
    const cfg = configFor(b, d)
    const endpoint = cfg?.spec?.tracing?.otel?.endpointAddress
    if (typeof endpoint !== 'string') continue
    const m = /^(?:[a-z]+:\/\/)?([a-z0-9-]+)\.([a-z0-9-]+)(?:\.svc(?:\.[a-z0-9.-]+)?)?:(\d+)$/.exec(endpoint)
    if (!m) {
      issues.push({ check: 'CROSS_OTEL', where: ref(cfg), message: `otel endpoint ${endpoint} is not <service>.<namespace>[.svc...]:<port>` })
      continue
    }
    const port = Number(m[3])
    if (!netpolAllows(b, 'egress', podLabels(d), { namespace: m[2] as string, labels: {} }, port)) {
      issues.push({ check: 'CROSS_OTEL', where: ref(d), message: `traces go to ${endpoint}, but no egress NetworkPolicy allows port ${port} to namespace ${m[2]}` })
    }
  }
  return issues
}

const DEFAULT_TRUST_DOMAIN = 'public'

/** A callee's ACL policy for a caller names the trust domain the caller's own Configuration gives it (default "public"). */
export function checkCrossTrustDomain (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  const domainOf = new Map<string, string>()
  for (const d of deployments(b)) {
    const td = configFor(b, d)?.spec?.accessControl?.trustDomain
    domainOf.set(appIdOf(d) ?? '', typeof td === 'string' ? td : DEFAULT_TRUST_DOMAIN)
  }
  for (const cfg of configurations(b)) {
    for (const p of arr(cfg?.spec?.accessControl?.policies)) {
      const callerDomain = domainOf.get(p?.appId)
      const named = typeof p?.trustDomain === 'string' ? p.trustDomain : DEFAULT_TRUST_DOMAIN
      if (callerDomain !== undefined && named !== callerDomain) {
        issues.push({ check: 'CROSS_TRUST_DOMAIN', where: ref(cfg), message: `policy ${p.appId} expects trust domain ${named}, but ${p.appId}'s Configuration gives it ${callerDomain}: every call would be denied` })
      }
    }
  }
  return issues
}
