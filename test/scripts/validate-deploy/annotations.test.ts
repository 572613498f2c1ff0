import t from 'tap'
import { checkAnnotationFormats, checkAnnotationRisks, checkDaprAnnotations, checkSidecarResources, formatProblem } from '../../../scripts/validate-deploy/annotations.js'
import type { DeployBundle, Json } from '../../../scripts/validate-deploy/bundle.js'
import { committed, empty, obj, withCommittedTree, issuesAfter } from './helpers.js'

const { bundle: good, reason } = await committed()

t.test('formatProblem knows every kind', async (t) => {
  const ok: Array<[string, string]> = [['bool', 'true'], ['int', '-3'], ['port', '3000'], ['seconds', '10'], ['milliseconds', '500'], ['duration', '25s'],
    ['quantity', '300m'], ['env', 'A=1'], ['envFromSecret', 'A=secret:key'], ['addresses', '[::1],127.0.0.1'], ['address', '127.0.0.1'],
    ['protocol', 'http'], ['logLevel', 'info'], ['seccomp', 'RuntimeDefault'], ['string', 'anything'], ['unknown-kind', 'x']]
  for (const [kind, v] of ok) t.equal(formatProblem(kind, v), undefined, `${kind} ${v}`)
  const bad: Array<[string, string, RegExp]> = [['bool', 'yes', /"true" or "false"/], ['bool', 'ture', /"true" or "false"/], ['int', '1.5', /integer/],
    ['port', '0', /port number/], ['port', '70000', /port number/], ['port', 'http', /port number/], ['seconds', '10s', /seconds/],
    ['milliseconds', '1s', /milliseconds/], ['milliseconds', '5', /is 5 ms/], ['duration', '25', /Go duration/], ['quantity', '1GB', /quantity/],
    ['env', 'A', /no "="/], ['env', '', /is empty/], ['addresses', '127.0.0.1,', /comma-separated/], ['address', 'a b', /one host/], ['address', ' ', /one host/],
    ['protocol', 'rest', /one of/], ['logLevel', 'verbose', /one of/], ['seccomp', 'none', /one of/]]
  for (const [kind, v, m] of bad) t.match(formatProblem(kind, v), m, `${kind} ${v}`)
})

t.test('an empty bundle has nothing to check', async (t) => {
  for (const check of [checkDaprAnnotations, checkAnnotationFormats, checkAnnotationRisks, checkSidecarResources]) t.same(check(empty()), [])
})

withCommittedTree(good, reason, (good) => {
  const ann = (b: DeployBundle, name: string): Record<string, Json> => obj(b.rendered, 'Deployment', name).spec.template.metadata.annotations
  const run = (mutate: (b: DeployBundle) => void, check: (b: DeployBundle) => Array<{ message: string }>): string[] => issuesAfter(good, mutate, check).map((i) => i.message)

  t.test('the committed tree passes', async (t) => {
    for (const check of [checkDaprAnnotations, checkAnnotationFormats, checkAnnotationRisks, checkSidecarResources]) t.same(check(good), [])
  })

  t.test('keys, string values and required values', async (t) => {
    t.match(run((b) => { ann(b, 'nodeapp')['dapr.io/app-prot'] = 'http' }, checkDaprAnnotations), [/app-prot is not a Dapr 1\.18\.3 annotation/])
    t.match(run((b) => { ann(b, 'nodeapp')['dapr.io/app-port'] = 3000 }, checkDaprAnnotations), [/must be a string, got number 3000/])
    t.match(run((b) => { delete ann(b, 'generator')['dapr.io/config'] }, checkDaprAnnotations), [/dapr\.io\/config is missing/])
    t.match(run((b) => { ann(b, 'generator')['dapr.io/enabled'] = 'false' }, checkDaprAnnotations), [/dapr\.io\/enabled: "false" is not the expected value/])
    t.same(run((b) => { ann(b, 'generator')['other.io/x'] = 1 }, checkDaprAnnotations), [], 'other prefixes are not ours')
  })

  t.test('formats', async (t) => {
    t.match(run((b) => { ann(b, 'nodeapp')['dapr.io/block-shutdown-duration'] = '25' }, checkAnnotationFormats), [/block-shutdown-duration "25" must be a Go duration/])
    t.same(run((b) => { ann(b, 'nodeapp')['dapr.io/not-a-key'] = '25' }, checkAnnotationFormats), [], 'unknown keys are the key check\'s job')
  })

  t.test('risks', async (t) => {
    t.match(run((b) => { ann(b, 'nodeapp')['dapr.io/sidecar-listen-addresses'] = '0.0.0.0' }, checkAnnotationRisks), [/exposes the Dapr API/])
    t.same(run((b) => { ann(b, 'nodeapp')['dapr.io/sidecar-listen-addresses'] = '[::1],127.0.0.1' }, checkAnnotationRisks), [])
    t.match(run((b) => { ann(b, 'nodeapp')['dapr.io/app-channel-address'] = '10.0.0.1' }, checkAnnotationRisks), [/sends the app token off the pod/])
    t.match(run((b) => { ann(b, 'generator')['dapr.io/enable-profiling'] = 'true' }, checkAnnotationRisks), [/enable-profiling is on/])
    t.same(run((b) => { ann(b, 'generator')['dapr.io/enable-profiling'] = 'false' }, checkAnnotationRisks), [])
    t.match(run((b) => { ann(b, 'generator')['dapr.io/app-protocol'] = 'grpc' }, checkAnnotationRisks), [/does not match the apps/])
    t.match(run((b) => { ann(b, 'generator')['dapr.io/app-protocol'] = 'h2c' }, checkAnnotationRisks), [/does not match the apps/])
    t.match(run((b) => { delete ann(b, 'generator')['dapr.io/app-health-probe-interval']; ann(b, 'generator')['dapr.io/app-health-probe-timeout'] = '5000' }, checkAnnotationRisks), [/5000 ms is not shorter than the probe interval 5 s/])
    t.same(run((b) => { delete ann(b, 'generator')['dapr.io/app-health-probe-timeout'] }, checkAnnotationRisks), [], 'the 500 ms default is fine')
  })

  t.test('sidecar resources', async (t) => {
    t.match(run((b) => { ann(b, 'nodeapp')['dapr.io/sidecar-cpu-request'] = '1' }, checkSidecarResources), [/cpu request 1 exceeds its limit 300m/])
    t.same(run((b) => { delete ann(b, 'nodeapp')['dapr.io/sidecar-cpu-limit'] }, checkSidecarResources), [], 'no limit, nothing to compare')
    t.same(run((b) => { delete ann(b, 'nodeapp')['dapr.io/sidecar-cpu-request'] }, checkSidecarResources), [], 'no request, nothing to compare')
    t.match(run((b) => { ann(b, 'nodeapp')['dapr.io/env'] = 'GOMEMLIMIT=1GiB' }, checkSidecarResources), [/GOMEMLIMIT 1GiB is not below/])
    t.match(run((b) => { ann(b, 'nodeapp')['dapr.io/env'] = 'GOMEMLIMIT=900M' }, checkSidecarResources), [/is not a Go memory limit/])
    t.same(run((b) => { ann(b, 'nodeapp')['dapr.io/env'] = 'GOMEMLIMIT=943718400' }, checkSidecarResources), [], 'bytes without a suffix')
    t.same(run((b) => { delete ann(b, 'nodeapp')['dapr.io/env'] }, checkSidecarResources), [])
    t.same(run((b) => { delete ann(b, 'nodeapp')['dapr.io/sidecar-memory-limit'] }, checkSidecarResources), [])
  })
})
