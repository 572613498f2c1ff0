import t from 'tap'
import type { DeployBundle } from '../../../scripts/validate-deploy/bundle.js'
import { checkDocs, curlProblems, shellLines } from '../../../scripts/validate-deploy/docs.js'
import { committed, empty, obj, withCommittedTree, issuesAfter } from './helpers.js'

const { bundle: good, reason } = await committed()

t.test('shellLines joins continuations of sh/bash/shell blocks only', async (t) => {
  const md = '```sh\na \\\n  b\n\nc\n```\n```js\nx\n```\n```bash\nd\n```\n'
  t.same(shellLines(md), ['a  b', 'c', 'd'])
})

t.test('curlProblems: https, the public key, never a Dapr token', async (t) => {
  t.same(curlProblems('```sh\ncurl -sS "https://$NLB/order" -H "x-api-key: $PUBLIC_API_KEY"\n```\n'), [])
  t.same(curlProblems('```sh\ncurl -sS localhost:3000/order\n```\n'), [], 'local calls are not the public API')
  const p = curlProblems('```sh\ncurl -sS "http://$NLB/order" -H "dapr-api-token: $APP_API_TOKEN"\n```\n')
  t.match(p, [/plain http/, /sends a Dapr token/, /does not send x-api-key/])
})

t.test('an empty walkthrough misses everything', async (t) => {
  const issues = checkDocs(empty()).map((i) => i.message)
  t.ok(issues.length > 10)
  t.ok(issues.some((m) => /manifests\/edge/.test(m)))
})

withCommittedTree(good, reason, (good) => {
  const run = (mutate: (b: DeployBundle) => void): string[] => issuesAfter(good, mutate, checkDocs).map((i) => `${i.where} ${i.message}`)

  t.test('the committed walkthrough passes', async (t) => {
    t.same(checkDocs(good), [])
  })

  t.test('each rule fires on its mistake', async (t) => {
    t.match(run((b) => { b.docs = b.docs.replace('dapr/dapr --version 1.18.3', 'dapr/dapr --version 1.17.0') }), [/missing `helm upgrade --install dapr dapr\/dapr --version 1\.18\.3`/, /installs Dapr 1\.17\.0/])
    t.match(run((b) => { b.docs = b.docs.replace('create secret generic public-api-key', 'create secret generic public-key') }), [/no `kubectl --namespace orders create secret generic public-api-key`/])
    t.match(run((b) => { b.docs = b.docs.replace('--from-literal=key=', '--from-literal=apikey=') }), [/secret public-api-key is created without key key/])
    t.match(run((b) => { const s = obj(b.secretsExample, 'Secret', 'public-api-key'); s.data = { extra: 'eA==' } }), [/created without key extra/])
    t.match(run((b) => { const s = obj(b.secretsExample, 'Secret', 'public-api-key'); delete s.stringData; s.data = { other: 'eA==' } }), [/created without key other/])
    t.match(run((b) => { b.docs = b.docs.replaceAll('2027-03-27', 'March 2027') }), [/end of standard support of Kubernetes 1\.35/])
    t.match(run((b) => { b.docs = b.docs.replace(/kubectl apply -k manifests\n/g, 'kubectl apply -f manifests\n') }), [/before `kubectl apply -k manifests`/])
    t.match(run((b) => { b.docs = b.docs.replace(' --version 29.27.0', '') }), [/installs an unpinned chart/])
    t.match(run((b) => { b.docs = b.docs.replace('Keep the access string', 'Narrow the access string later; keep it') }), [/do not advise narrowing/])
    t.match(run((b) => { b.docs = b.docs.replace('curl -sS "https://$NLB/order"', 'curl -sS "http://$NLB/order"') }), [/docs\/deploy-eks\.md .*uses plain http/])
    t.match(run((b) => { b.readme += '\n```sh\ncurl "https://$NLB/order"\n```\n' }), [/README\.md .*does not send x-api-key/])
  })
})
