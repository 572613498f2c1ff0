// Every check proves it catches what it claims: each case breaks one thing in a copy of the
// rendered, committed tree and expects that check's code with a matching message. The clean
// tree has no issues at all (render.test.ts), so every issue below comes from the mutation.
import { readFile, readdir } from 'node:fs/promises'
import path from 'node:path'
import t from 'tap'
import {
  kubectlStatus,
  loadBundle,
  parseYamlDocs,
  repoRoot,
  validateBundle,
  type CheckCode,
  type DeployBundle,
  type Json
} from '../../scripts/validate-deploy/index.js'
import { parseCodes } from '../../scripts/validate-deploy/dapr.js'
import { loadFixture } from '../../scripts/validate-deploy/fixture.js'

type Mutate = (b: DeployBundle) => void
type Case = [name: string, code: CheckCode, mutate: Mutate, message: RegExp]

/** The one object of a kind and name; throws so a case can never silently mutate nothing. */
function obj (b: DeployBundle | Json[], kind: string, name: string): Json {
  const list = Array.isArray(b) ? b : b.rendered
  const found = list.find((o) => o?.kind === kind && o?.metadata?.name === name)
  if (!found) throw new Error(`no ${kind}/${name}`)
  return found
}
const dep = (b: DeployBundle, name: string): Json => obj(b, 'Deployment', name)
const pod = (b: DeployBundle, name: string): Json => dep(b, name).spec.template.spec
const ann = (b: DeployBundle, name: string): Json => dep(b, name).spec.template.metadata.annotations
const ctr = (b: DeployBundle, name: string): Json => pod(b, name).containers[0]
const env = (b: DeployBundle, name: string, variable: string): Json => {
  const e = ctr(b, name).env.find((x: Json) => x.name === variable)
  if (!e) throw new Error(`no env ${variable} on ${name}`)
  return e
}
const meta = (b: DeployBundle, name: string): Json => {
  const m = obj(b, 'Component', 'statestore').spec.metadata.find((x: Json) => x.name === name)
  if (!m) throw new Error(`no metadata ${name}`)
  return m
}
const retry = (b: DeployBundle, name: string): Json => obj(b, 'Resiliency', 'resiliency').spec.policies.retries[name]
const acl = (b: DeployBundle): Json => obj(b, 'Configuration', 'nodeapp-config').spec.accessControl
const netpol = (b: DeployBundle, name: string): Json => obj(b, 'NetworkPolicy', name).spec
const svc = (b: DeployBundle): Json => obj(b, 'Service', 'nodeapp-public')
const lbAnn = (b: DeployBundle, key: string): string => `service.beta.kubernetes.io/aws-load-balancer-${key}`
function replace (text: string, from: string | RegExp, to: string): string {
  const out = text.replace(from, to)
  if (out === text) throw new Error(`mutation did not apply: ${String(from)}`)
  return out
}
const docker = (from: string | RegExp, to: string): Mutate => (b) => { b.dockerfile = replace(b.dockerfile, from, to) }

const cases: Case[] = [
  // Kubernetes schemas (kubernetes-models) and unknown fields (the TS interfaces)
  ['containerPort as a string', 'K8S_SCHEMA', (b) => { ctr(b, 'nodeapp').ports[0].containerPort = '3000' }, /containerPort must be integer/],
  ['HPA maxReplicas not a number', 'K8S_SCHEMA', (b) => { obj(b, 'HorizontalPodAutoscaler', 'nodeapp').spec.maxReplicas = 'six' }, /maxReplicas must be integer/],
  ['bad memory quantity', 'K8S_SCHEMA', (b) => { ctr(b, 'generator').resources.limits.memory = '256 megs' }, /memory must match format "quantity"/],
  ['StorageClass without provisioner', 'K8S_SCHEMA', (b) => { delete obj(b.clusterObjects, 'StorageClass', 'gp3').provisioner }, /provisioner/],
  ['misspelled container field', 'K8S_UNKNOWN_FIELD', (b) => { ctr(b, 'nodeapp').portz = [] }, /containers\/0\/portz is not a field/],
  ['old HPA field', 'K8S_UNKNOWN_FIELD', (b) => { obj(b, 'HorizontalPodAutoscaler', 'nodeapp').spec.metrics[0].containerResource.target.targetAverageUtilization = 70 }, /targetAverageUtilization is not a field/],
  ['typo deep in a probe', 'K8S_UNKNOWN_FIELD', (b) => { ctr(b, 'generator').readinessProbe.httpGet.paht = '/readyz' }, /readinessProbe\/httpGet\/paht/],
  ['typo in a NetworkPolicy', 'K8S_UNKNOWN_FIELD', (b) => { netpol(b, 'default-deny').ingres = [] }, /\/spec\/ingres is not a field/],
  ['typo in an example Secret', 'K8S_UNKNOWN_FIELD', (b) => { obj(b.secretsExample, 'Secret', 'app-api-token').stringdata = {} }, /\/stringdata is not a field/],
  ['unknown kind', 'K8S_UNKNOWN_KIND', (b) => { b.rendered.push({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'x', namespace: 'orders' } }) }, /networking\.k8s\.io\/v1\/Ingress is not a kind/],
  ['retired apiVersion', 'K8S_UNKNOWN_KIND', (b) => { dep(b, 'generator').apiVersion = 'apps/v1beta1' }, /apps\/v1beta1\/Deployment/],

  // Dapr objects: strict schemas and semantics
  ['spec.mtls in an app Configuration', 'DAPR_SCHEMA', (b) => { obj(b, 'Configuration', 'nodeapp-config').spec.mtls = { enabled: true } }, /\/spec\/mtls: Unexpected property/],
  ['Resiliency targets.app typo', 'DAPR_SCHEMA', (b) => { const t = obj(b, 'Resiliency', 'resiliency').spec.targets; t.app = t.apps; delete t.apps }, /\/spec\/targets/],
  ['Component without version', 'DAPR_SCHEMA', (b) => { delete obj(b, 'Component', 'statestore').spec.version }, /\/spec\/version/],
  ['Component type outside the project', 'DAPR_SCHEMA', (b) => { obj(b, 'Component', 'statestore').spec.type = 'state.postgresql' }, /\/spec\/type/],
  ['tracing without samplingRate', 'DAPR_SCHEMA', (b) => { delete obj(b, 'Configuration', 'generator-config').spec.tracing.samplingRate }, /\/spec\/tracing/],
  ['ACL operation without action', 'DAPR_SCHEMA', (b) => { delete acl(b).policies[0].operations[0].action }, /operations\/0/],
  ['Dapr kind the project does not use', 'DAPR_SCHEMA', (b) => { b.rendered.push({ apiVersion: 'dapr.io/v2alpha1', kind: 'Subscription', metadata: { name: 's', namespace: 'orders' } }) }, /Subscription is not one this project uses/],
  ['unknown redis metadata name', 'DAPR_METADATA_NAME', (b) => { obj(b, 'Component', 'statestore').spec.metadata.push({ name: 'redisHosts', value: 'x' }) }, /redisHosts is not a state\.redis field/],
  ['TLS off', 'DAPR_STATESTORE', (b) => { meta(b, 'enableTLS').value = 'false' }, /enableTLS must be "true"/],
  ['redisDB on a cluster-mode cache', 'DAPR_STATESTORE', (b) => { obj(b, 'Component', 'statestore').spec.metadata.push({ name: 'redisDB', value: '1' }) }, /redisDB must not be set/],
  ['node mode', 'DAPR_STATESTORE', (b) => { meta(b, 'redisType').value = 'node' }, /redisType must be "cluster"/],
  ['host inline', 'DAPR_STATESTORE', (b) => { const m = meta(b, 'redisHost'); delete m.secretKeyRef; m.value = 'cache:6379' }, /redisHost must come from a secretKeyRef/],
  ['no write timeout', 'DAPR_STATESTORE', (b) => { const c = obj(b, 'Component', 'statestore'); c.spec.metadata = c.spec.metadata.filter((m: Json) => m.name !== 'writeTimeout') }, /writeTimeout must be set/],
  ['another secret store', 'DAPR_STATESTORE', (b) => { obj(b, 'Component', 'statestore').auth.secretStore = 'aws' }, /auth\.secretStore/],
  ['password as a plain value', 'SECRET_PLAIN_VALUE', (b) => { const m = meta(b, 'redisPassword'); delete m.secretKeyRef; m.value = 'hunter2' }, /redisPassword is a plain value/],
  ['username in a local component', 'SECRET_PLAIN_VALUE', (b) => { const l = b.localDapr.find((d) => d.obj.kind === 'Component'); l?.obj.spec.metadata.push({ name: 'redisUsername', value: 'admin' }) }, /redisUsername is a plain value/],
  ['token as a plain env value', 'SECRET_PLAIN_VALUE', (b) => { const e = env(b, 'generator', 'DAPR_API_TOKEN'); delete e.valueFrom; e.value = 'abc' }, /env DAPR_API_TOKEN is a plain value/],
  ['an API the apps never call', 'DAPR_CONFIG', (b) => { obj(b, 'Configuration', 'nodeapp-config').spec.api.allowed.push({ name: 'publish', version: 'v1.0', protocol: 'http' }) }, /opens publish/],
  ['invoke allowed on the callee', 'DAPR_CONFIG', (b) => { obj(b, 'Configuration', 'nodeapp-config').spec.api.allowed.push({ name: 'invoke', version: 'v1.0', protocol: 'http' }) }, /invoke is allowed but the app invokes nothing/],
  ['invoke missing on the caller', 'DAPR_CONFIG', (b) => { const a = obj(b, 'Configuration', 'generator-config').spec.api; a.allowed = a.allowed.filter((r: Json) => r.name !== 'invoke') }, /invokes another app but invoke is not allowed/],
  ['no allow list', 'DAPR_CONFIG', (b) => { delete obj(b, 'Configuration', 'generator-config').spec.api }, /api\.allowed must list/],
  ['health checks logged', 'DAPR_CONFIG', (b) => { obj(b, 'Configuration', 'nodeapp-config').spec.logging.apiLogging.omitHealthChecks = false }, /omitHealthChecks/],
  ['metrics off', 'DAPR_CONFIG', (b) => { obj(b, 'Configuration', 'nodeapp-config').spec.metrics.enabled = false }, /metrics\.enabled/],
  ['ACL default allow', 'DAPR_ACL', (b) => { acl(b).defaultAction = 'allow' }, /defaultAction must be deny/],
  ['ACL wildcard verb', 'DAPR_ACL', (b) => { acl(b).policies[0].operations[0].httpVerb = ['*'] }, /must name exact verbs and path/],
  ['ACL wildcard path', 'DAPR_ACL', (b) => { acl(b).policies[0].operations[0].name = '/**' }, /must name exact verbs and path/],
  ['ACL for an unknown app', 'DAPR_ACL', (b) => { acl(b).policies[0].appId = 'generater' }, /unknown app id generater/],
  ['ACL in another namespace', 'DAPR_ACL', (b) => { acl(b).policies[0].namespace = 'default' }, /namespace must be orders/],
  ['ACL without the caller', 'DAPR_ACL', (b) => { acl(b).policies = [] }, /generator calls nodeapp but has no policy/],
  ['ACL for an app that never calls', 'DAPR_ACL', (b) => { acl(b).policies.push({ appId: 'nodeapp', defaultAction: 'deny', namespace: 'orders', operations: [] }) }, /allows nodeapp, which does not call nodeapp/],
  ['retry forever', 'DAPR_RETRY_POLICY', (b) => { retry(b, 'invokeTransient').maxRetries = -1 }, /maxRetries must be 0\.\.5/],
  ['too many retries', 'DAPR_RETRY_POLICY', (b) => { retry(b, 'invokeTransient').maxRetries = 10 }, /maxRetries must be 0\.\.5/],
  ['retry without matching', 'DAPR_RETRY_POLICY', (b) => { delete retry(b, 'invokeTransient').matching }, /matching is required/],
  ['retrying client errors', 'DAPR_RETRY_POLICY', (b) => { retry(b, 'invokeTransient').matching.httpStatusCodes = '400-599' }, /retries 400, which is not transient/],
  ['named gRPC codes (daprd cannot parse them)', 'DAPR_RETRY_POLICY', (b) => { retry(b, 'invokeTransient').matching.gRPCStatusCodes = 'UNAVAILABLE,DEADLINE_EXCEEDED' }, /is not a list of numbers/],
  ['empty gRPC list means every code', 'DAPR_RETRY_POLICY', (b) => { retry(b, 'invokeTransient').matching.gRPCStatusCodes = '' }, /gRPCStatusCodes must be set/],
  ['target names a missing policy', 'DAPR_RESILIENCY_REF', (b) => { obj(b, 'Resiliency', 'resiliency').spec.targets.apps.nodeapp.retry = 'missing' }, /apps\.nodeapp\.retry names undefined policy missing/],
  ['target without circuit breaker', 'DAPR_RESILIENCY_REF', (b) => { delete obj(b, 'Resiliency', 'resiliency').spec.targets.apps.nodeapp.circuitBreaker }, /apps\.nodeapp has no circuitBreaker/],
  ['a retry on the state store', 'DAPR_RESILIENCY_REF', (b) => { obj(b, 'Resiliency', 'resiliency').spec.targets.components.statestore.outbound.retry = 'invokeTransient' }, /statestore\.outbound\.retry: a state store error carries no status code/],

  // Dapr annotations
  ['misspelled annotation', 'DAPR_ANNOTATION_KEY', (b) => { ann(b, 'nodeapp')['dapr.io/app-prot'] = 'http' }, /dapr\.io\/app-prot is not a Dapr 1\.18\.3 annotation/],
  ['annotation as a number', 'DAPR_ANNOTATION_VALUE', (b) => { ann(b, 'generator')['dapr.io/app-port'] = 3001 }, /dapr\.io\/app-port must be a string/],
  ['no API token', 'DAPR_ANNOTATION_REQUIRED', (b) => { delete ann(b, 'nodeapp')['dapr.io/api-token-secret'] }, /api-token-secret is missing/],
  ['placement address set', 'DAPR_ANNOTATION_REQUIRED', (b) => { ann(b, 'nodeapp')['dapr.io/placement-host-address'] = 'dapr-placement-server:50005' }, /placement-host-address/],
  ['app health check on readiness', 'DAPR_ANNOTATION_REQUIRED', (b) => { ann(b, 'generator')['dapr.io/app-health-check-path'] = '/readyz' }, /app-health-check-path/],
  ['no sidecar memory limit', 'DAPR_ANNOTATION_REQUIRED', (b) => { delete ann(b, 'generator')['dapr.io/sidecar-memory-limit'] }, /sidecar-memory-limit is missing/],
  ['app id differs from the Deployment', 'DAPR_ANNOTATION_REQUIRED', (b) => { ann(b, 'generator')['dapr.io/app-id'] = 'gen' }, /app-id/],

  // Pods
  ['no readiness probe', 'POD_PROBES', (b) => { delete ctr(b, 'nodeapp').readinessProbe }, /no readinessProbe/],
  ['liveness on readiness', 'POD_PROBES', (b) => { ctr(b, 'nodeapp').livenessProbe.httpGet.path = '/readyz' }, /livenessProbe must GET \/healthz/],
  ['probe on an undeclared port', 'POD_PROBES', (b) => { ctr(b, 'generator').startupProbe.httpGet.port = 'admin' }, /port admin is not a container port/],
  ['no memory limit', 'POD_RESOURCES', (b) => { delete ctr(b, 'nodeapp').resources.limits }, /resources\.limits\.memory/],
  ['no cpu request', 'POD_RESOURCES', (b) => { delete ctr(b, 'generator').resources.requests.cpu }, /resources\.requests\.cpu/],
  ['root uid', 'POD_SECURITY', (b) => { pod(b, 'nodeapp').securityContext.runAsUser = 0 }, /numeric non-root uid/],
  ['writable root filesystem', 'POD_SECURITY', (b) => { ctr(b, 'nodeapp').securityContext.readOnlyRootFilesystem = false }, /readOnlyRootFilesystem/],
  ['capabilities kept', 'POD_SECURITY', (b) => { ctr(b, 'generator').securityContext.capabilities.drop = [] }, /drop ALL/],
  ['capability added', 'POD_SECURITY', (b) => { ctr(b, 'generator').securityContext.capabilities.add = ['NET_ADMIN'] }, /add no capabilities/],
  ['no pod seccomp profile', 'POD_SECURITY', (b) => { delete pod(b, 'generator').securityContext.seccompProfile }, /seccompProfile must be RuntimeDefault/],
  ['privilege escalation', 'POD_SECURITY', (b) => { ctr(b, 'nodeapp').securityContext.allowPrivilegeEscalation = true }, /allowPrivilegeEscalation/],
  ['token mounted', 'POD_SECURITY', (b) => { pod(b, 'nodeapp').automountServiceAccountToken = true }, /automountServiceAccountToken/],
  ['grace period shorter than the drain', 'POD_SHUTDOWN', (b) => { pod(b, 'nodeapp').terminationGracePeriodSeconds = 20 }, /terminationGracePeriodSeconds 20 </],
  ['grace period shorter than daprd', 'POD_SHUTDOWN', (b) => { ann(b, 'generator')['dapr.io/graceful-shutdown-seconds'] = '30' }, /daprd block 15 \+ graceful 30/],
  ['preStop shorter than deregistration', 'POD_SHUTDOWN', (b) => { ctr(b, 'nodeapp').lifecycle.preStop.sleep.seconds = 5 }, /must exceed Service\/nodeapp-public's deregistration delay 10s/],
  ['app drain longer than the grace period', 'POD_SHUTDOWN', (b) => { env(b, 'nodeapp', 'CLOSE_GRACE_DELAY_MS').value = '30000' }, /preStop 15 \+ app drain 30/],
  ['daprd stops before the app drained', 'POD_SHUTDOWN', (b) => { ann(b, 'nodeapp')['dapr.io/block-shutdown-duration'] = '5s' }, /ends before the app has drained/],
  ['no zone spread', 'POD_SPREAD', (b) => { delete pod(b, 'nodeapp').topologySpreadConstraints }, /topology\.kubernetes\.io\/zone/],
  ['spread on other pods', 'POD_SPREAD', (b) => { pod(b, 'generator').topologySpreadConstraints[1].labelSelector.matchLabels['app.kubernetes.io/name'] = 'nodeapp' }, /selects other pods/],

  // Images and env
  ['latest tag', 'IMAGE_PINNED', (b) => { b.kustomization.images[0].newTag = 'latest'; ctr(b, 'nodeapp').image = ctr(b, 'nodeapp').image.replace(/:[^:]+$/, ':latest') }, /newTag or digest/],
  ['no registry (images block missed it)', 'IMAGE_PINNED', (b) => { ctr(b, 'generator').image = 'orders-on-dapr/generator' }, /has no registry host/],
  ['images block matching nothing', 'IMAGE_PINNED', (b) => { b.kustomization.images[1].name = 'orders-on-dapr/gen' }, /images orders-on-dapr\/gen matches no container/],
  ['PORT differs from app-port', 'WORKLOAD_ENV', (b) => { env(b, 'nodeapp', 'PORT').value = '3001' }, /PORT 3001 differs from dapr\.io\/app-port 3000/],
  ['app channel on every interface', 'WORKLOAD_ENV', (b) => { env(b, 'nodeapp', 'HOST').value = '0.0.0.0' }, /HOST 0\.0\.0\.0: the Dapr app channel must listen on 127\.0\.0\.1/],
  ['no explicit HOST', 'WORKLOAD_ENV', (b) => { const c = ctr(b, 'generator'); c.env = c.env.filter((e: Json) => e.name !== 'HOST') }, /HOST must be set explicitly/],
  ['public key from the app token', 'WORKLOAD_ENV', (b) => { env(b, 'nodeapp', 'PUBLIC_API_KEY').valueFrom.secretKeyRef.name = 'app-api-token' }, /PUBLIC_API_KEY reads Secret app-api-token, a Dapr token/],
  ['public listener on loopback', 'WORKLOAD_ENV', (b) => { env(b, 'nodeapp', 'PUBLIC_HOST').value = '127.0.0.1' }, /PUBLIC_HOST must be 0\.0\.0\.0/],
  ['target app id unknown', 'WORKLOAD_ENV', (b) => { env(b, 'generator', 'TARGET_APP_ID').value = 'orders' }, /TARGET_APP_ID orders is not a deployed app id/],
  ['no APP_API_TOKEN on the callee', 'WORKLOAD_ENV', (b) => { const c = ctr(b, 'nodeapp'); c.env = c.env.filter((e: Json) => e.name !== 'APP_API_TOKEN') }, /APP_API_TOKEN must come from/],
  ['DAPR_API_TOKEN from the wrong key', 'WORKLOAD_ENV', (b) => { env(b, 'generator', 'DAPR_API_TOKEN').valueFrom.secretKeyRef.key = 'value' }, /DAPR_API_TOKEN must come from/],
  ['overriding DAPR_HTTP_PORT', 'WORKLOAD_ENV', (b) => { ctr(b, 'generator').env.push({ name: 'DAPR_HTTP_PORT', value: '3500' }) }, /set by the injector/],

  // Services, PDB/HPA, NetworkPolicies, namespace, service accounts, secrets
  ['NLB health check on liveness', 'SERVICE_NLB', (b) => { svc(b).metadata.annotations[lbAnn(b, 'healthcheck-path')] = '/healthz' }, /healthcheck-path \/healthz differs/],
  ['internal scheme', 'SERVICE_NLB', (b) => { svc(b).metadata.annotations[lbAnn(b, 'scheme')] = 'internal' }, /internet-facing/],
  ['instance targets', 'SERVICE_NLB', (b) => { svc(b).metadata.annotations[lbAnn(b, 'nlb-target-type')] = 'instance' }, /nlb-target-type must be ip/],
  ['in-tree load balancer', 'SERVICE_NLB', (b) => { delete svc(b).spec.loadBalancerClass }, /loadBalancerClass/],
  ['a Service named like the Dapr one', 'SERVICE_NLB', (b) => { b.rendered.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'generator-dapr', namespace: 'orders' }, spec: { selector: { 'app.kubernetes.io/name': 'generator' }, ports: [{ port: 80 }] } }) }, /operator owns/],
  ['a second load balancer', 'SERVICE_NLB', (b) => { const s = structuredClone(svc(b)); s.metadata.name = 'generator-public'; s.spec.selector['app.kubernetes.io/name'] = 'generator'; b.rendered.push(s) }, /exactly one LoadBalancer Service, found 2/],
  ['NLB to the wrong port', 'SERVICE_NLB', (b) => { ctr(b, 'nodeapp').ports.push({ name: 'other', containerPort: 8081 }); svc(b).spec.ports[0].targetPort = 'other' }, /targetPort other is not the app's PUBLIC_PORT/],
  ['HPA on pod CPU', 'PDB_HPA', (b) => { const m = obj(b, 'HorizontalPodAutoscaler', 'nodeapp').spec.metrics[0]; m.type = 'Resource'; m.resource = { name: 'cpu', target: m.containerResource.target }; delete m.containerResource }, /ContainerResource cpu only/],
  ['HPA on a missing container', 'PDB_HPA', (b) => { obj(b, 'HorizontalPodAutoscaler', 'nodeapp').spec.metrics[0].containerResource.container = 'app' }, /measures container app/],
  ['replicas fight the HPA', 'PDB_HPA', (b) => { dep(b, 'nodeapp').spec.replicas = 2 }, /HPA owns the count/],
  ['no PDB', 'PDB_HPA', (b) => { b.rendered = b.rendered.filter((o) => !(o.kind === 'PodDisruptionBudget' && o.metadata.name === 'generator')) }, /0 PodDisruptionBudgets select it/],
  ['PDB blocking every eviction', 'PDB_HPA', (b) => { obj(b, 'PodDisruptionBudget', 'nodeapp').spec.minAvailable = 2 }, /minAvailable 2 must be below HPA minReplicas 2/],
  ['no default deny', 'NETPOL', (b) => { b.rendered = b.rendered.filter((o) => o.metadata?.name !== 'default-deny') }, /no default-deny policy/],
  ['generator cannot reach nodeapp\'s daprd', 'NETPOL', (b) => { netpol(b, 'nodeapp-ingress').ingress.shift() }, /generator invokes nodeapp but daprd's 50002 is closed/],
  ['50002 open against the ACL direction', 'NETPOL', (b) => { netpol(b, 'generator-ingress').ingress.push({ from: [{ podSelector: { matchLabels: { 'dapr.io/app-id': 'nodeapp' } } }], ports: [{ port: 50002, protocol: 'TCP' }] }) }, /50002 is open to nodeapp, which the ACL does not let call generator/],
  ['caller egress closed', 'NETPOL', (b) => { b.rendered = b.rendered.filter((o) => o.metadata?.name !== 'generator-egress-invoke') }, /egress to nodeapp's daprd on 50002 is closed/],
  ['no metrics scraping', 'NETPOL', (b) => { netpol(b, 'generator-ingress').ingress = [] }, /Prometheus/],
  ['NLB cannot reach the public port', 'NETPOL', (b) => { netpol(b, 'nodeapp-ingress').ingress[1].ports[0].port = 8081 }, /public subnet 10\.0\.0\.0\/19 cannot reach the public port 8080/],
  ['public port open to the VPC', 'NETPOL', (b) => { netpol(b, 'nodeapp-ingress').ingress[1].from[0].ipBlock.cidr = '10.0.0.0/16' }, /open to 10\.0\.0\.0\/16, outside the NLB's public subnets/],
  ['ipBlock outside the VPC', 'NETPOL', (b) => { netpol(b, 'nodeapp-ingress').ingress[1].from[0].ipBlock.cidr = '0.0.0.0/0' }, /ipBlock 0\.0\.0\.0\/0 is not inside the VPC/],
  ['generator app port open', 'NETPOL', (b) => { netpol(b, 'generator-ingress').ingress.push({ from: [{ ipBlock: { cidr: '10.0.0.0/16' } }], ports: [{ port: 3001, protocol: 'TCP' }] }) }, /app channel 3001 is open/],
  ['no cache egress', 'NETPOL', (b) => { netpol(b, 'dapr-egress').egress.splice(2, 1) }, /no egress to the cache on 6379/],
  ['no DNS', 'NETPOL', (b) => { netpol(b, 'dapr-egress').egress.shift() }, /no DNS egress/],
  ['no Sentry', 'NETPOL', (b) => { netpol(b, 'dapr-egress').egress[1].ports.shift() }, /dapr-system on 50001/],

  // The apps' /metrics
  ['not scraped', 'METRICS', (b) => { delete ann(b, 'generator')['prometheus.io/scrape'] }, /prometheus\.io\/scrape must be "true"/],
  ['scraped on another path', 'METRICS', (b) => { ann(b, 'nodeapp')['prometheus.io/path'] = '/' }, /prometheus\.io\/path \/ is not \/metrics/],
  ['scrape port not declared', 'METRICS', (b) => { ctr(b, 'nodeapp').ports.pop() }, /prometheus\.io\/port 9464 is not a declared containerPort/],
  ['METRICS_PORT differs from the scrape port', 'METRICS', (b) => { env(b, 'generator', 'METRICS_PORT').value = '9465' }, /METRICS_PORT 9465 differs from prometheus\.io\/port 9464/],
  ['metrics on the app port', 'METRICS', (b) => { ann(b, 'generator')['prometheus.io/port'] = '3001'; env(b, 'generator', 'METRICS_PORT').value = '3001' }, /metrics port 3001 is the app port/],
  ['scraper blocked', 'METRICS', (b) => { netpol(b, 'nodeapp-ingress').ingress[2].ports.pop() }, /cannot reach \/metrics on 9464/],
  ['metrics open to the NLB', 'METRICS', (b) => { netpol(b, 'nodeapp-ingress').ingress[1].ports.push({ port: 9464, protocol: 'TCP' }) }, /metrics port 9464 is open to the VPC/],
  ['baseline Pod Security', 'NAMESPACE', (b) => { obj(b, 'Namespace', 'orders').metadata.labels['pod-security.kubernetes.io/enforce'] = 'baseline' }, /enforce must be restricted/],
  ['no readiness gate', 'NAMESPACE', (b) => { delete obj(b, 'Namespace', 'orders').metadata.labels['elbv2.k8s.aws/pod-readiness-gate-inject'] }, /pod-readiness-gate-inject/],
  ['object in another namespace', 'NAMESPACE', (b) => { obj(b, 'Component', 'statestore').metadata.namespace = 'default' }, /namespace default is not orders/],
  ['SA mounts its token', 'SERVICEACCOUNT', (b) => { obj(b, 'ServiceAccount', 'generator').automountServiceAccountToken = true }, /automountServiceAccountToken must be false/],
  ['default service account', 'SERVICEACCOUNT', (b) => { pod(b, 'generator').serviceAccountName = 'default' }, /default is not a rendered ServiceAccount/],
  ['shared service account', 'SERVICEACCOUNT', (b) => { pod(b, 'generator').serviceAccountName = 'nodeapp' }, /is shared/],
  ['a Secret in the render', 'SECRETS', (b) => { b.rendered.push(structuredClone(obj(b.secretsExample, 'Secret', 'app-api-token'))) }, /must not be rendered from git/],
  ['example missing a key', 'SECRETS', (b) => { const s = obj(b.secretsExample, 'Secret', 'elasticache-dapr'); s.stringData.pass = s.stringData.password; delete s.stringData.password }, /key password is read by the manifests but missing/],
  ['example missing a Secret', 'SECRETS', (b) => { b.secretsExample = b.secretsExample.filter((s) => s.metadata.name !== 'app-api-token') }, /app-api-token is referenced but has no example/],
  ['example applied by kustomize', 'SECRETS', (b) => { b.kustomization.resources.push('secrets.example.yaml') }, /must not be a resource/],

  // Cross-file
  ['dapr.yaml app id differs', 'CROSS_APP_IDS', (b) => { b.runFile.apps[0].appID = 'orders' }, /app ids generator, orders differ from the Deployments' generator, nodeapp/],
  ['component scoped to one app', 'CROSS_APP_IDS', (b) => { obj(b, 'Component', 'statestore').scopes = ['nodeapp'] }, /scopes nodeapp differ/],
  ['local component scoped differently', 'CROSS_APP_IDS', (b) => { const l = b.localDapr.find((d) => d.obj.kind === 'Component'); if (l) l.obj.scopes = ['orders', 'generator'] }, /scopes generator, orders differ/],
  ['app container not named after the app', 'CROSS_APP_IDS', (b) => { ctr(b, 'generator').name = 'app' }, /named after the app id generator/],
  ['dapr.yaml appPort differs', 'CROSS_PORTS', (b) => { b.runFile.apps[0].appPort = 3005 }, /nodeapp: appPort 3005 but dapr\.io\/app-port 3000/],
  ['dapr.yaml PORT differs', 'CROSS_PORTS', (b) => { b.runFile.apps[0].env.PORT = '3005' }, /env PORT 3005/],
  ['config name not rendered', 'CROSS_CONFIG', (b) => { ann(b, 'nodeapp')['dapr.io/config'] = 'nodeapp-cfg' }, /nodeapp-cfg is not a rendered Configuration/],
  ['ACL in the local Configuration', 'CROSS_CONFIG', (b) => { if (b.localConfigFile) b.localConfigFile.obj.spec.accessControl = { defaultAction: 'deny' } }, /no Sentry locally/],
  ['run file config path broken', 'CROSS_CONFIG', (b) => { b.localConfigFile = null; b.runFile.common.configFilePath = './components/missing.yaml' }, /missing\.yaml is not a Configuration/],
  ['EKS store renamed', 'CROSS_COMPONENT_NAMES', (b) => { obj(b, 'Component', 'statestore').metadata.name = 'orderstore' }, /local component statestore has no EKS counterpart/],
  ['dapr.yaml store name differs', 'CROSS_COMPONENT_NAMES', (b) => { b.runFile.common.env.STATE_STORE_NAME = 'orders' }, /STATE_STORE_NAME orders is not an EKS component/],
  ['Deployment store name differs from dapr.yaml', 'CROSS_COMPONENT_NAMES', (b) => { b.runFile.common.env.STATE_STORE_NAME = 'statestore2'; obj(b, 'Component', 'statestore').metadata.name = 'statestore2' }, /STATE_STORE_NAME statestore differs from dapr\.yaml's statestore2/],
  ['resiliency for an app nobody calls', 'CROSS_RESILIENCY_TARGETS', (b) => { const a = obj(b, 'Resiliency', 'resiliency').spec.targets.apps; a.orders = a.nodeapp; delete a.nodeapp }, /targets\.apps\.orders is not an app/],
  ['store without resiliency', 'CROSS_RESILIENCY_TARGETS', (b) => { delete obj(b, 'Resiliency', 'resiliency').spec.targets.components.statestore }, /component statestore has no resiliency target/],
  ['resiliency for a missing component', 'CROSS_RESILIENCY_TARGETS', (b) => { const c = obj(b, 'Resiliency', 'resiliency').spec.targets.components; c.pubsub = c.statestore }, /targets\.components\.pubsub is not a Component/],
  ['pod uid differs from the image', 'CROSS_UID', (b) => { pod(b, 'nodeapp').securityContext.runAsUser = 65532 }, /differ from the Dockerfile's USER 1000:1000/],

  // manifests/cluster
  ['NetworkPolicies not enforced', 'CLUSTER', (b) => { b.cluster.addons[0].configurationValues = 'enableNetworkPolicy: "false"' }, /enableNetworkPolicy "true"/],
  ['no Pod Identity agent', 'CLUSTER', (b) => { b.cluster.addons = b.cluster.addons.filter((a: Json) => a.name !== 'eks-pod-identity-agent') }, /eks-pod-identity-agent/],
  ['controller SA name differs', 'CLUSTER', (b) => { b.lbcValues.serviceAccount.name = 'lbc' }, /no Pod Identity association for kube-system\/lbc/],
  ['controller creates its own SA', 'CLUSTER', (b) => { b.lbcValues.serviceAccount.create = true }, /serviceAccount\.create must be false/],
  ['controller for another cluster', 'CLUSTER', (b) => { b.lbcValues.clusterName = 'shop' }, /clusterName shop differs/],
  ['VPC CIDR differs from the policies', 'NETPOL', (b) => { b.cluster.vpc.cidr = '192.168.0.0/16' }, /ipBlock 10\.0\.0\.0\/19 is not inside the VPC 192\.168\.0\.0\/16/],
  ['Pod Security version differs from the cluster', 'CLUSTER', (b) => { b.cluster.metadata.version = '1.34' }, /Kubernetes 1\.34 but the namespace enforces Pod Security v1\.35/],
  ['Kubernetes past standard support', 'CLUSTER', (b) => { b.cluster.metadata.version = '1.33' }, /1\.33 is not an EKS version in standard support/],
  ['Dapr not HA', 'CLUSTER', (b) => { b.daprValues.global.ha.enabled = false }, /ha\.enabled/],
  ['Dapr version unpinned', 'CLUSTER', (b) => { b.daprValues.global.tag = '1.18' }, /pin one Dapr 1\.x\.y/],
  ['sidecar keeps capabilities', 'CLUSTER', (b) => { b.daprValues.dapr_sidecar_injector.sidecarDropALLCapabilities = false }, /sidecarDropALLCapabilities/],
  ['scheduler on an undefined StorageClass', 'CLUSTER', (b) => { b.daprValues.dapr_scheduler.cluster.storageClassName = 'gp2' }, /storageClassName gp2/],

  // Dockerfile and .dockerignore
  ['floating base tag', 'DOCKERFILE_FROM', docker('FROM node:24.21.0-bookworm-slim AS build', 'FROM node:24-bookworm-slim AS build'), /node:24-bookworm-slim: pin a full version/],
  ['latest base', 'DOCKERFILE_FROM', docker('FROM node:24.21.0-bookworm-slim AS runtime', 'FROM node:latest AS runtime'), /node:latest: pin/],
  ['other Node major', 'DOCKERFILE_FROM', docker('FROM node:24.21.0-bookworm-slim AS runtime', 'FROM node:22.11.0-bookworm-slim AS runtime'), /target Node 24/],
  ['base from a build arg', 'DOCKERFILE_FROM', docker('FROM node:24.21.0-bookworm-slim AS build', 'ARG BASE=node:24.21.0-bookworm-slim\nFROM $BASE AS build'), /use a literal, pinned image/],
  ['named USER', 'DOCKERFILE_USER', docker('USER 1000:1000', 'USER node'), /numeric non-root USER/],
  ['root USER', 'DOCKERFILE_USER', docker('USER 1000:1000', 'USER 0'), /numeric non-root USER/],
  ['no USER', 'DOCKERFILE_USER', docker(/^USER .*$/m, ''), /numeric non-root USER/],
  ['shell-form CMD', 'DOCKERFILE_CMD', docker(/^CMD .*$/m, 'CMD node server.js'), /exec form/],
  ['npm start', 'DOCKERFILE_CMD', docker(/^CMD .*$/m, 'CMD ["npm", "start"]'), /run node directly, never npm/],
  ['npm install', 'DOCKERFILE_NPM', docker('npm ci --ignore-scripts --no-audit --no-fund\n', 'npm install --no-audit --no-fund\n'), /use npm ci/],
  ['install scripts in the build stage', 'DOCKERFILE_NPM', docker('npm ci --ignore-scripts --no-audit --no-fund\n', 'npm ci --no-audit --no-fund\n'), /must pass --ignore-scripts/],
  ['dev deps at runtime', 'DOCKERFILE_NPM', docker('npm ci --omit=dev', 'npm ci'), /production deps only/],
  ['npm left in the image', 'DOCKERFILE_NPM', docker('rm -rf /usr/local/lib/node_modules/npm ', 'rm -rf '), /delete npm/],
  ['no build stage', 'DOCKERFILE_NPM', docker('RUN npm run build\n', ''), /npm run build/],
  ['default service changed', 'DOCKERFILE_SERVICE', docker('ARG SERVICE=order', 'ARG SERVICE=generator'), /ARG SERVICE=order/],
  ['entrypoint not selected by SERVICE', 'DOCKERFILE_SERVICE', docker(/^RUN test -f .*$/m, 'RUN ln -s dist/order/server.js /app/server.js'), /must run dist\/\$\{SERVICE\}\/server\.js/],
  ['sources excluded from the context', 'DOCKERIGNORE', (b) => { b.dockerignore += '\nsrc\n' }, /COPY src .* is excluded/],
  ['everything sent to the context', 'DOCKERIGNORE', (b) => { b.dockerignore = replace(b.dockerignore, /^\*$/m, '') }, /node_modules\/x\/index\.js would be sent/],

  // docs/deploy-eks.md
  ['docs install another Dapr', 'DOCS', (b) => { b.docs = replace(b.docs, 'dapr/dapr --version 1.18.3', 'dapr/dapr --version 1.17.0') }, /installs Dapr 1\.17\.0, dapr-values\.yaml pins 1\.18\.3/],
  ['docs create a Secret without a key', 'DOCS', (b) => { b.docs = replace(b.docs, '--from-literal=password=', '--from-literal=pass=') }, /elasticache-dapr is created without key password/],
  ['docs create a Secret under another name', 'DOCS', (b) => { b.docs = replace(b.docs, 'create secret generic app-api-token', 'create secret generic app-token') }, /no `kubectl --namespace orders create secret generic app-api-token`/],
  ['docs skip kustomize', 'DOCS', (b) => { b.docs = replace(b.docs, /kubectl apply -k manifests/g, 'kubectl apply -f manifests') }, /kubectl apply -k manifests/],
  ['docs push under another image name', 'DOCS', (b) => { b.docs = replace(b.docs, /orders-on-dapr\/generator:/g, 'orders/generator:') }, /orders-on-dapr\/generator:/],
  ['docs look up another Service', 'DOCS', (b) => { b.docs = replace(b.docs, 'service nodeapp-public', 'service nodeapp') }, /service nodeapp-public/],
  ['old Node 24 base', 'DOCKERFILE_FROM', docker('FROM node:24.21.0-bookworm-slim AS runtime', 'FROM node:24.11.1-bookworm-slim AS runtime'), /older than Node 24\.21\.0/]
]

const status = await kubectlStatus()
if (!status.ok) {
  if (process.env.CI) t.fail(status.reason)
  else t.plan(0, `skipped: ${status.reason}`)
} else {
  const good = await loadBundle()

  t.test('every check code has at least one failing case', async (t) => {
    const covered = new Set(cases.map((c) => c[1]))
    const source = await readFile(path.join(repoRoot, 'scripts', 'validate-deploy', 'bundle.ts'), 'utf8')
    const fixtureCodes = await readdir(path.join(repoRoot, 'test', 'fixtures', 'manifests', 'reject'))
    for (const f of fixtureCodes) covered.add((await loadFixture(path.join(repoRoot, 'test', 'fixtures', 'manifests', 'reject', f))).code)
    const declared = /export type CheckCode =([^]*?)\n\n/.exec(source)?.[1] ?? ''
    const codes = [...declared.matchAll(/'([A-Z0-9_]+)'/g)].map((m) => m[1])
    // Parse and render failures are thrown by the loaders and tested in render.test.ts.
    const missing = codes.filter((c) => c !== undefined && !covered.has(c as CheckCode) && c !== 'YAML_PARSE' && c !== 'KUSTOMIZE_BUILD')
    t.ok(codes.length > 40, `found ${codes.length} codes`)
    t.same(missing, [], 'no check without a case')
  })

  for (const [name, code, mutate, message] of cases) {
    t.test(`${code}: ${name}`, async (t) => {
      const b = structuredClone(good)
      mutate(b)
      const issues = validateBundle(b)
      const hits = issues.filter((i) => i.check === code)
      t.ok(hits.length > 0, `${code} fires`)
      t.ok(hits.some((i) => message.test(i.message)), `a ${code} issue matches ${message}: ${JSON.stringify(hits.map((i) => i.message))}`)
    })
  }

  t.test('an unquoted annotation in YAML fails both the schema and the annotation check', async (t) => {
    const text = await readFile(path.join(repoRoot, 'test', 'fixtures', 'manifests', 'unquoted-annotation.yaml'), 'utf8')
    const [bad] = parseYamlDocs(text, 'unquoted-annotation.yaml')
    const b = structuredClone(good)
    b.rendered = b.rendered.map((o) => o.kind === 'Deployment' && o.metadata.name === 'nodeapp' ? bad : o)
    const issues = validateBundle(b)
    t.ok(issues.some((i) => i.check === 'DAPR_ANNOTATION_VALUE' && /app-port must be a string, got number 3000/.test(i.message)))
    t.ok(issues.some((i) => i.check === 'K8S_SCHEMA' && /dapr\.io~1app-port must be string/.test(i.message)))
  })

  t.test('the mutations did not leak into the shared bundle', async (t) => {
    t.same(validateBundle(good), [])
  })
}

t.test('parseCodes reads daprd\'s code lists and refuses what daprd refuses', async (t) => {
  t.same(parseCodes('429,502-504'), [429, 502, 503, 504])
  t.same(parseCodes('14,'), [14], 'empty parts are ignored, as in daprd')
  t.equal(parseCodes('UNAVAILABLE'), null)
  t.equal(parseCodes('504-502'), null)
  t.equal(parseCodes('1-2-3'), null)
})
