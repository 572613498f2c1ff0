// Workloads: probes, resources, Pod Security, the shutdown timeline, zone spread, pinned images,
// the env the services read (listen addresses, ports, tokens and keys), PDBs and the HPA.
import { APP_CLOSE_DELAY_S, type DeployBundle, type Issue, type Json } from './bundle.js'
import { isLoopback } from './formats.js'
import { annotations, appContainer, appIdOf, arr, components, containers, deployments, envOf, invocations, isRecord, matchLabels, ofKind, podLabels, podSpec, ref, resolvePort, seconds, servicesFor } from './util.js'

const SHUTDOWN_MARGIN_S = 5

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

/**
 * The env the services read, wired to the same names and ports as the Dapr annotations. An app
 * with a public listener (PUBLIC_PORT) keeps its Dapr app channel on loopback (HOST 127.0.0.1,
 * no containerPort), serves the NLB and kubelet on PUBLIC_HOST 0.0.0.0, and reads its own public
 * API key, never the app token.
 */
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
    const host = envOf(c, 'HOST')?.value
    const publicPort = envOf(c, 'PUBLIC_PORT')?.value
    if (port !== ann['dapr.io/app-port']) fail(`PORT ${port} differs from dapr.io/app-port ${ann['dapr.io/app-port']}`)
    if (typeof host !== 'string') fail('HOST must be set explicitly (the services default to 127.0.0.1)')
    if (publicPort === undefined) {
      if (resolvePort(c, Number(port)) === undefined) fail(`PORT ${port} is not a declared containerPort`)
      if (servicesFor(b, d).some((s) => s?.spec?.type === 'LoadBalancer')) fail('a load balancer fronts this app but it has no PUBLIC_PORT: the NLB would reach the Dapr app channel')
    } else {
      if (typeof host === 'string' && !isLoopback(host)) fail(`HOST ${host}: the Dapr app channel must listen on 127.0.0.1 when the app has a public listener`)
      if (resolvePort(c, Number(port)) !== undefined) fail(`PORT ${port} (the loopback app channel) must not be a declared containerPort`)
      if (resolvePort(c, Number(publicPort)) === undefined) fail(`PUBLIC_PORT ${publicPort} is not a declared containerPort`)
      if (publicPort === port) fail('PUBLIC_PORT must differ from PORT (the app channel)')
      if (envOf(c, 'PUBLIC_HOST')?.value !== '0.0.0.0') fail('PUBLIC_HOST must be 0.0.0.0 so the NLB and kubelet reach the public listener')
      const key = envOf(c, 'PUBLIC_API_KEY')?.valueFrom?.secretKeyRef
      if (typeof key?.name !== 'string') fail('PUBLIC_API_KEY must come from a Secret (secretKeyRef)')
      else if (key.name === ann['dapr.io/app-token-secret'] || key.name === ann['dapr.io/api-token-secret']) fail(`PUBLIC_API_KEY reads Secret ${key.name}, a Dapr token; public clients need their own key`)
      if (envOf(c, 'METRICS_PORT') !== undefined && envOf(c, 'METRICS_HOST')?.value !== '0.0.0.0') fail('METRICS_HOST must be 0.0.0.0 (HOST is loopback, and Prometheus scrapes the pod IP)')
    }
    const store = envOf(c, 'STATE_STORE_NAME')?.value
    if (store !== undefined && !storeNames.has(store)) fail(`STATE_STORE_NAME ${store} is not a rendered Component`)
    const token = envOf(c, 'DAPR_API_TOKEN')?.valueFrom?.secretKeyRef
    if (token?.name !== ann['dapr.io/api-token-secret'] || token?.key !== 'token') fail('DAPR_API_TOKEN must come from the dapr.io/api-token-secret Secret, key token')
    const appToken = envOf(c, 'APP_API_TOKEN')?.valueFrom?.secretKeyRef
    if (callees.has(appIdOf(d) ?? '') && (appToken?.name !== ann['dapr.io/app-token-secret'] || appToken?.key !== 'token')) {
      fail('APP_API_TOKEN must come from the dapr.io/app-token-secret Secret, key token (the app verifies daprd with it)')
    }
    const target = envOf(c, 'TARGET_APP_ID')?.value
    if (target !== undefined && !ids.has(target)) fail(`TARGET_APP_ID ${target} is not a deployed app id`)
    if (envOf(c, 'DAPR_HTTP_PORT') !== undefined) fail('DAPR_HTTP_PORT is set by the injector; do not override it')
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
