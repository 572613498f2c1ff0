// Dapr resources: schemas, state store metadata names and formats, plain secrets, the state
// store's ElastiCache rules, Configurations, the ACL, retry policies and resiliency references.
import t from 'tap'
import type { DeployBundle, Issue, Json } from '../../../scripts/validate-deploy/bundle.js'
import {
  checkAcl, checkConfigurations, checkDaprMetadataFormat, checkDaprMetadataNames, checkDaprSchema, checkResiliencyRefs,
  checkRetryPolicies, checkSecretPlainValues, checkStateStore, parseCodes
} from '../../../scripts/validate-deploy/dapr.js'
import { committed, copy, empty, obj, withCommittedTree } from './helpers.js'

const { bundle: good, reason } = await committed()
const line = (i: Issue): string => `${i.check} ${i.where} ${i.message}`
const with_ = (...rendered: Json[]): DeployBundle => ({ ...empty(), rendered })
const redis = (metadata: Json[], extra: Json = {}): Json => ({ apiVersion: 'dapr.io/v1alpha1', kind: 'Component', metadata: { name: 'store' }, spec: { type: 'state.redis', version: 'v1', metadata }, ...extra })
const app = (id: string, env: Json[] = [], annotations: Json = {}): Json => ({
  kind: 'Deployment',
  metadata: { name: id },
  spec: { template: { metadata: { annotations: { 'dapr.io/app-id': id, 'dapr.io/config': `${id}-config`, ...annotations } }, spec: { containers: [{ name: id, env }] } } }
})
const config = (name: string, spec: Json): Json => ({ apiVersion: 'dapr.io/v1alpha1', kind: 'Configuration', metadata: { name }, spec })

t.test('parseCodes', async (t) => {
  t.same(parseCodes('429,502-504'), [429, 502, 503, 504])
  t.same(parseCodes('14,'), [14], 'an empty part is skipped')
  t.same(parseCodes(''), [])
  t.equal(parseCodes('5xx'), null)
  t.equal(parseCodes('504-502'), null, 'a reversed range')
})

t.test('schemas', async (t) => {
  t.same(checkDaprSchema(with_(
    { apiVersion: 'dapr.io/v1alpha1', kind: 'Subscription', metadata: { name: 'sub' } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'not-dapr' } },
    redis([{ name: 'redisHost', value: 'h' }], { extra: 1 })
  )).map(line), [
    'DAPR_SCHEMA Subscription/sub Dapr kind Subscription is not one this project uses',
    'DAPR_SCHEMA Component/store /extra: Unexpected property'
  ])
})

t.test('metadata names and formats', async (t) => {
  const b = with_(
    redis([{ name: 'redisHost', value: 'h' }, { name: 'redisHots', value: 'h' }, { name: 'dialTimeout', value: '5' }, { name: 'readTimeout', value: 'soon' },
      { name: 'writeTimeout', value: '3s' }, { name: 'redisMaxRetries', value: '2.5' }, { name: 'redisMaxRetries', value: '2' }, { name: 'enableTLS', value: 'True' },
      { name: 'enableTLS', value: 'maybe' }, { name: 'enableTLS', value: 'true' }, { name: 'redisPassword', secretKeyRef: { name: 's', key: 'k' } }, null]),
    { kind: 'Component', metadata: { name: 'mem' }, spec: { type: 'state.in-memory', metadata: [{ name: 'keyPrefix', value: 'x' }, { name: 'redisHost', value: 'h' }] } },
    { kind: 'Component', metadata: { name: 'other' }, spec: { type: 'pubsub.redis', metadata: [{ name: 'anything', value: 'x' }] } }
  )
  t.same(checkDaprMetadataNames(b).map(line), [
    'DAPR_METADATA_NAME Component/store metadata redisHots is not a state.redis field at components-contrib 1.18.4 (daprd ignores unknown names)',
    'DAPR_METADATA_NAME Component/store metadata undefined is not a state.redis field at components-contrib 1.18.4 (daprd ignores unknown names)',
    'DAPR_METADATA_NAME Component/mem metadata redisHost is not a state.in-memory field at components-contrib 1.18.4 (daprd ignores unknown names)'
  ], 'types this project does not use are the schema check\'s job')
  t.same(checkDaprMetadataFormat(b).map(line), [
    'DAPR_METADATA_FORMAT Component/store metadata dialTimeout "5": a bare number is read as 5 ms; write a Go duration such as 5s',
    'DAPR_METADATA_FORMAT Component/store metadata readTimeout "soon": is not a duration (write a Go duration such as 5s)',
    'DAPR_METADATA_FORMAT Component/store metadata redisMaxRetries "2.5": is not an integer',
    'DAPR_METADATA_FORMAT Component/store metadata enableTLS "True": write "true" or "false"',
    'DAPR_METADATA_FORMAT Component/store metadata enableTLS "maybe": write "true" or "false"'
  ])
})

t.test('plain secret values', async (t) => {
  const b = with_(
    redis([{ name: 'redisPassword', value: 'hunter2' }, { name: 'redisUsername', value: '' }, { name: 'keyPrefix', value: 'x' }, { value: 'nameless' }]),
    app('a', [{ name: 'DAPR_API_TOKEN', value: 't' }, { name: 'APP_API_TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'token' } } }, { name: 'PORT', value: '1' }, { value: 'nameless' }])
  )
  b.localDapr = [
    { file: 'components/local/statestore.yaml', obj: { kind: 'Component', metadata: { name: 'local' }, spec: { metadata: [{ name: 'apiKey', value: 'k' }] } } },
    { file: 'components/config.yaml', obj: { kind: 'Configuration', metadata: { name: 'cfg' }, spec: { metadata: [{ name: 'secret', value: 'not a component' }] } } }
  ]
  t.same(checkSecretPlainValues(b).map(line), [
    'SECRET_PLAIN_VALUE Component/store metadata redisPassword is a plain value; use secretKeyRef',
    'SECRET_PLAIN_VALUE Component/local metadata apiKey is a plain value; use secretKeyRef',
    'SECRET_PLAIN_VALUE Deployment/a env DAPR_API_TOKEN is a plain value; use valueFrom.secretKeyRef'
  ])
})

t.test('the state store for ElastiCache Serverless', async (t) => {
  t.same(checkStateStore(with_(redis([{ name: 'redisDB', value: '0' }, { name: 'insecureSkipTLSVerify', value: 'true' }, { name: 'redisHost', value: 'h' }]))).map((i) => i.message), [
    'enableTLS must be "true" (serverless caches only accept TLS)',
    'redisType must be "cluster" (serverless presents as cluster mode)',
    'redisDB must not be set (SELECT is refused in cluster mode)',
    'insecureSkipTLSVerify must not be "true"',
    'redisHost must come from a secretKeyRef',
    'redisUsername must come from a secretKeyRef',
    'redisPassword must come from a secretKeyRef',
    'keyPrefix must be set',
    'dialTimeout must be set',
    'readTimeout must be set',
    'writeTimeout must be set',
    'auth.secretStore must be "kubernetes" (resolved by the operator)',
    'scopes must list the apps that use it'
  ])
  t.same(checkStateStore(with_({ kind: 'Component', spec: { type: 'state.in-memory' } })), [], 'only state.redis')
})

t.test('Configurations', async (t) => {
  // caller invokes callee; callee uses the state store.
  const caller = app('caller', [{ name: 'TARGET_APP_ID', value: 'callee' }])
  const callee = app('callee', [{ name: 'STATE_STORE_NAME', value: 'store' }])
  const orphan = app('orphan', [], { 'dapr.io/config': 'missing' })
  const b = with_(caller, callee, orphan,
    config('caller-config', { mtls: {}, api: { allowed: [{ name: 'state' }, { name: 'publish' }] } }),
    config('callee-config', { tracing: { samplingRate: '1', otel: { endpointAddress: 'otel:4317' } }, metrics: { enabled: true }, logging: { apiLogging: { omitHealthChecks: true } }, api: { allowed: [{ name: 'invoke' }] } }))
  t.same(checkConfigurations(b).map(line), [
    'DAPR_CONFIG Configuration/caller-config tracing needs samplingRate and an otel endpoint',
    'DAPR_CONFIG Configuration/caller-config metrics.enabled must be true',
    'DAPR_CONFIG Configuration/caller-config logging.apiLogging.omitHealthChecks must be true',
    'DAPR_CONFIG Configuration/caller-config spec.mtls belongs in the control plane\'s daprsystem Configuration only',
    'DAPR_CONFIG Configuration/caller-config api.allowed opens publish, which the apps never call',
    'DAPR_CONFIG Configuration/caller-config the app invokes another app but invoke is not allowed',
    'DAPR_CONFIG Configuration/caller-config state is allowed but the app has no state store',
    'DAPR_CONFIG Configuration/callee-config invoke is allowed but the app invokes nothing',
    'DAPR_CONFIG Configuration/callee-config the app uses the state store but state is not allowed'
  ], 'a Deployment without a Configuration is CROSS_CONFIG\'s to report')
  const bare = with_({ kind: 'Deployment', metadata: { name: 'x' }, spec: { template: { metadata: { annotations: { 'dapr.io/config': 'c' } } } } }, { kind: 'Configuration', metadata: { name: 'c' } })
  t.same(checkConfigurations(bare).map((i) => i.message), [
    'tracing needs samplingRate and an otel endpoint', 'metrics.enabled must be true', 'logging.apiLogging.omitHealthChecks must be true',
    'api.allowed must list the Dapr APIs the app calls (otherwise every API is open)'
  ], 'a Configuration without spec, for an app without an id')
})

t.test('the access control list', async (t) => {
  const caller = app('caller', [{ name: 'TARGET_APP_ID', value: 'callee' }])
  const callee = app('callee')
  const third = app('third', [], { 'dapr.io/config': 'missing' })
  const policy = (appId: string, extra: Json = {}): Json => ({ appId, defaultAction: 'deny', namespace: 'orders', operations: [{ name: '/neworder', httpVerb: ['POST'], action: 'allow' }], ...extra })
  const b = with_(caller, callee, third,
    config('caller-config', { accessControl: { defaultAction: 'allow' } }),
    config('callee-config', {
      accessControl: {
        defaultAction: 'deny',
        policies: [
          policy('stranger'),
          policy('third', { defaultAction: 'allow', namespace: 'default' }),
          policy('caller', { operations: [{ name: '/neworder', action: 'allow' }, { name: '/x', httpVerb: ['*'], action: 'allow' }, { name: '/orders/*', httpVerb: ['GET'], action: 'allow' }, { name: '/y', action: 'deny' }] })
        ]
      }
    }))
  b.kustomization = { namespace: 'orders' }
  t.same(checkAcl(b).map(line), [
    'DAPR_ACL Configuration/caller-config accessControl.defaultAction must be deny',
    'DAPR_ACL Configuration/callee-config policy for unknown app id stranger',
    'DAPR_ACL Configuration/callee-config policy allows third, which does not call callee',
    'DAPR_ACL Configuration/callee-config policy third: defaultAction must be deny',
    'DAPR_ACL Configuration/callee-config policy third: namespace must be orders',
    'DAPR_ACL Configuration/callee-config policy caller: allow /neworder must name exact verbs and path',
    'DAPR_ACL Configuration/callee-config policy caller: allow /x must name exact verbs and path',
    'DAPR_ACL Configuration/callee-config policy caller: allow /orders/* must name exact verbs and path'
  ])
  obj(b.rendered, 'Configuration', 'callee-config').spec.accessControl = { defaultAction: 'deny' }
  obj(b.rendered, 'Configuration', 'caller-config').spec = {}
  t.same(checkAcl(b).map(line), [
    'DAPR_ACL Configuration/caller-config accessControl.defaultAction must be deny',
    'DAPR_ACL Configuration/callee-config caller calls callee but has no policy'
  ])
})

t.test('retry policies', async (t) => {
  const resiliency = (retries: Json): Json => ({ kind: 'Resiliency', metadata: { name: 'r' }, spec: { policies: { retries } } })
  t.same(checkRetryPolicies(with_(resiliency({
    forever: { maxRetries: -1, matching: { httpStatusCodes: '429', gRPCStatusCodes: '14' } },
    many: { maxRetries: 6 },
    fraction: { maxRetries: 1.5, matching: { httpStatusCodes: '' } },
    wide: { maxRetries: 3, matching: { httpStatusCodes: '400-408,5xx', gRPCStatusCodes: '2,8' } }
  }), { kind: 'Resiliency', metadata: { name: 'empty' } })).map(line), [
    'DAPR_RETRY_POLICY Resiliency/r retry forever: maxRetries must be 0..5 (the default -1 retries forever)',
    'DAPR_RETRY_POLICY Resiliency/r retry many: maxRetries must be 0..5 (the default -1 retries forever)',
    'DAPR_RETRY_POLICY Resiliency/r retry many: matching is required: without it every error is retried, 4xx included',
    'DAPR_RETRY_POLICY Resiliency/r retry fraction: maxRetries must be 0..5 (the default -1 retries forever)',
    'DAPR_RETRY_POLICY Resiliency/r retry fraction: matching.httpStatusCodes must be set (empty means every code)',
    'DAPR_RETRY_POLICY Resiliency/r retry fraction: matching.gRPCStatusCodes must be set (empty means every code)',
    'DAPR_RETRY_POLICY Resiliency/r retry wide: matching.httpStatusCodes "400-408,5xx" is not a list of numbers and ranges (daprd refuses to load it)',
    'DAPR_RETRY_POLICY Resiliency/r retry wide: matching.gRPCStatusCodes retries 2, which is not transient'
  ])
})

t.test('resiliency references', async (t) => {
  const b = with_({
    kind: 'Resiliency',
    metadata: { name: 'r' },
    spec: {
      policies: { timeouts: { t: '1s' }, retries: { r: {} }, circuitBreakers: { c: {} } },
      targets: {
        apps: { ok: { timeout: 't', retry: 'r', circuitBreaker: 'c' }, bad: { timeout: 'nope', retry: 'r' } },
        components: { store: { outbound: { timeout: 't', retry: 'r', circuitBreaker: 'c' }, inbound: null }, odd: 'not a map' }
      }
    }
  }, { kind: 'Resiliency', metadata: { name: 'bare' }, spec: { targets: { apps: { x: { timeout: 'any' } } } } })
  t.same(checkResiliencyRefs(b).map(line), [
    'DAPR_RESILIENCY_REF Resiliency/r apps.bad.timeout names undefined policy nope',
    'DAPR_RESILIENCY_REF Resiliency/r apps.bad has no circuitBreaker',
    'DAPR_RESILIENCY_REF Resiliency/r components.store.outbound.retry: a state store error carries no status code, so every failure (a first-write conflict too) is retried and counted; give components a timeout only',
    'DAPR_RESILIENCY_REF Resiliency/r components.store.outbound.circuitBreaker: a state store error carries no status code, so every failure (a first-write conflict too) is retried and counted; give components a timeout only',
    'DAPR_RESILIENCY_REF Resiliency/r components.store.inbound has no timeout',
    'DAPR_RESILIENCY_REF Resiliency/bare apps.x.timeout names undefined policy any',
    'DAPR_RESILIENCY_REF Resiliency/bare apps.x has no retry',
    'DAPR_RESILIENCY_REF Resiliency/bare apps.x has no circuitBreaker'
  ])
  t.same(checkResiliencyRefs(with_({ kind: 'Resiliency', metadata: { name: 'none' } })), [])
})

withCommittedTree(good, reason, (good) => {
  t.test('the committed tree passes', async (t) => {
    for (const check of [checkDaprSchema, checkDaprMetadataNames, checkDaprMetadataFormat, checkSecretPlainValues, checkStateStore, checkConfigurations, checkAcl, checkRetryPolicies, checkResiliencyRefs]) t.same(check(good), [])
  })

  t.test('one mistake in the committed tree, one issue', async (t) => {
    const b = copy(good)
    obj(b.rendered, 'Resiliency', 'resiliency').spec.policies.retries.invokeTransient.matching.httpStatusCodes = '429,500-504'
    t.same(checkRetryPolicies(b).map(line), [
      'DAPR_RETRY_POLICY Resiliency/resiliency retry invokeTransient: matching.httpStatusCodes retries 500, which is not transient',
      'DAPR_RETRY_POLICY Resiliency/resiliency retry invokeTransient: matching.httpStatusCodes retries 501, which is not transient'
    ])
  })
})
