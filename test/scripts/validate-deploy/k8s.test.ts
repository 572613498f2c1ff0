// Kubernetes objects: kubernetes-models schemas, unknown fields, the namespace, ServiceAccounts
// and Secrets. Each case breaks one thing and expects that exact issue.
import t from 'tap'
import type { DeployBundle, Issue, Json } from '../../../scripts/validate-deploy/bundle.js'
import { checkK8sSchema, checkK8sUnknownFields, checkNamespace, checkSecrets, checkServiceAccounts, K8S_KINDS } from '../../../scripts/validate-deploy/k8s.js'
import { committed, empty, obj, withCommittedTree, issuesAfter } from './helpers.js'

const { bundle: good, reason } = await committed()

const ns = (labels: Record<string, string>): Json => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'orders', labels } })
const okLabels = { 'pod-security.kubernetes.io/enforce': 'restricted', 'elbv2.k8s.aws/pod-readiness-gate-inject': 'enabled' }
const line = (i: Issue): string => `${i.check} ${i.where} ${i.message}`

t.test('schemas, on small objects', async (t) => {
  const b = empty()
  b.rendered = [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 'http' }] } },
    { apiVersion: 'dapr.io/v1alpha1', kind: 'Component', metadata: { name: 'dapr-is-not-k8s' } },
    { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'i' } }
  ]
  b.clusterObjects = [{ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'gp3' } }]
  b.secretsExample = [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' }, stringData: { token: 'a' } }]
  t.same(checkK8sSchema(b).map(line), [
    'K8S_SCHEMA Service/s /spec/ports/0/port must be integer',
    'K8S_UNKNOWN_KIND Ingress/i networking.k8s.io/v1/Ingress is not a kind this validator knows; add it to K8S_KINDS so it gets validated',
    'K8S_SCHEMA StorageClass/gp3 / must have required property provisioner'
  ])
})

t.test('unknown fields, on small objects', async (t) => {
  const b = empty()
  b.rendered = [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', labels: { any: 'label' }, annotaions: {} },
      spec: {
        replicas: 1,
        selector: [], // an array where an object belongs: the schema check reports it
        template: { metadata: { name: { not: 'a string' } }, spec: { automountServiceAccountToken: { not: 'a boolean' }, containers: [{ name: 'c', portz: [], ports: [{ containerPort: 1, nmae: 'x' }] }, null, 'text'] } }
      }
    },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringdata: {} },
    { apiVersion: 'example.com/v1', kind: 'Unknown', metadata: { name: 'u', whatever: 1 } }
  ]
  t.same(checkK8sUnknownFields(b).map(line), [
    'K8S_UNKNOWN_FIELD Deployment/d /metadata/annotaions is not a field of IObjectMeta',
    'K8S_UNKNOWN_FIELD Deployment/d /spec/template/spec/containers/0/portz is not a field of IContainer',
    'K8S_UNKNOWN_FIELD Deployment/d /spec/template/spec/containers/0/ports/0/nmae is not a field of IContainerPort',
    'K8S_UNKNOWN_FIELD Secret/s /stringdata is not a field of ISecret'
  ], 'label maps are free-form; primitives and unknown kinds are other checks\' job')
})

t.test('a kind whose model throws a plain error, or whose interface does not resolve', async (t) => {
  K8S_KINDS['example.com/v1/Broken'] = {
    model: class { validate (): void { throw new Error('model exploded') } },
    module: 'kubernetes-models/no/such/module',
    iface: 'INothing'
  }
  t.teardown(() => { delete K8S_KINDS['example.com/v1/Broken'] })
  const b = empty()
  b.rendered = [{ apiVersion: 'example.com/v1', kind: 'Broken', metadata: { name: 'b' } }]
  t.same(checkK8sSchema(b).map(line), ['K8S_SCHEMA Broken/b model exploded'])
  t.same(checkK8sUnknownFields(b).map(line), ['K8S_UNKNOWN_FIELD kubernetes-models some kubernetes-models interfaces did not resolve; unknown fields cannot be checked'])
})

t.test('namespace, on small objects', async (t) => {
  const b = empty()
  t.same(checkNamespace(b).map(line), [
    'NAMESPACE manifests/kustomization.yaml namespace must be orders',
    'NAMESPACE manifests/namespace.yaml no Namespace undefined'
  ])
  b.kustomization = { namespace: 'orders' }
  b.rendered = [ns({}), { kind: 'Service', metadata: { name: 's', namespace: 'default' } }, { kind: 'Service', metadata: { name: 't', namespace: 'orders' } }]
  t.same(checkNamespace(b).map(line), [
    'NAMESPACE Namespace/orders pod-security.kubernetes.io/enforce must be restricted',
    'NAMESPACE Namespace/orders elbv2.k8s.aws/pod-readiness-gate-inject must be enabled',
    'NAMESPACE Service/s namespace default is not orders'
  ])
  b.rendered = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'orders' } }]
  t.equal(checkNamespace(b).length, 2, 'a Namespace without labels')
  b.rendered = [ns(okLabels)]
  t.same(checkNamespace(b), [])
})

const deployment = (name: string, sa: string | undefined, extra: Json = {}): Json => ({
  kind: 'Deployment', metadata: { name }, spec: { template: { metadata: { annotations: extra.annotations ?? {} }, spec: { serviceAccountName: sa, containers: extra.containers ?? [] } } }
})

t.test('ServiceAccounts, on small objects', async (t) => {
  const b = empty()
  b.rendered = [
    { kind: 'ServiceAccount', metadata: { name: 'a' }, automountServiceAccountToken: false },
    { kind: 'ServiceAccount', metadata: { name: 'b' } },
    deployment('one', 'a'), deployment('two', 'a'), deployment('three', 'missing')
  ]
  t.same(checkServiceAccounts(b).map(line), [
    'SERVICEACCOUNT ServiceAccount/b automountServiceAccountToken must be false',
    'SERVICEACCOUNT Deployment/two ServiceAccount a is shared; give each app its own identity',
    'SERVICEACCOUNT Deployment/three serviceAccountName missing is not a rendered ServiceAccount'
  ])
})

t.test('Secrets, on small objects', async (t) => {
  const b = empty()
  b.kustomization = { resources: ['namespace.yaml', 'secrets.example.yaml'] }
  b.rendered = [
    { kind: 'Secret', metadata: { name: 'inline' } },
    { kind: 'Component', spec: { metadata: [{ name: 'redisPassword', secretKeyRef: { name: 'redis', key: 'password' } }, { name: 'keyPrefix', value: 'none' }] } },
    deployment('app', 'a', {
      annotations: { 'dapr.io/api-token-secret': 'dapr-api-token', 'dapr.io/app-token-secret': 'app-token' },
      containers: [{ env: [{ name: 'KEY', valueFrom: { secretKeyRef: { name: 'public', key: 'key' } } }, { name: 'PLAIN', value: '1' }] }]
    })
  ]
  b.secretsExample = [
    { kind: 'Secret', metadata: { name: 'redis', namespace: 'orders' }, data: { username: 'dQ==' } },
    { kind: 'Secret', metadata: { name: 'dapr-api-token', namespace: 'default' }, stringData: { token: 't' } },
    { kind: 'Secret', metadata: { name: 'public', namespace: 'orders' }, data: { key: 'a2V5' } },
    { kind: 'ConfigMap', metadata: { name: 'app-token' } }
  ]
  t.same(checkSecrets(b).map(line), [
    'SECRETS Secret/inline Secrets must not be rendered from git; create them with kubectl',
    'SECRETS manifests/kustomization.yaml secrets.example.yaml must not be a resource',
    'SECRETS Secret/redis key password is read by the manifests but missing from the example',
    'SECRETS Secret/dapr-api-token namespace must be orders',
    'SECRETS manifests/secrets.example.yaml Secret app-token is referenced but has no example'
  ])
})

withCommittedTree(good, reason, (good) => {
  const run = (mutate: (b: DeployBundle) => void, check: (b: DeployBundle) => Issue[]): string[] => issuesAfter(good, mutate, check).map(line)

  t.test('the committed tree passes', async (t) => {
    for (const check of [checkK8sSchema, checkK8sUnknownFields, checkNamespace, checkServiceAccounts, checkSecrets]) t.same(check(good), [])
  })

  t.test('one mistake in the committed tree, one issue', async (t) => {
    t.same(run((b) => { obj(b.rendered, 'Deployment', 'nodeapp').spec.template.spec.containers[0].ports[0].containerPort = '8080' }, checkK8sSchema),
      ['K8S_SCHEMA Deployment/nodeapp /spec/template/spec/containers/0/ports/0/containerPort must be integer'])
    t.same(run((b) => { obj(b.rendered, 'NetworkPolicy', 'default-deny').spec.ingres = [] }, checkK8sUnknownFields),
      ['K8S_UNKNOWN_FIELD NetworkPolicy/default-deny /spec/ingres is not a field of INetworkPolicySpec'])
    t.same(run((b) => { obj(b.rendered, 'Deployment', 'generator').spec.template.spec.serviceAccountName = 'nodeapp' }, checkServiceAccounts),
      ['SERVICEACCOUNT Deployment/nodeapp ServiceAccount nodeapp is shared; give each app its own identity'])
  })
})
