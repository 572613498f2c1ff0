// Cross-file agreement, on small hand-made bundles: app ids, ports, Configurations, component
// and resiliency names, the image's uid, the OTel egress and the ACL's trust domains.
import t from 'tap'
import type { DeployBundle, Issue, Json } from '../../../scripts/validate-deploy/bundle.js'
import {
  checkCrossAppIds, checkCrossComponentNames, checkCrossConfig, checkCrossOtel, checkCrossPorts, checkCrossResiliencyTargets, checkCrossTrustDomain, checkCrossUid
} from '../../../scripts/validate-deploy/cross.js'
import { committed, copy, empty, obj, withCommittedTree } from './helpers.js'

const { bundle: good, reason } = await committed()
const line = (i: Issue): string => `${i.check} ${i.where} ${i.message}`
const with_ = (...rendered: Json[]): DeployBundle => ({ ...empty(), rendered })
const app = (id: string, opts: { env?: Json[], annotations?: Json, container?: string, securityContext?: Json, labels?: Json } = {}): Json => ({
  kind: 'Deployment',
  metadata: { name: id },
  spec: {
    template: {
      metadata: { labels: opts.labels ?? { app: id }, annotations: { 'dapr.io/app-id': id, 'dapr.io/config': `${id}-config`, 'dapr.io/app-port': '3000', ...opts.annotations } },
      spec: { securityContext: opts.securityContext, containers: [{ name: opts.container ?? id, env: opts.env ?? [] }] }
    }
  }
})
const config = (name: string, spec: Json): Json => ({ apiVersion: 'dapr.io/v1alpha1', kind: 'Configuration', metadata: { name }, spec })

t.test('app ids', async (t) => {
  const b = with_(app('a'), app('b', { container: 'main' }),
    { kind: 'Component', metadata: { name: 'store' }, scopes: ['a'] },
    { kind: 'Component', metadata: { name: 'unscoped' } },
    { kind: 'Resiliency', metadata: { name: 'r' }, scopes: ['b', 'a', 'a'] })
  b.runFile = { apps: [{ appID: 'a' }, { appID: 'c' }] }
  b.localDapr = [{ file: 'components/local/x.yaml', obj: { kind: 'Component', metadata: { name: 'local' }, scopes: ['z'] } }]
  t.same(checkCrossAppIds(b).map(line), [
    'CROSS_APP_IDS dapr.yaml app ids a, c differ from the Deployments\' a, b',
    'CROSS_APP_IDS Component/store scopes a differ from the app ids a, b',
    'CROSS_APP_IDS Component/local scopes z differ from the app ids a, b',
    'CROSS_APP_IDS Deployment/b the app container should be named after the app id b'
  ], 'a repeated scope is still the same set')
})

t.test('ports', async (t) => {
  const b = with_(app('a'), app('b'), app('c'))
  b.runFile = {
    common: { env: { PORT: '3000' } },
    apps: [{ appID: 'a', appPort: 3001 }, { appID: 'b', env: { PORT: 4000 } }, { appID: 'c', appPort: 3000 }, { appID: 'gone', appPort: 1 }]
  }
  t.same(checkCrossPorts(b).map(line), [
    'CROSS_PORTS dapr.yaml a: appPort 3001 but dapr.io/app-port 3000',
    'CROSS_PORTS dapr.yaml b: env PORT 4000 but dapr.io/app-port 3000'
  ])
  b.runFile = { apps: [{ appID: 'a' }] }
  t.same(checkCrossPorts(b), [], 'nothing set, nothing to compare')
})

t.test('Configurations', async (t) => {
  const b = with_(app('a'), app('b'), config('a-config', {}))
  t.same(checkCrossConfig(b).map(line), [
    'CROSS_CONFIG Deployment/b dapr.io/config b-config is not a rendered Configuration',
    'CROSS_CONFIG dapr.yaml configFilePath undefined is not a Configuration under components/'
  ])
  b.runFile = { common: { configFilePath: './components/x.yaml' } }
  b.localConfigFile = { file: 'components/x.yaml', obj: { kind: 'Component' } }
  t.same(checkCrossConfig(b).map(line).slice(1), ['CROSS_CONFIG dapr.yaml configFilePath ./components/x.yaml is not a Configuration under components/'])
  b.localConfigFile = { file: 'components/x.yaml', obj: config('local', { accessControl: { defaultAction: 'deny' } }) }
  t.same(checkCrossConfig(b).map(line).slice(1), ['CROSS_CONFIG components/x.yaml the local Configuration must have no accessControl (no Sentry locally, so deny would block every call)'])
  b.localConfigFile = { file: 'components/x.yaml', obj: config('local', {}) }
  t.same(checkCrossConfig(b).map(line).slice(1), [])
})

t.test('component names', async (t) => {
  const b = with_(app('a', { env: [{ name: 'STATE_STORE_NAME', value: 'other' }] }), app('b'), { kind: 'Component', metadata: { name: 'statestore' } }, { kind: 'Component', metadata: { name: 'cache' } })
  b.localDapr = [
    { file: 'components/local/a.yaml', obj: { kind: 'Component', metadata: { name: 'statestore' } } },
    { file: 'components/local/b.yaml', obj: { kind: 'Component', metadata: { name: 'local-only' } } },
    { file: 'components/config.yaml', obj: { kind: 'Configuration', metadata: { name: 'not-a-component' } } }
  ]
  t.same(checkCrossComponentNames(b).map(line), ['CROSS_COMPONENT_NAMES components/local/b.yaml local component local-only has no EKS counterpart (cache, statestore)'], 'no STATE_STORE_NAME in dapr.yaml, nothing to compare')
  b.runFile = { common: { env: { STATE_STORE_NAME: 'store' } } }
  t.same(checkCrossComponentNames(b).map(line).slice(1), [
    'CROSS_COMPONENT_NAMES dapr.yaml STATE_STORE_NAME store is not an EKS component (cache, statestore)',
    'CROSS_COMPONENT_NAMES Deployment/a STATE_STORE_NAME other differs from dapr.yaml\'s store'
  ])
})

t.test('resiliency targets', async (t) => {
  const b = with_(app('caller', { env: [{ name: 'TARGET_APP_ID', value: 'callee' }] }), app('callee'), { kind: 'Component', metadata: { name: 'statestore' } },
    { kind: 'Resiliency', metadata: { name: 'r' }, spec: { targets: { apps: { stranger: {} }, components: { cache: {} } } } },
    { kind: 'Resiliency', metadata: { name: 'empty' } })
  t.same(checkCrossResiliencyTargets(b).map(line), [
    'CROSS_RESILIENCY_TARGETS Resiliency/r targets.apps.stranger is not an app that anything invokes',
    'CROSS_RESILIENCY_TARGETS Resiliency/r invocations of callee have no resiliency target',
    'CROSS_RESILIENCY_TARGETS Resiliency/r targets.components.cache is not a Component',
    'CROSS_RESILIENCY_TARGETS Resiliency/r component statestore has no resiliency target',
    'CROSS_RESILIENCY_TARGETS Resiliency/empty invocations of callee have no resiliency target',
    'CROSS_RESILIENCY_TARGETS Resiliency/empty component statestore has no resiliency target'
  ])
})

t.test('the image uid', async (t) => {
  const b = with_(app('a', { securityContext: { runAsUser: 1000, runAsGroup: 1000 } }), app('b', { securityContext: { runAsUser: 1000, runAsGroup: 2000 } }), app('c'))
  b.dockerfile = 'FROM node:24.21.0 AS build\nUSER 1\nFROM node:24.21.0\nUSER 1000:1000\n'
  t.same(checkCrossUid(b).map(line), [
    'CROSS_UID Deployment/b runAsUser/runAsGroup 1000/2000 differ from the Dockerfile\'s USER 1000:1000',
    'CROSS_UID Deployment/c runAsUser/runAsGroup undefined/undefined differ from the Dockerfile\'s USER 1000:1000'
  ], 'the final stage\'s last USER counts')
  b.dockerfile = 'FROM node:24.21.0\nUSER 1000\n'
  t.same(checkCrossUid(b).map((i) => i.where), ['Deployment/c'], 'no gid in USER, any runAsGroup')
  b.dockerfile = ''
  t.same(checkCrossUid(b).map((i) => i.message), [
    'runAsUser/runAsGroup 1000/1000 differ from the Dockerfile\'s USER undefined',
    'runAsUser/runAsGroup 1000/2000 differ from the Dockerfile\'s USER undefined',
    'runAsUser/runAsGroup undefined/undefined differ from the Dockerfile\'s USER undefined'
  ])
})

t.test('the OTel endpoint against egress', async (t) => {
  const egress = (port: number): Json => ({ kind: 'NetworkPolicy', metadata: { name: 'otel' }, spec: { podSelector: {}, egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } } }], ports: [{ port }] }] } })
  const otel = (endpointAddress: string): Json => ({ tracing: { otel: { endpointAddress } } })
  const b = with_(app('a'), app('b'), app('c'), app('d'),
    config('a-config', otel('otel-collector.observability.svc.cluster.local:4317')),
    config('b-config', otel('http://otel-collector.observability:4318')),
    config('c-config', otel('localhost:4317')),
    config('d-config', {}),
    egress(4317))
  t.same(checkCrossOtel(b).map(line), [
    'CROSS_OTEL Deployment/b traces go to http://otel-collector.observability:4318, but no egress NetworkPolicy allows port 4318 to namespace observability',
    'CROSS_OTEL Configuration/c-config otel endpoint localhost:4317 is not <service>.<namespace>[.svc...]:<port>'
  ])
})

t.test('trust domains', async (t) => {
  const acl = (policies: Json[], trustDomain?: string): Json => ({ accessControl: { defaultAction: 'deny', trustDomain, policies } })
  const b = with_(app('caller'), app('other'), app('callee'), { kind: 'Deployment', metadata: { name: 'no-dapr' } },
    config('caller-config', acl([], 'shop')),
    config('other-config', {}),
    config('callee-config', acl([{ appId: 'caller' }, { appId: 'caller', trustDomain: 'shop' }, { appId: 'other' }, { appId: 'other', trustDomain: 'shop' }, { appId: 'unknown', trustDomain: 'x' }, null])))
  t.same(checkCrossTrustDomain(b).map(line), [
    'CROSS_TRUST_DOMAIN Configuration/callee-config policy caller expects trust domain public, but caller\'s Configuration gives it shop: every call would be denied',
    'CROSS_TRUST_DOMAIN Configuration/callee-config policy other expects trust domain shop, but other\'s Configuration gives it public: every call would be denied'
  ])
})

withCommittedTree(good, reason, (good) => {
  t.test('the committed tree passes', async (t) => {
    for (const check of [checkCrossAppIds, checkCrossPorts, checkCrossConfig, checkCrossComponentNames, checkCrossResiliencyTargets, checkCrossUid, checkCrossOtel, checkCrossTrustDomain]) t.same(check(good), [])
  })

  t.test('one mistake in the committed tree, one issue', async (t) => {
    const b = copy(good)
    obj(b.rendered, 'Configuration', 'generator-config').spec.accessControl.trustDomain = 'shop'
    t.same(checkCrossTrustDomain(b).map(line), ['CROSS_TRUST_DOMAIN Configuration/nodeapp-config policy generator expects trust domain public, but generator\'s Configuration gives it shop: every call would be denied'])
  })
})
