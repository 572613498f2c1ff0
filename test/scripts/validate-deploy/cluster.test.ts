import t from 'tap'
import type { DeployBundle } from '../../../scripts/validate-deploy/bundle.js'
import { checkCluster, checkClusterZones, checkEksctlKeys, checkHelmKeys, daprVersion, eksctlUnknownKeys, helmUnknownKeys } from '../../../scripts/validate-deploy/cluster.js'
import { committed, empty, withCommittedTree, issuesAfter } from './helpers.js'

const { bundle: good, reason } = await committed()

t.test('eksctlUnknownKeys walks refs and lists', async (t) => {
  t.same(eksctlUnknownKeys({ metadata: { name: 'x', nam: 'y' } }, 'ClusterConfig', ''), ['/metadata/nam'])
  t.same(eksctlUnknownKeys({ managedNodeGroups: [{ name: 'a', privateNetworkin: true }] }, 'ClusterConfig', ''), ['/managedNodeGroups/0/privateNetworkin'])
  t.same(eksctlUnknownKeys({ vpc: { subnets: { public: { 'us-east-1a': { id: 'x' } } }, subnet: {} } }, 'ClusterConfig', ''), ['/vpc/subnet'], 'zone maps are free-form in the schema')
  t.same(eksctlUnknownKeys('scalar', 'ClusterConfig', ''), [])
  t.same(eksctlUnknownKeys({ a: 1 }, 'NoSuchDefinition', ''), [])
})

t.test('helmUnknownKeys stops at free-form maps', async (t) => {
  t.same(helmUnknownKeys({ a: { b: 1, c: 2 }, d: { anything: 1 } }, { a: { b: true }, d: true }, ''), ['a.c'])
  t.same(helmUnknownKeys(null, { a: true }, ''), [])
})

t.test('an empty bundle fails loudly, not with a crash', async (t) => {
  const b = empty()
  t.ok(checkCluster(b).length >= 5)
  t.match(checkClusterZones(b).map((i) => i.message), [/must name the cluster's zones/])
  t.same(checkEksctlKeys(b), [])
  t.same(checkHelmKeys(b), [])
  t.equal(daprVersion(b), undefined)
})

withCommittedTree(good, reason, (good) => {
  const run = (mutate: (b: DeployBundle) => void, check: (b: DeployBundle) => Array<{ check: string, message: string }>): string[] => issuesAfter(good, mutate, check).map((i) => `${i.check} ${i.message}`)

  t.test('the committed tree passes', async (t) => {
    for (const check of [checkCluster, checkClusterZones, checkEksctlKeys, checkHelmKeys]) t.same(check(good), [])
    t.equal(daprVersion(good), '1.18.3')
  })

  t.test('cluster rules', async (t) => {
    t.match(run((b) => { b.cluster.addons = b.cluster.addons.filter((a: { name: string }) => a.name !== 'vpc-cni') }, checkCluster), [/enableNetworkPolicy/])
    t.match(run((b) => { b.lbcValues.serviceAccount.name = 'lbc' }, checkCluster), [/kube-system\/lbc/])
    t.match(run((b) => { b.cluster.iam.podIdentityAssociations[0].wellKnownPolicies = {} }, checkCluster), [/no Pod Identity association/])
    t.match(run((b) => { b.lbcValues.region = 'eu-west-1' }, checkCluster), [/region differs/])
    t.match(run((b) => { b.lbcValues.clusterName = 'shop' }, checkCluster), [/clusterName shop differs/])
    t.match(run((b) => { b.cluster.metadata.version = '1.33' }, checkCluster), [/1\.33 is not an EKS version in standard support \(1\.35 until 2027-03-27\)/, /Pod Security v1\.35/])
    t.same(run((b) => { b.rendered.find((o) => o.kind === 'Namespace').metadata.labels['pod-security.kubernetes.io/enforce-version'] = 'latest' }, checkCluster), [])
    t.same(run((b) => { delete b.rendered.find((o) => o.kind === 'Namespace').metadata.labels['pod-security.kubernetes.io/enforce-version'] }, checkCluster), [])
    t.match(run((b) => { b.daprValues.global.mtls.enabled = 'false' }, checkCluster), [/RISKY_VALUE global\.mtls\.enabled must stay true/])
    t.same(run((b) => { delete b.daprValues.global.mtls.enabled }, checkCluster), [], 'unset means the chart default, true')
  })

  t.test('zones', async (t) => {
    t.match(run((b) => { b.cluster.availabilityZones.push('us-east-1a') }, checkClusterZones), [/repeats a zone/])
    t.match(run((b) => { b.cluster.availabilityZones[1] = 42 }, checkClusterZones), [/zone 42 is not a zone of us-east-1/, /asks for us-east-1b/])
    t.match(run((b) => { b.cluster.nodeGroups = [{ name: 'self', availabilityZones: ['us-east-1f'] }] }, checkClusterZones), [/nodegroup self asks for us-east-1f/])
  })

  t.test('keys', async (t) => {
    t.match(run((b) => { b.cluster.managedNodeGroups[0].privateNetworkin = true }, checkEksctlKeys), [/EKSCTL_KEYS \/managedNodeGroups\/0\/privateNetworkin is not a ClusterConfig field in eksctl 0\.230\.0/])
    t.match(run((b) => { b.daprValues.dapr_placement.cluster.forceInMemorLog = true }, checkHelmKeys), [/dapr_placement\.cluster\.forceInMemorLog is not a value of the Dapr chart 1\.18\.3/])
    t.match(run((b) => { b.lbcValues.replicaCont = 2 }, checkHelmKeys), [/replicaCont is not a value of the aws-load-balancer-controller chart 1\.14\.1/])
  })
})
