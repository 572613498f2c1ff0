// The walkthrough (docs/deploy-eks.md) and the README's deploy section: the commands name what
// the files define, tools and charts are pinned, the edge is applied before the apps, the curl
// lines use https and the public key (never the app token), and clean-up removes what Dapr left.
import { NAMESPACE, type DeployBundle, type Issue } from './bundle.js'
import { daprVersion } from './cluster.js'
import { EKSCTL_VERSION, EKS_STANDARD_SUPPORT, LBC_CHART_VERSION } from './facts.js'
import { arr, ofKind } from './util.js'

/** The lines of shell code blocks in a Markdown text, with continuation lines joined. */
export function shellLines (markdown: string): string[] {
  const out: string[] = []
  for (const block of markdown.matchAll(/```(?:sh|bash|shell)\n([^]*?)```/g)) {
    out.push(...(block[1] as string).replace(/\\\n\s*/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== ''))
  }
  return out
}

/** Problems of the curl lines that call the public API: https, the public key, never a Dapr token. */
export function curlProblems (markdown: string): string[] {
  const problems: string[] = []
  for (const line of shellLines(markdown).filter((l) => /^curl\b/.test(l) && /\$NLB|\$\{NLB\}|\$API\b/.test(l))) {
    if (/http:\/\//.test(line)) problems.push(`\`${line}\` uses plain http`)
    if (/APP_API_TOKEN|DAPR_API_TOKEN|dapr-api-token/.test(line)) problems.push(`\`${line}\` sends a Dapr token; public clients send the public key`)
    if (!/x-api-key: \$PUBLIC_API_KEY/.test(line)) problems.push(`\`${line}\` does not send x-api-key: $PUBLIC_API_KEY`)
  }
  return problems
}

export function checkDocs (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  const docs = b.docs
  const need = (text: string, why: string): void => {
    if (!docs.includes(text)) issues.push({ check: 'DOCS', where: 'docs/deploy-eks.md', message: `missing \`${text}\` (${why})` })
  }
  need('eksctl create cluster -f manifests/cluster/cluster.yaml', 'create the cluster from the committed ClusterConfig')
  need(`helm upgrade --install dapr dapr/dapr --version ${daprVersion(b)}`, 'install the Dapr version dapr-values.yaml pins')
  need('-f manifests/cluster/dapr-values.yaml', 'use the committed Dapr values')
  need('-f manifests/cluster/aws-load-balancer-controller-values.yaml', 'use the committed controller values')
  need('kubectl apply -f manifests/cluster/storageclass-gp3.yaml', 'the Dapr scheduler needs its StorageClass')
  need('kubectl apply -k manifests', 'deploy with kustomize')
  need(`--namespace ${NAMESPACE}`, 'commands address the app namespace')
  for (const v of docs.matchAll(/dapr\/dapr --version (\S+)/g)) {
    if (v[1] !== daprVersion(b)) issues.push({ check: 'DOCS', where: 'docs/deploy-eks.md', message: `installs Dapr ${v[1]}, dapr-values.yaml pins ${daprVersion(b)}` })
  }
  for (const s of ofKind(b.secretsExample, 'Secret')) {
    const name = s?.metadata?.name
    const cmd = new RegExp(`kubectl --namespace ${NAMESPACE} create secret generic ${name}((?:\\\\\\n|[^\\n])*)`).exec(docs)
    if (!cmd) {
      issues.push({ check: 'DOCS', where: 'docs/deploy-eks.md', message: `no \`kubectl --namespace ${NAMESPACE} create secret generic ${name}\`` })
      continue
    }
    for (const k of Object.keys({ ...(s.data ?? {}), ...(s.stringData ?? {}) })) {
      if (!String(cmd[1]).includes(`--from-literal=${k}=`)) issues.push({ check: 'DOCS', where: 'docs/deploy-eks.md', message: `secret ${name} is created without key ${k}` })
    }
  }
  for (const i of arr(b.kustomization?.images)) {
    const service = String(i?.name).split('/').at(-1)
    need(`--build-arg SERVICE=${service}`, `build the ${service} image`)
    need(`orders-on-dapr/${service}:`, `push the ${service} image under the name kustomization.yaml expects`)
  }
  const lb = ofKind(b.rendered, 'Service').find((s) => s?.spec?.type === 'LoadBalancer')
  need(`service ${lb?.metadata?.name}`, 'find the NLB address of the Service the manifests define')
  need('-c daprd', 'read the sidecar logs')
  need('https://$NLB', 'clients reach the NLB over TLS')
  need(`eksctl ${EKSCTL_VERSION}`, 'state the eksctl version the walkthrough was written with')
  need(`--version ${LBC_CHART_VERSION}`, 'install the pinned load balancer controller chart')
  need('-f manifests/cluster/otel-collector-values.yaml', 'install the OpenTelemetry collector the Configurations send traces to')
  need('-f manifests/cluster/prometheus-values.yaml', 'install the Prometheus the NetworkPolicies let in')
  need('delete pvc -l app=dapr-scheduler-server', 'clean-up removes the Dapr scheduler\'s volumes')
  for (const [version, end] of Object.entries(EKS_STANDARD_SUPPORT)) {
    if (b.cluster?.metadata?.version === version && !docs.includes(end)) issues.push({ check: 'DOCS', where: 'docs/deploy-eks.md', message: `does not give the end of standard support of Kubernetes ${version} (${end})` })
  }
  const lines = shellLines(docs)
  const edge = lines.findIndex((l) => l.startsWith('kubectl apply -k manifests/edge'))
  const apps = lines.findIndex((l) => /^kubectl apply -k manifests$/.test(l))
  if (edge < 0 || apps < 0 || edge > apps) issues.push({ check: 'DOCS', where: 'docs/deploy-eks.md', message: 'apply `kubectl apply -k manifests/edge` (and wait for its TargetGroupBinding) before `kubectl apply -k manifests`, or the first pods get no readiness gate' })
  for (const l of lines.filter((x) => /^helm (upgrade --install|install) /.test(x) && !/ --version \S+/.test(x))) {
    issues.push({ check: 'DOCS', where: 'docs/deploy-eks.md', message: `\`${l}\` installs an unpinned chart (add --version)` })
  }
  for (const p of curlProblems(docs)) issues.push({ check: 'DOCS', where: 'docs/deploy-eks.md', message: p })
  for (const p of curlProblems(b.readme)) issues.push({ check: 'DOCS', where: 'README.md', message: p })
  if (/narrow (it|the access string) (once|later)/i.test(docs)) issues.push({ check: 'DOCS', where: 'docs/deploy-eks.md', message: 'do not advise narrowing the Redis access string: daprd needs INFO, EVAL and its JSON probe' })
  return issues
}
