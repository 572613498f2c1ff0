// The facts are data from the pinned upstream versions; these cases pin a few of them so a
// regeneration that drifts (or a hand edit) shows.
import t from 'tap'
import * as facts from '../../../scripts/validate-deploy/facts.js'

t.test('eksctl 0.230.0 ClusterConfig', async (t) => {
  const cc = facts.EKSCTL_SCHEMA.ClusterConfig as Record<string, string | true>
  t.equal(cc.availabilityZones, true)
  t.equal(cc.managedNodeGroups, 'ManagedNodeGroup')
  t.ok((facts.EKSCTL_SCHEMA.ManagedNodeGroup as Record<string, unknown>).privateNetworking)
  t.notOk((facts.EKSCTL_SCHEMA.ManagedNodeGroup as Record<string, unknown>).privateNetworkin)
})

t.test('Dapr chart 1.18.3 and LBC chart 1.14.1 keys', async (t) => {
  const dapr = facts.DAPR_CHART_VALUES as Record<string, Record<string, Record<string, unknown>>>
  t.ok(dapr.dapr_placement?.cluster?.forceInMemoryLog)
  t.ok(dapr.dapr_sidecar_injector?.sidecarDropALLCapabilities)
  t.ok(dapr.global?.mtls?.enabled)
  const lbc = facts.LBC_CHART_VALUES as Record<string, unknown>
  t.ok(lbc.enableServiceMutatorWebhook)
  t.equal(facts.LBC_APP_VERSION, 'v2.14.1')
})

t.test('state.redis at components-contrib 1.18.4 has no useOIDC', async (t) => {
  t.equal(facts.REDIS_STATE_METADATA.dialTimeout, 'duration')
  t.equal(facts.REDIS_STATE_METADATA.useOIDC, undefined)
})

t.test('annotations and policies', async (t) => {
  t.equal(facts.DAPR_ANNOTATIONS['dapr.io/app-health-probe-timeout'], 'milliseconds')
  t.equal(facts.DAPR_ANNOTATIONS['dapr.io/block-shutdown-duration'], 'duration')
  t.ok(facts.CURRENT_TLS_POLICY.test('ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09'))
  t.notOk(facts.CURRENT_TLS_POLICY.test('ELBSecurityPolicy-2016-08'))
  t.ok(facts.LBC_SERVICE_ANNOTATIONS.includes('aws-load-balancer-ssl-cert'))
  t.equal(facts.NODE_24_FLOOR, '24.21.0')
})
