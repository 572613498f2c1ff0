// Cluster and Helm inputs (manifests/cluster): the eksctl ClusterConfig (keys against eksctl's
// schema, zones, a Kubernetes version in standard support, add-ons, the controller's identity),
// the Dapr chart values and the load balancer controller chart values (keys against the charts
// at the pinned versions, HA, mTLS, the scheduler's StorageClass).
import type { DeployBundle, Issue, Json } from './bundle.js'
import { DAPR_CHART_VALUES, DAPR_CHART_VERSION, EKSCTL_SCHEMA, EKSCTL_VERSION, EKS_STANDARD_SUPPORT, LBC_CHART_VALUES, LBC_CHART_VERSION, type KeyTree } from './facts.js'
import { arr, isRecord, ofKind } from './util.js'

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
  const version = String(c?.metadata?.version)
  if (EKS_STANDARD_SUPPORT[version] === undefined) fail('cluster.yaml', `Kubernetes ${version} is not an EKS version in standard support (${Object.entries(EKS_STANDARD_SUPPORT).map(([v, end]) => `${v} until ${end}`).join(', ')})`)
  const pss = ofKind(b.rendered, 'Namespace')[0]?.metadata?.labels?.['pod-security.kubernetes.io/enforce-version']
  if (pss !== undefined && pss !== 'latest' && pss !== `v${c?.metadata?.version}`) fail('cluster.yaml', `Kubernetes ${c?.metadata?.version} but the namespace enforces Pod Security ${pss}`)
  const v = b.daprValues
  if (v?.global?.ha?.enabled !== true) fail('dapr-values.yaml', 'global.ha.enabled must be true')
  if (!/^1\.\d+\.\d+$/.test(daprVersion(b) ?? '')) fail('dapr-values.yaml', 'global.tag must pin one Dapr 1.x.y release')
  if (v?.dapr_sidecar_injector?.sidecarDropALLCapabilities !== true) fail('dapr-values.yaml', 'dapr_sidecar_injector.sidecarDropALLCapabilities must be true (restricted namespace)')
  if (v?.global?.mtls?.enabled !== undefined && v.global.mtls.enabled !== true) issues.push({ check: 'RISKY_VALUE', where: 'manifests/cluster/dapr-values.yaml', message: 'global.mtls.enabled must stay true: without mTLS the ACL cannot tell callers apart' })
  const sc = v?.dapr_scheduler?.cluster?.storageClassName
  if (!ofKind(b.clusterObjects, 'StorageClass').some((s) => s?.metadata?.name === sc)) fail('dapr-values.yaml', `scheduler storageClassName ${sc} is not defined in manifests/cluster`)
  return issues
}
/** Zones named at the cluster level (eksctl otherwise picks random ones), every nodegroup's zones among them. */
export function checkClusterZones (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  const fail = (message: string): void => { issues.push({ check: 'CLUSTER_ZONES', where: 'manifests/cluster/cluster.yaml', message }) }
  const region = String(b.cluster?.metadata?.region)
  const zones = arr(b.cluster?.availabilityZones)
  if (zones.length < 3) fail(`availabilityZones must name the cluster's zones (at least 3); without them eksctl picks random zones in ${region}`)
  for (const z of zones) if (typeof z !== 'string' || !z.startsWith(region) || !/^[a-z]{2}-[a-z]+-\d[a-z]$/.test(z)) fail(`zone ${z} is not a zone of ${region}`)
  if (new Set(zones).size !== zones.length) fail('availabilityZones repeats a zone')
  for (const ng of [...arr(b.cluster?.managedNodeGroups), ...arr(b.cluster?.nodeGroups)]) {
    for (const z of arr(ng?.availabilityZones)) if (!zones.includes(z)) fail(`nodegroup ${ng?.name} asks for ${z}, which is not one of the cluster's zones ${zones.join(', ')}`)
  }
  return issues
}

/** Keys of a value that the eksctl schema does not define (eksctl refuses the file). */
export function eksctlUnknownKeys (value: Json, def: string, at: string): string[] {
  const fields = EKSCTL_SCHEMA[def]
  if (!isRecord(value) || fields === undefined || fields === true) return []
  const out: string[] = []
  for (const [k, v] of Object.entries(value)) {
    const target = fields[k]
    if (target === undefined) {
      out.push(`${at}/${k}`)
      continue
    }
    if (target === true) continue
    if (Array.isArray(v)) v.forEach((item, i) => out.push(...eksctlUnknownKeys(item, target, `${at}/${k}/${i}`)))
    else out.push(...eksctlUnknownKeys(v, target, `${at}/${k}`))
  }
  return out
}

/** Keys of Helm values that the chart neither declares nor reads (Helm ignores them silently). */
export function helmUnknownKeys (value: Json, tree: KeyTree, at: string): string[] {
  if (tree === true || !isRecord(value)) return []
  const out: string[] = []
  for (const [k, v] of Object.entries(value)) {
    const sub = tree[k]
    if (sub === undefined) out.push(`${at}${k}`)
    else out.push(...helmUnknownKeys(v, sub, `${at}${k}.`))
  }
  return out
}

export function checkEksctlKeys (b: DeployBundle): Issue[] {
  return eksctlUnknownKeys(b.cluster, 'ClusterConfig', '').map((k) => ({ check: 'EKSCTL_KEYS' as const, where: 'manifests/cluster/cluster.yaml', message: `${k} is not a ClusterConfig field in eksctl ${EKSCTL_VERSION} (eksctl refuses the file)` }))
}

export function checkHelmKeys (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  for (const k of helmUnknownKeys(b.daprValues, DAPR_CHART_VALUES, '')) issues.push({ check: 'HELM_KEYS', where: 'manifests/cluster/dapr-values.yaml', message: `${k} is not a value of the Dapr chart ${DAPR_CHART_VERSION} (Helm ignores it silently)` })
  for (const k of helmUnknownKeys(b.lbcValues, LBC_CHART_VALUES, '')) issues.push({ check: 'HELM_KEYS', where: 'manifests/cluster/aws-load-balancer-controller-values.yaml', message: `${k} is not a value of the aws-load-balancer-controller chart ${LBC_CHART_VERSION} (Helm ignores it silently)` })
  return issues
}
