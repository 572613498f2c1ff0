// Network: the public edge (the NLB Service: TLS listener, certificate, policy, source ranges,
// known annotations), the NetworkPolicies (who may reach which port; the public port only from
// the NLB's subnets, the app channel from nobody, 50002 only between the app ids) and the
// apps' /metrics port.
import { LBC_APP_VERSION, LBC_SERVICE_ANNOTATIONS, CURRENT_TLS_POLICY } from './facts.js'
import { NAMESPACE, type DeployBundle, type Issue, type Json } from './bundle.js'
import { annotations, appContainer, appIdOf, arr, deployments, envOf, invocations, isRecord, matchLabels, ofKind, podLabels, ref, resolvePort, servicesFor } from './util.js'

const LB = 'service.beta.kubernetes.io/aws-load-balancer-'
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/

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
    const attrs = String(ann[`${LB}target-group-attributes`] ?? '')
    if (!attrs.includes('preserve_client_ip.enabled=false')) fail('target-group-attributes must set preserve_client_ip.enabled=false (the NetworkPolicy admits the NLB by its subnets, not by client address)')
    // The public edge: TLS only, a certificate, a current policy, and an explicit list of sources.
    const ports = arr(s.spec.ports)
    const sslPorts = String(ann[`${LB}ssl-ports`] ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '')
    if (!/^arn:aws:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/.test(String(ann[`${LB}ssl-cert`] ?? ''))) fail('ssl-cert must be an ACM certificate ARN (the TLS listener needs one)')
    for (const p of ports) {
      if (!sslPorts.includes(String(p?.port)) && !sslPorts.includes(String(p?.name))) fail(`port ${p?.name} (${p?.port}) is not in ssl-ports: it would listen in plain TCP and carry the API key in the clear`)
    }
    if (ports.some((p) => p?.port !== 443)) fail('the public listener must be port 443 only')
    if (!CURRENT_TLS_POLICY.test(String(ann[`${LB}ssl-negotiation-policy`] ?? ''))) fail(`ssl-negotiation-policy ${ann[`${LB}ssl-negotiation-policy`]} is not a current TLS 1.3/1.2 policy (unset means ELBSecurityPolicy-2016-08)`)
    const ranges = s.spec.loadBalancerSourceRanges
    if (!Array.isArray(ranges) || ranges.length === 0) fail('spec.loadBalancerSourceRanges must list who may reach the NLB (0.0.0.0/0 for everyone, said explicitly)')
    else for (const r of ranges) if (!CIDR.test(String(r))) fail(`loadBalancerSourceRanges entry ${r} is not an IPv4 CIDR`)
    const selected = deployments(b).filter((d) => matchLabels({ matchLabels: s.spec.selector }, podLabels(d)))
    if (selected.length !== 1) {
      fail(`selects ${selected.length} Deployments, expected 1`)
      continue
    }
    const d = selected[0]
    const c = appContainer(d)
    if (ann[`${LB}healthcheck-path`] !== c?.readinessProbe?.httpGet?.path) fail(`healthcheck-path ${ann[`${LB}healthcheck-path`]} differs from the readiness probe path`)
    for (const p of ports) {
      const target = resolvePort(c, p?.targetPort)
      if (String(target) === annotations(d)['dapr.io/app-port']) {
        issues.push({ check: 'RISKY_VALUE', where: ref(s), message: `port ${p?.name} forwards to the Dapr app channel ${target}: the app token would cross the network` })
      } else if (String(target) !== envOf(c, 'PUBLIC_PORT')?.value) fail(`port ${p?.name} targetPort ${p?.targetPort} is not the app's PUBLIC_PORT`)
    }
  }
  return issues
}

/** Every service.beta.kubernetes.io/ annotation is one the controller reads (it ignores the rest silently). */
export function checkServiceAnnotations (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  for (const s of ofKind(b.rendered, 'Service')) {
    for (const k of Object.keys(s?.metadata?.annotations ?? {})) {
      const m = /^service\.(?:beta\.)?kubernetes\.io\/(.*)$/.exec(k)
      if (!m) continue
      const suffix = m[1] as string
      const known = LBC_SERVICE_ANNOTATIONS.includes(suffix) || suffix.startsWith('aws-load-balancer-listener-attributes.')
      if (!known) issues.push({ check: 'SERVICE_ANNOTATION', where: ref(s), message: `${k} is not an annotation the load balancer controller ${LBC_APP_VERSION} reads` })
    }
  }
  return issues
}

const toInt = (a: string): number => a.split('.').reduce((n, o) => n * 256 + Number(o), 0)

/** [first, last] address of an IPv4 CIDR as integers, or undefined when it is not one. */
export function cidrRange (cidr: string): [number, number] | undefined {
  const m = CIDR.exec(cidr)
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) return undefined
  const size = 2 ** (32 - Number(m[5]))
  const first = Math.floor(toInt(cidr.split('/')[0] as string) / size) * size
  return [first, first + size - 1]
}

/** Whether CIDR `inner` lies inside CIDR `outer`. */
export function cidrWithin (inner: string, outer: string): boolean {
  const i = cidrRange(inner)
  const o = cidrRange(outer)
  return i !== undefined && o !== undefined && i[0] >= o[0] && i[1] <= o[1]
}

function cidrContains (cidr: string, ip: string): boolean {
  const r = cidrRange(cidr)
  return r !== undefined && toInt(ip) >= r[0] && toInt(ip) <= r[1]
}

const fromInt = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.')

/**
 * The public subnets eksctl 0.230.0 creates for a new VPC (pkg/vpc SetSubnets): the VPC CIDR
 * cut into 8 equal blocks (16 when there are more than 4 zones), public ones first, one per zone.
 */
export function eksctlPublicSubnets (vpcCidr: string, zones: number): string[] {
  const r = cidrRange(vpcCidr)
  if (r === undefined || zones < 1) return []
  const total = zones * 2
  const bits = Number(vpcCidr.split('/')[1]) + (total <= 8 ? 3 : 4)
  const size = 2 ** (32 - bits)
  return Array.from({ length: zones }, (_, i) => `${fromInt(r[0] + i * size)}/${bits}`)
}

/** Who is on the other end: a pod (namespace + labels) or an address outside the cluster. */
export type Peer = { namespace: string, labels: Record<string, string> } | { ip: string }

function peerMatches (rulePeer: Json, peer: Peer): boolean {
  if ('ip' in peer) {
    const block = rulePeer?.ipBlock
    if (typeof block?.cidr !== 'string' || !cidrContains(block.cidr, peer.ip)) return false
    return !arr(block.except).some((e) => typeof e === 'string' && cidrContains(e, peer.ip))
  }
  if (rulePeer?.ipBlock !== undefined) return false
  const nsOk = rulePeer?.namespaceSelector === undefined
    ? peer.namespace === NAMESPACE // a bare podSelector means the policy's own namespace
    : matchLabels(rulePeer.namespaceSelector, { 'kubernetes.io/metadata.name': peer.namespace })
  const podOk = rulePeer?.podSelector === undefined || matchLabels(rulePeer.podSelector, peer.labels)
  return nsOk && podOk
}

/** Whether a rule's port list covers `port` (no list, or an empty one, means every port). */
function rulePortCovers (rule: Json, port: number, protocol: string): boolean {
  const ports = arr(rule?.ports)
  if (ports.length === 0) return true
  return ports.some((p) => (p?.protocol ?? 'TCP') === protocol && (p?.port === undefined || p.port === port ||
    (typeof p.endPort === 'number' && port > p.port && port <= p.endPort)))
}

/** Whether some policy selecting `pod` lets `peer` in (or out) on `port`. A rule without peers admits everyone. */
export function netpolAllows (b: DeployBundle, dir: 'ingress' | 'egress', pod: Record<string, string>, peer: Peer, port: number, protocol = 'TCP'): boolean {
  const field = dir === 'ingress' ? 'from' : 'to'
  return ofKind(b.rendered, 'NetworkPolicy').some((np) =>
    matchLabels(np?.spec?.podSelector, pod) &&
    arr(np?.spec?.[dir]).some((rule) => rulePortCovers(rule, port, protocol) &&
      (arr(rule?.[field]).length === 0 || arr(rule?.[field]).some((p) => peerMatches(p, peer)))))
}

/** The ingress peers that policies selecting `pod` admit on `port`; 'everyone' when a rule names no peers. */
function ingressPeers (b: DeployBundle, pod: Record<string, string>, port: number): Json[] | 'everyone' {
  const peers: Json[] = []
  for (const np of ofKind(b.rendered, 'NetworkPolicy').filter((x) => matchLabels(x?.spec?.podSelector, pod))) {
    for (const rule of arr(np?.spec?.ingress).filter((r) => rulePortCovers(r, port, 'TCP'))) {
      if (arr(rule?.from).length === 0) return 'everyone'
      peers.push(...arr(rule.from))
    }
  }
  return peers
}

/** An address inside a CIDR, for probing policies (the CIDR's first address + 10). */
export function sampleIp (cidr: unknown): string {
  const r = typeof cidr === 'string' ? cidrRange(cidr) : undefined
  return r === undefined ? '0.0.0.0' : fromInt(r[0] + 10)
}

/** The public subnets eksctl gives the cluster's zones (cluster.yaml, top level). */
export function publicSubnets (b: DeployBundle): string[] {
  return eksctlPublicSubnets(String(b.cluster?.vpc?.cidr ?? ''), arr(b.cluster?.availabilityZones).length)
}

const STRANGER = { 'app.kubernetes.io/name': 'stranger' }

export function checkNetworkPolicies (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  const nps = ofKind(b.rendered, 'NetworkPolicy')
  const fail = (where: string, message: string): void => { issues.push({ check: 'NETPOL', where, message }) }
  const defaultDeny = nps.some((np) => isRecord(np?.spec?.podSelector) && Object.keys(np.spec.podSelector).length === 0 &&
    arr(np.spec.policyTypes).includes('Ingress') && arr(np.spec.policyTypes).includes('Egress') &&
    np.spec.ingress === undefined && np.spec.egress === undefined)
  if (!defaultDeny) fail('manifests/networkpolicies.yaml', 'no default-deny policy (podSelector {}, Ingress and Egress, no rules)')
  const vpcCidr = String(b.cluster?.vpc?.cidr)
  const subnets = publicSubnets(b)
  const deps = deployments(b)
  const calls = invocations(b)
  for (const d of deps) {
    const pod = podLabels(d)
    const id = appIdOf(d)
    const appPort = Number(annotations(d)['dapr.io/app-port'])
    if (!netpolAllows(b, 'ingress', pod, { namespace: 'monitoring', labels: {} }, 9090)) fail(ref(d), 'Prometheus in namespace monitoring cannot reach daprd metrics on 9090')
    // The Dapr app channel: nothing outside the pod (kubelet, on the node, is always allowed).
    const channel = ingressPeers(b, pod, appPort)
    if (channel === 'everyone' || channel.length > 0) fail(ref(d), `the Dapr app channel ${appPort} is open to ${channel === 'everyone' ? 'everyone' : JSON.stringify(channel)}; it must stay closed to everything outside the pod`)
    // The public port: the NLB's public subnets only.
    const publicPort = Number(envOf(appContainer(d), 'PUBLIC_PORT')?.value)
    if (servicesFor(b, d).some((s) => s?.spec?.type === 'LoadBalancer') && Number.isInteger(publicPort)) {
      for (const subnet of subnets) {
        if (!netpolAllows(b, 'ingress', pod, { ip: sampleIp(subnet) }, publicPort)) fail(ref(d), `the NLB's public subnet ${subnet} cannot reach the public port ${publicPort}`)
      }
      const peers = ingressPeers(b, pod, publicPort)
      for (const p of peers === 'everyone' ? [{}] : peers) {
        const cidr = p?.ipBlock?.cidr
        if (typeof cidr !== 'string') fail(ref(d), `the public port ${publicPort} is open to ${peers === 'everyone' ? 'everyone' : `pods (${JSON.stringify(p)})`}; only the NLB's public subnets may reach it`)
        else if (!subnets.some((s) => cidrWithin(cidr, s))) fail(ref(d), `the public port ${publicPort} is open to ${cidr}, outside the NLB's public subnets ${subnets.join(', ')}`)
      }
    }
    // 50002 (daprd to daprd): only the app ids that invoke this one.
    for (const other of deps.filter((x) => x !== d)) {
      const from = appIdOf(other)
      const mayCall = calls.some((x) => x.caller === from && x.callee === id)
      const allowed = netpolAllows(b, 'ingress', pod, { namespace: NAMESPACE, labels: podLabels(other) }, 50002)
      if (mayCall && !allowed) fail(ref(d), `${from} invokes ${id} but daprd's 50002 is closed to it`)
      if (!mayCall && allowed) fail(ref(d), `daprd's 50002 is open to ${from}, which the ACL does not let call ${id}`)
      if (mayCall && !netpolAllows(b, 'egress', podLabels(other), { namespace: NAMESPACE, labels: pod }, 50002)) fail(ref(other), `egress to ${id}'s daprd on 50002 is closed`)
    }
    const strangers: Array<[string, Peer]> = [
      ['a pod of another app', { namespace: NAMESPACE, labels: STRANGER }],
      ...deps.filter((x) => x !== d).map((other): [string, Peer] => ['a pod in another namespace', { namespace: 'default', labels: podLabels(other) }]),
      ['an address in the VPC', { ip: sampleIp(vpcCidr) }],
      ['an address on the internet', { ip: '203.0.113.10' }]
    ]
    for (const [who, peer] of strangers) {
      if (netpolAllows(b, 'ingress', pod, peer, 50002)) fail(ref(d), `daprd's 50002 is open to ${who}`)
    }
    if (!netpolAllows(b, 'egress', pod, { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } }, 53, 'UDP')) fail(ref(d), 'no DNS egress (UDP 53 to kube-dns)')
    for (const port of [50001, 6500]) {
      if (!netpolAllows(b, 'egress', pod, { namespace: 'dapr-system', labels: {} }, port)) fail(ref(d), `no egress to dapr-system on ${port} (Sentry 50001, operator 6500)`)
    }
    if (!netpolAllows(b, 'egress', pod, { ip: sampleIp(vpcCidr) }, 6379)) fail(ref(d), 'no egress to the cache on 6379')
  }
  for (const np of nps) {
    for (const peer of [...arr(np?.spec?.ingress).flatMap((r) => arr(r?.from)), ...arr(np?.spec?.egress).flatMap((r) => arr(r?.to))]) {
      const cidr = peer?.ipBlock?.cidr
      if (cidr !== undefined && !cidrWithin(String(cidr), vpcCidr)) fail(ref(np), `ipBlock ${cidr} is not inside the VPC ${vpcCidr}`)
    }
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
  const vpcIp = sampleIp(b.cluster?.vpc?.cidr)
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
