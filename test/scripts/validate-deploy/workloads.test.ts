// Workloads, on small hand-made Deployments: probes, resources, Pod Security, the shutdown
// timeline, zone spread, pinned images, the env the services read, PDBs and the HPA.
import t from 'tap'
import type { DeployBundle, Issue, Json } from '../../../scripts/validate-deploy/bundle.js'
import { checkImages, checkPdbHpa, checkProbes, checkResources, checkSecurity, checkShutdown, checkSpread, checkWorkloadEnv } from '../../../scripts/validate-deploy/workloads.js'
import { committed, copy, empty, obj, withCommittedTree } from './helpers.js'

const { bundle: good, reason } = await committed()
const line = (i: Issue): string => `${i.check} ${i.where} ${i.message}`
const with_ = (...rendered: Json[]): DeployBundle => ({ ...empty(), rendered })
const dep = (name: string, pod: Json = {}, annotations: Json = {}, extra: Json = {}): Json => ({
  kind: 'Deployment',
  metadata: { name },
  spec: { ...extra, template: { metadata: { labels: { app: name }, annotations: { 'dapr.io/app-id': name, ...annotations } }, spec: pod } }
})
const probe = (path: string, port: Json): Json => ({ httpGet: { path, port } })

t.test('probes', async (t) => {
  const c = (name: string, probes: Json): Json => ({ name, ports: [{ name: 'http', containerPort: 3000 }], ...probes })
  const b = with_(dep('a', {
    containers: [
      c('ok', { startupProbe: probe('/healthz', 'http'), livenessProbe: probe('/healthz', 3000), readinessProbe: probe('/readyz', 'http') }),
      c('bad', { startupProbe: { exec: {} }, livenessProbe: probe('/readyz', 3000), readinessProbe: probe('/readyz', 9999) })
    ]
  }))
  t.same(checkProbes(b).map(line), [
    'POD_PROBES Deployment/a container bad has no startupProbe httpGet',
    'POD_PROBES Deployment/a container bad livenessProbe must GET /healthz, not /readyz',
    'POD_PROBES Deployment/a container bad readinessProbe port 9999 is not a container port'
  ])
})

t.test('resources', async (t) => {
  const b = with_(dep('a', { containers: [{ name: 'ok', resources: { requests: { cpu: '100m', memory: '1Mi' }, limits: { memory: '1Mi' } } }, { name: 'bare' }] }))
  t.same(checkResources(b).map(line), [
    'POD_RESOURCES Deployment/a container bare has no resources.requests.cpu',
    'POD_RESOURCES Deployment/a container bare has no resources.requests.memory',
    'POD_RESOURCES Deployment/a container bare has no resources.limits.memory'
  ])
})

t.test('Pod Security', async (t) => {
  const safe = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } }
  const b = with_(
    dep('bare', { containers: [{ name: 'c' }] }),
    dep('mixed', {
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: 'ok', securityContext: { ...safe, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } } }, { name: 'root', securityContext: { ...safe, runAsUser: 0, privileged: true, capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] }, seccompProfile: { type: 'Unconfined' } } }],
      initContainers: [{ name: 'init', securityContext: safe }]
    }),
    dep('uid-zero', { automountServiceAccountToken: false, securityContext: { runAsNonRoot: true, runAsUser: 0, seccompProfile: { type: 'RuntimeDefault' } }, containers: [] })
  )
  t.same(checkSecurity(b).map(line), [
    'POD_SECURITY Deployment/bare automountServiceAccountToken must be false',
    'POD_SECURITY Deployment/bare pod runAsNonRoot must be true',
    'POD_SECURITY Deployment/bare pod runAsUser must be a numeric non-root uid',
    'POD_SECURITY Deployment/bare pod seccompProfile must be RuntimeDefault (daprd inherits it)',
    'POD_SECURITY Deployment/bare container c: allowPrivilegeEscalation must be false',
    'POD_SECURITY Deployment/bare container c: readOnlyRootFilesystem must be true',
    'POD_SECURITY Deployment/bare container c: capabilities must drop ALL',
    'POD_SECURITY Deployment/mixed container root: must add no capabilities',
    'POD_SECURITY Deployment/mixed container root: must not be privileged',
    'POD_SECURITY Deployment/mixed container root: runAsUser must be a non-root uid',
    'POD_SECURITY Deployment/mixed container root: seccompProfile must be RuntimeDefault',
    'POD_SECURITY Deployment/uid-zero pod runAsUser must be a numeric non-root uid'
  ])
  const text = with_(dep('x', { automountServiceAccountToken: false, securityContext: { runAsNonRoot: true, runAsUser: '1000', seccompProfile: { type: 'RuntimeDefault' } }, containers: [{ name: 'c', securityContext: { ...safe, runAsUser: '1000' } }] }))
  t.same(checkSecurity(text).map((i) => i.message), ['pod runAsUser must be a numeric non-root uid', 'container c: runAsUser must be a non-root uid'], 'a uid in quotes is no uid')
})

t.test('the shutdown timeline', async (t) => {
  const lb = (name: string, attrs?: string): Json => ({
    kind: 'Service',
    metadata: { name, annotations: attrs === undefined ? {} : { 'service.beta.kubernetes.io/aws-load-balancer-target-group-attributes': attrs } },
    spec: { type: 'LoadBalancer', selector: { app: 'public' } }
  })
  const app = (name: string, grace: number | undefined, preStop: number | undefined, annotations: Json = {}, env: Json[] = []): Json =>
    dep(name, { terminationGracePeriodSeconds: grace, containers: [{ name, env, lifecycle: preStop === undefined ? undefined : { preStop: { sleep: { seconds: preStop } } } }] }, annotations)
  const b = with_(
    app('defaults', undefined, undefined), // 30 >= 0 + 10 + 5 and 30 >= 0 + 5 + 5
    app('short', 12, 5, { 'dapr.io/graceful-shutdown-seconds': '10' }),
    app('block', 60, 15, { 'dapr.io/block-shutdown-duration': '20s' }, [{ name: 'CLOSE_GRACE_DELAY_MS', value: '8000' }]),
    app('public', 60, 10, { 'dapr.io/block-shutdown-duration': '30s' }),
    lb('nlb', 'preserve_client_ip.enabled=false,deregistration_delay.timeout_seconds=10'),
    lb('bare'),
    { kind: 'Service', metadata: { name: 'internal' }, spec: { selector: { app: 'public' } } }
  )
  t.same(checkShutdown(b).map(line), [
    'POD_SHUTDOWN Deployment/short terminationGracePeriodSeconds 12 < preStop 5 + app drain 10 + margin 5',
    'POD_SHUTDOWN Deployment/short terminationGracePeriodSeconds 12 < daprd block 0 + graceful 10 + margin 5',
    'POD_SHUTDOWN Deployment/block block-shutdown-duration 20s ends before the app has drained (23s)',
    'POD_SHUTDOWN Deployment/public preStop sleep 10s must exceed Service/nlb\'s deregistration delay 10s',
    'POD_SHUTDOWN Deployment/public Service/bare sets no deregistration_delay.timeout_seconds'
  ])
  t.same(checkShutdown(with_(app('nan', 30, 0, {}, [{ name: 'CLOSE_GRACE_DELAY_MS', value: 'soon' }]))).map((i) => i.message),
    ['terminationGracePeriodSeconds 30 < preStop 0 + app drain NaN + margin 5'], 'a drain that is not a number never fits')
})

t.test('zone spread', async (t) => {
  const b = with_(
    dep('a', { topologySpreadConstraints: [{ topologyKey: 'topology.kubernetes.io/zone', labelSelector: { matchLabels: { app: 'a' } } }, { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'b' } } }] }),
    dep('b', {})
  )
  t.same(checkSpread(b).map(line), [
    'POD_SPREAD Deployment/a spread on kubernetes.io/hostname selects other pods than this Deployment\'s',
    'POD_SPREAD Deployment/b no topologySpreadConstraint across topology.kubernetes.io/zone'
  ])
})

t.test('images', async (t) => {
  const b = with_(dep('a', {
    containers: [
      { name: 'ok', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/orders-on-dapr/order:0.1.0' },
      { name: 'digest', image: `orders-on-dapr/order@sha256:${'c'.repeat(64)}` },
      { name: 'hub', image: 'orders-on-dapr/generator:latest' },
      { name: 'local', image: 'localhost:5000/busybox' },
      { name: 'none' }
    ]
  }))
  b.kustomization = { images: [{ name: 'orders-on-dapr/order', newTag: '0.1.0' }, { name: 'orders-on-dapr/generator', newTag: 'latest' }, { name: 'busybox', digest: 'sha256:x' }, { name: 'unused', newTag: '' }, { name: 'untagged' }] }
  t.same(checkImages(b).map(line), [
    'IMAGE_PINNED manifests/kustomization.yaml images orders-on-dapr/generator: needs a fixed newTag or digest',
    'IMAGE_PINNED manifests/kustomization.yaml images unused: needs a fixed newTag or digest',
    'IMAGE_PINNED manifests/kustomization.yaml images untagged: needs a fixed newTag or digest',
    'IMAGE_PINNED Deployment/a container hub image orders-on-dapr/generator:latest: has no registry host (is the kustomize images block matching it?)',
    'IMAGE_PINNED Deployment/a container hub image orders-on-dapr/generator:latest: must have a fixed tag, never latest',
    'IMAGE_PINNED Deployment/a container local image localhost:5000/busybox: must have a fixed tag, never latest',
    'IMAGE_PINNED Deployment/a container none image : has no registry host (is the kustomize images block matching it?)',
    'IMAGE_PINNED Deployment/a container none image : must have a fixed tag, never latest',
    'IMAGE_PINNED manifests/kustomization.yaml images orders-on-dapr/generator matches no container',
    'IMAGE_PINNED manifests/kustomization.yaml images unused matches no container',
    'IMAGE_PINNED manifests/kustomization.yaml images untagged matches no container'
  ])
})

t.test('the env the services read', async (t) => {
  const tokens = { 'dapr.io/api-token-secret': 'dapr-api-token', 'dapr.io/app-token-secret': 'app-token', 'dapr.io/app-port': '3000' }
  const secret = (name: string, key = 'token'): Json => ({ secretKeyRef: { name, key } })
  const env = (vars: Record<string, Json>): Json[] => Object.entries(vars).map(([name, v]) => typeof v === 'string' ? { name, value: v } : { name, valueFrom: v })
  const ports = (...n: number[]): Json[] => n.map((containerPort) => ({ containerPort }))
  const b = with_(
    { kind: 'Component', metadata: { name: 'statestore' } },
    // The public app, right apart from what each case below breaks.
    dep('pub', { containers: [{ name: 'pub', ports: ports(8080, 3000), env: env({ PORT: '3000', HOST: '0.0.0.0', PUBLIC_PORT: '3000', PUBLIC_HOST: '::', PUBLIC_API_KEY: secret('app-token', 'key'), METRICS_PORT: '9464', DAPR_API_TOKEN: secret('dapr-api-token'), APP_API_TOKEN: secret('app-token', 'other'), STATE_STORE_NAME: 'store', DAPR_HTTP_PORT: '3500' }) }] }, tokens),
    dep('pub2', { containers: [{ name: 'pub2', ports: ports(8080), env: env({ PORT: '3000', HOST: '127.0.0.1', PUBLIC_PORT: '8081', PUBLIC_HOST: '0.0.0.0', PUBLIC_API_KEY: 'inline', METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0', DAPR_API_TOKEN: secret('dapr-api-token') }) }] }, tokens),
    dep('pub3', { containers: [{ name: 'pub3', ports: ports(8080), env: env({ PORT: '3000', HOST: '127.0.0.1', PUBLIC_PORT: '8080', PUBLIC_HOST: '0.0.0.0', PUBLIC_API_KEY: secret('dapr-api-token', 'k'), DAPR_API_TOKEN: secret('dapr-api-token') }) }] }, tokens),
    dep('ok', { containers: [{ name: 'ok', ports: ports(8080), env: env({ PORT: '3000', HOST: '127.0.0.1', PUBLIC_PORT: '8080', PUBLIC_HOST: '0.0.0.0', PUBLIC_API_KEY: secret('public-api-key', 'key'), APP_API_TOKEN: secret('app-token'), DAPR_API_TOKEN: secret('dapr-api-token'), STATE_STORE_NAME: 'statestore' }) }] }, tokens),
    // A private app: app channel on its container port.
    dep('priv', { containers: [{ name: 'priv', ports: ports(3001), env: env({ PORT: '3000', TARGET_APP_ID: 'pub', DAPR_API_TOKEN: secret('other') }) }] }, { ...tokens, 'dapr.io/app-port': '3001' }),
    dep('caller', { containers: [{ name: 'caller', ports: ports(3000), env: env({ PORT: '3000', HOST: '0.0.0.0', TARGET_APP_ID: 'ok', DAPR_API_TOKEN: secret('dapr-api-token') }) }] }, tokens),
    dep('fronted', { containers: [{ name: 'fronted', ports: ports(3000), env: env({ PORT: '3000', HOST: '0.0.0.0', TARGET_APP_ID: 'nobody', DAPR_API_TOKEN: secret('dapr-api-token') }) }] }, tokens),
    { kind: 'Service', metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', selector: { app: 'fronted' } } }
  )
  t.same(checkWorkloadEnv(b).map(line), [
    'WORKLOAD_ENV Deployment/pub HOST 0.0.0.0: the Dapr app channel must listen on 127.0.0.1 when the app has a public listener',
    'WORKLOAD_ENV Deployment/pub PORT 3000 (the loopback app channel) must not be a declared containerPort',
    'WORKLOAD_ENV Deployment/pub PUBLIC_PORT must differ from PORT (the app channel)',
    'WORKLOAD_ENV Deployment/pub PUBLIC_HOST must be 0.0.0.0 so the NLB and kubelet reach the public listener',
    'WORKLOAD_ENV Deployment/pub PUBLIC_API_KEY reads Secret app-token, a Dapr token; public clients need their own key',
    'WORKLOAD_ENV Deployment/pub METRICS_HOST must be 0.0.0.0 (HOST is loopback, and Prometheus scrapes the pod IP)',
    'WORKLOAD_ENV Deployment/pub STATE_STORE_NAME store is not a rendered Component',
    'WORKLOAD_ENV Deployment/pub APP_API_TOKEN must come from the dapr.io/app-token-secret Secret, key token (the app verifies daprd with it)',
    'WORKLOAD_ENV Deployment/pub DAPR_HTTP_PORT is set by the injector; do not override it',
    'WORKLOAD_ENV Deployment/pub2 PUBLIC_PORT 8081 is not a declared containerPort',
    'WORKLOAD_ENV Deployment/pub2 PUBLIC_API_KEY must come from a Secret (secretKeyRef)',
    'WORKLOAD_ENV Deployment/pub3 PUBLIC_API_KEY reads Secret dapr-api-token, a Dapr token; public clients need their own key',
    'WORKLOAD_ENV Deployment/priv PORT 3000 differs from dapr.io/app-port 3001',
    'WORKLOAD_ENV Deployment/priv HOST must be set explicitly (the services default to 127.0.0.1)',
    'WORKLOAD_ENV Deployment/priv PORT 3000 is not a declared containerPort',
    'WORKLOAD_ENV Deployment/priv DAPR_API_TOKEN must come from the dapr.io/api-token-secret Secret, key token',
    'WORKLOAD_ENV Deployment/fronted a load balancer fronts this app but it has no PUBLIC_PORT: the NLB would reach the Dapr app channel',
    'WORKLOAD_ENV Deployment/fronted TARGET_APP_ID nobody is not a deployed app id'
  ])
  const wrongKey = with_(dep('x', { containers: [{ name: 'x', env: env({ PORT: '1', HOST: '0.0.0.0', DAPR_API_TOKEN: secret('dapr-api-token', 'value') }), ports: ports(1) }] }, { ...tokens, 'dapr.io/app-port': '1' }),
    { kind: 'Deployment', metadata: { name: 'no-id' }, spec: { template: { spec: { containers: [{ name: 'y', env: env({ TARGET_APP_ID: 'x' }) }] } } } })
  t.same(checkWorkloadEnv(wrongKey).map(line)[0], 'WORKLOAD_ENV Deployment/x DAPR_API_TOKEN must come from the dapr.io/api-token-secret Secret, key token', 'the key must be token')
})

t.test('PDBs and the HPA', async (t) => {
  const pdb = (name: string, app: string, minAvailable?: number): Json => ({ kind: 'PodDisruptionBudget', metadata: { name }, spec: { selector: { matchLabels: { app } }, minAvailable } })
  const hpa = (name: string, target: string, metrics: Json[] | undefined, minReplicas?: number, kind = 'Deployment'): Json =>
    ({ kind: 'HorizontalPodAutoscaler', metadata: { name }, spec: { scaleTargetRef: { kind, name: target }, minReplicas, metrics } })
  const cpu = (container: string): Json => ({ type: 'ContainerResource', containerResource: { name: 'cpu', container } })
  const b = with_(
    dep('none', { containers: [{ name: 'none' }] }),
    dep('two', { containers: [{ name: 'two' }] }), pdb('two-a', 'two'), pdb('two-b', 'two'),
    dep('ok', { containers: [{ name: 'ok' }] }), pdb('ok', 'ok', 1), hpa('ok', 'ok', [cpu('ok')], 2),
    dep('bad', { containers: [{ name: 'bad' }] }, {}, { replicas: 2 }), pdb('bad', 'bad', 2),
    hpa('bad', 'bad', [cpu('daprd'), { type: 'Resource', resource: { name: 'cpu' } }, { type: 'ContainerResource', containerResource: { name: 'memory', container: 'bad' } }], 2),
    dep('empty', { containers: [{ name: 'empty' }] }), pdb('empty', 'empty', 1), hpa('empty', 'empty', undefined),
    dep('sts', { containers: [] }), pdb('sts', 'sts'), hpa('sts', 'sts', [], 1, 'StatefulSet')
  )
  t.same(checkPdbHpa(b).map(line), [
    'PDB_HPA Deployment/none 0 PodDisruptionBudgets select it, expected 1',
    'PDB_HPA Deployment/two 2 PodDisruptionBudgets select it, expected 1',
    'PDB_HPA Deployment/bad spec.replicas is set although an HPA owns the count (every apply would reset it)',
    'PDB_HPA Deployment/bad HorizontalPodAutoscaler/bad must scale on ContainerResource cpu only (a pod Resource metric averages in daprd)',
    'PDB_HPA Deployment/bad HorizontalPodAutoscaler/bad measures container daprd, which the pod does not have',
    'PDB_HPA Deployment/bad HorizontalPodAutoscaler/bad measures container undefined, which the pod does not have',
    'PDB_HPA Deployment/bad PDB minAvailable 2 must be below HPA minReplicas 2',
    'PDB_HPA Deployment/empty HorizontalPodAutoscaler/empty must scale on ContainerResource cpu only (a pod Resource metric averages in daprd)',
    'PDB_HPA Deployment/empty PDB minAvailable 1 must be below HPA minReplicas undefined'
  ], 'an HPA on another kind is not this Deployment\'s; minReplicas defaults to 1')
})

withCommittedTree(good, reason, (good) => {
  t.test('the committed tree passes', async (t) => {
    for (const check of [checkProbes, checkResources, checkSecurity, checkShutdown, checkSpread, checkImages, checkWorkloadEnv, checkPdbHpa]) t.same(check(good), [])
  })

  t.test('one mistake in the committed tree, one issue', async (t) => {
    const b = copy(good)
    obj(b.rendered, 'Deployment', 'nodeapp').spec.template.spec.terminationGracePeriodSeconds = 20
    t.match(checkShutdown(b).map(line), [/^POD_SHUTDOWN Deployment\/nodeapp terminationGracePeriodSeconds 20 < /])
  })
})
