// Network: CIDR arithmetic, eksctl's subnets, NetworkPolicy evaluation on small policies, and the
// edge, NetworkPolicy and metrics checks on one-mistake copies of the committed tree.
import t from 'tap'
import type { DeployBundle, Issue, Json } from '../../../scripts/validate-deploy/bundle.js'
import {
  checkMetrics, checkNetworkPolicies, checkServiceAnnotations, checkServices, cidrRange, cidrWithin, eksctlPublicSubnets, netpolAllows, publicSubnets, sampleIp
} from '../../../scripts/validate-deploy/network.js'
import { committed, empty, obj, withCommittedTree, issuesAfter } from './helpers.js'

const { bundle: good, reason } = await committed()
const line = (i: Issue): string => `${i.check} ${i.where} ${i.message}`
const with_ = (...rendered: Json[]): DeployBundle => ({ ...empty(), rendered })

t.test('CIDR arithmetic', async (t) => {
  t.same(cidrRange('10.0.0.0/16'), [167772160, 167837695])
  t.same(cidrRange('10.0.5.7/24'), [167773440, 167773695], 'host bits are dropped')
  t.same(cidrRange('0.0.0.0/0'), [0, 4294967295])
  t.equal(cidrRange('10.0.0.256/24'), undefined)
  t.equal(cidrRange('10.0.0.0/33'), undefined)
  t.equal(cidrRange('10.0.0.0'), undefined)
  t.ok(cidrWithin('10.0.32.0/19', '10.0.0.0/16'))
  t.notOk(cidrWithin('10.1.0.0/19', '10.0.0.0/16'))
  t.notOk(cidrWithin('10.0.0.0/8', '10.0.0.0/16'))
  t.notOk(cidrWithin('nope', '10.0.0.0/16'))
  t.notOk(cidrWithin('10.0.0.0/24', 'nope'))
  t.equal(sampleIp('10.0.32.0/19'), '10.0.32.10')
  t.equal(sampleIp('garbage'), '0.0.0.0')
  t.equal(sampleIp(undefined), '0.0.0.0')
})

t.test('eksctl\'s public subnets', async (t) => {
  t.same(eksctlPublicSubnets('10.0.0.0/16', 3), ['10.0.0.0/19', '10.0.32.0/19', '10.0.64.0/19'], 'eight blocks for up to four zones')
  t.same(eksctlPublicSubnets('192.168.0.0/16', 5), ['192.168.0.0/20', '192.168.16.0/20', '192.168.32.0/20', '192.168.48.0/20', '192.168.64.0/20'], 'sixteen beyond')
  t.same(eksctlPublicSubnets('10.0.0.0/16', 0), [])
  t.same(eksctlPublicSubnets('nope', 3), [])
  t.same(publicSubnets({ ...empty(), cluster: { vpc: { cidr: '10.0.0.0/16' }, availabilityZones: ['a', 'b'] } }), ['10.0.0.0/19', '10.0.32.0/19'])
  t.same(publicSubnets(empty()), [])
})

t.test('netpolAllows', async (t) => {
  const np = (podSelector: Json, spec: Json): Json => ({ kind: 'NetworkPolicy', metadata: { name: 'p' }, spec: { podSelector, ...spec } })
  const pod = { app: 'a' }
  const b = with_(
    np({ matchLabels: { app: 'a' } }, {
      ingress: [
        { from: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.1.0/24', 7] } }], ports: [{ port: 8080 }] },
        { from: [{ ipBlock: {} }], ports: [{ port: 8081 }] },
        { from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ port: 9000, endPort: 9010, protocol: 'TCP' }] },
        { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ protocol: 'UDP' }] },
        { ports: [{ port: 7000 }] }
      ],
      egress: [{ to: [{ namespaceSelector: {}, podSelector: { matchLabels: { k: 'v' } } }] }]
    }),
    np({ matchLabels: { app: 'other' } }, { ingress: [{}] })
  )
  const client = { namespace: 'orders', labels: { role: 'client' } }
  t.ok(netpolAllows(b, 'ingress', pod, { ip: '10.0.2.1' }, 8080))
  t.notOk(netpolAllows(b, 'ingress', pod, { ip: '10.0.1.1' }, 8080), 'except carves out')
  t.notOk(netpolAllows(b, 'ingress', pod, { ip: '10.1.0.1' }, 8080), 'outside the block')
  t.notOk(netpolAllows(b, 'ingress', pod, { ip: '10.0.2.1' }, 8081), 'an ipBlock without a cidr admits nothing')
  t.notOk(netpolAllows(b, 'ingress', pod, { namespace: 'orders', labels: {} }, 8080), 'an ipBlock never matches a pod')
  t.notOk(netpolAllows(b, 'ingress', pod, { ip: '10.0.2.1' }, 9005), 'a pod selector never matches an address')
  t.ok(netpolAllows(b, 'ingress', pod, client, 9005), 'within port..endPort')
  t.ok(netpolAllows(b, 'ingress', pod, client, 9010))
  t.ok(netpolAllows(b, 'ingress', pod, client, 9000), 'port itself')
  t.notOk(netpolAllows(b, 'ingress', pod, client, 8999))
  t.notOk(netpolAllows(b, 'ingress', pod, client, 9011))
  t.notOk(netpolAllows(b, 'ingress', pod, { namespace: 'default', labels: { role: 'client' } }, 9005), 'a bare podSelector is the policy\'s own namespace')
  t.ok(netpolAllows(b, 'ingress', pod, { namespace: 'monitoring', labels: {} }, 53, 'UDP'), 'a port entry without a number covers every port of its protocol')
  t.notOk(netpolAllows(b, 'ingress', pod, { namespace: 'monitoring', labels: {} }, 53), 'TCP is the default protocol')
  t.ok(netpolAllows(b, 'ingress', pod, { ip: '203.0.113.1' }, 7000), 'a rule without peers admits everyone')
  t.ok(netpolAllows(b, 'egress', pod, { namespace: 'anywhere', labels: { k: 'v' } }, 1), 'a rule without ports covers every port')
  t.notOk(netpolAllows(b, 'egress', pod, { namespace: 'anywhere', labels: {} }, 1))
  t.notOk(netpolAllows(b, 'ingress', { app: 'b' }, { ip: '10.0.2.1' }, 8080), 'no policy selects the pod')
})

t.test('an empty bundle', async (t) => {
  t.same(checkServices(empty()).map(line), ['SERVICE_NLB manifests expected exactly one LoadBalancer Service, found 0'])
  t.same(checkNetworkPolicies(empty()).map(line), ['NETPOL manifests/networkpolicies.yaml no default-deny policy (podSelector {}, Ingress and Egress, no rules)'])
  t.same(checkMetrics(empty()), [])
  t.same(checkServiceAnnotations(empty()), [])
})

withCommittedTree(good, reason, (good) => {
  const run = (mutate: (b: DeployBundle) => void, check: (b: DeployBundle) => Issue[]): string[] => issuesAfter(good, mutate, check).map(line)
  const svc = (b: DeployBundle): Json => obj(b.rendered, 'Service', 'nodeapp-public')
  const lb = (key: string): string => `service.beta.kubernetes.io/aws-load-balancer-${key}`
  const np = (b: DeployBundle, name: string): Json => obj(b.rendered, 'NetworkPolicy', name).spec
  const dep = (b: DeployBundle, name: string): Json => obj(b.rendered, 'Deployment', name)
  const env = (b: DeployBundle, name: string, variable: string): Json => dep(b, name).spec.template.spec.containers[0].env.find((e: Json) => e.name === variable)

  t.test('the committed tree passes', async (t) => {
    for (const check of [checkServices, checkServiceAnnotations, checkNetworkPolicies, checkMetrics]) t.same(check(good), [])
  })

  t.test('the NLB Service', async (t) => {
    t.same(run((b) => { b.rendered.push({ kind: 'Service', metadata: { name: 'nodeapp-dapr' }, spec: {} }, { kind: 'Service', metadata: { name: 'other-dapr' }, spec: {} }) }, checkServices),
      ['SERVICE_NLB Service/nodeapp-dapr the Dapr operator owns <app-id>-dapr Services'])
    t.same(run((b) => { const s = svc(b); s.metadata.annotations = undefined; s.spec.loadBalancerClass = undefined; s.spec.loadBalancerSourceRanges = [] }, checkServices), [
      'SERVICE_NLB Service/nodeapp-public loadBalancerClass must be service.k8s.aws/nlb',
      'SERVICE_NLB Service/nodeapp-public scheme must be internet-facing',
      'SERVICE_NLB Service/nodeapp-public nlb-target-type must be ip',
      'SERVICE_NLB Service/nodeapp-public healthcheck-protocol must be HTTP',
      'SERVICE_NLB Service/nodeapp-public target-group-attributes must set preserve_client_ip.enabled=false (the NetworkPolicy admits the NLB by its subnets, not by client address)',
      'SERVICE_NLB Service/nodeapp-public ssl-cert must be an ACM certificate ARN (the TLS listener needs one)',
      'SERVICE_NLB Service/nodeapp-public port https (443) is not in ssl-ports: it would listen in plain TCP and carry the API key in the clear',
      'SERVICE_NLB Service/nodeapp-public ssl-negotiation-policy undefined is not a current TLS 1.3/1.2 policy (unset means ELBSecurityPolicy-2016-08)',
      'SERVICE_NLB Service/nodeapp-public spec.loadBalancerSourceRanges must list who may reach the NLB (0.0.0.0/0 for everyone, said explicitly)',
      'SERVICE_NLB Service/nodeapp-public healthcheck-path undefined differs from the readiness probe path'
    ])
    t.same(run((b) => { svc(b).metadata.annotations[lb('ssl-ports')] = 'https, ' }, checkServices), [], 'ssl-ports may name the port')
    t.same(run((b) => { svc(b).spec.ports.push({ name: 'http', port: 80, targetPort: 'public' }) }, checkServices), [
      'SERVICE_NLB Service/nodeapp-public port http (80) is not in ssl-ports: it would listen in plain TCP and carry the API key in the clear',
      'SERVICE_NLB Service/nodeapp-public the public listener must be port 443 only'
    ])
    t.same(run((b) => { svc(b).spec.loadBalancerSourceRanges = ['203.0.113.0/24', 'everyone'] }, checkServices), ['SERVICE_NLB Service/nodeapp-public loadBalancerSourceRanges entry everyone is not an IPv4 CIDR'])
    t.same(run((b) => { svc(b).spec.selector = { 'app.kubernetes.io/part-of': 'orders-on-dapr' } }, checkServices), ['SERVICE_NLB Service/nodeapp-public selects 2 Deployments, expected 1'])
    t.same(run((b) => { svc(b).spec.ports[0].targetPort = 3000 }, checkServices),
      ['SERVICE_NLB Service/nodeapp-public port https targetPort 3000 is not the app\'s PUBLIC_PORT'], 'the loopback app channel is no containerPort, so the NLB could not reach it anyway')
    t.same(run((b) => { dep(b, 'nodeapp').spec.template.spec.containers[0].ports.push({ name: 'channel', containerPort: 3000 }); svc(b).spec.ports[0].targetPort = 'channel' }, checkServices),
      ['RISKY_VALUE Service/nodeapp-public port https forwards to the Dapr app channel 3000: the app token would cross the network'])
    t.same(run((b) => { svc(b).spec.ports[0].targetPort = 'metrics' }, checkServices), ['SERVICE_NLB Service/nodeapp-public port https targetPort metrics is not the app\'s PUBLIC_PORT'])
    t.same(run((b) => { b.rendered.push({ ...structuredClone(svc(b)), metadata: { name: 'second' } }) }, checkServices)[0], 'SERVICE_NLB manifests expected exactly one LoadBalancer Service, found 2')
  })

  t.test('Service annotations', async (t) => {
    t.same(run((b) => {
      b.rendered.push({ kind: 'Service', metadata: { name: 'no-annotations' } })
      Object.assign(svc(b).metadata.annotations, { [lb('listener-attributes.TCP-443')]: 'x', 'service.kubernetes.io/topology-mode': 'Auto', [lb('sheme')]: 'internet-facing', 'example.com/other': 'x' })
    }, checkServiceAnnotations), [
      'SERVICE_ANNOTATION Service/nodeapp-public service.kubernetes.io/topology-mode is not an annotation the load balancer controller v2.14.1 reads',
      'SERVICE_ANNOTATION Service/nodeapp-public service.beta.kubernetes.io/aws-load-balancer-sheme is not an annotation the load balancer controller v2.14.1 reads'
    ])
  })

  t.test('NetworkPolicies', async (t) => {
    t.same(run((b) => { np(b, 'default-deny').ingress = [] }, checkNetworkPolicies)[0], 'NETPOL manifests/networkpolicies.yaml no default-deny policy (podSelector {}, Ingress and Egress, no rules)')
    t.same(run((b) => { np(b, 'generator-ingress').ingress[0].ports.shift() }, checkNetworkPolicies), ['NETPOL Deployment/generator Prometheus in namespace monitoring cannot reach daprd metrics on 9090'])
    t.same(run((b) => { np(b, 'generator-ingress').ingress.push({ ports: [{ port: 3001 }] }) }, checkNetworkPolicies),
      ['NETPOL Deployment/generator the Dapr app channel 3001 is open to everyone; it must stay closed to everything outside the pod'])
    t.same(run((b) => { np(b, 'generator-ingress').ingress.push({ from: [{ podSelector: {} }], ports: [{ port: 3001 }] }) }, checkNetworkPolicies),
      ['NETPOL Deployment/generator the Dapr app channel 3001 is open to [{"podSelector":{}}]; it must stay closed to everything outside the pod'])
    t.same(run((b) => { np(b, 'nodeapp-ingress').ingress[1].from.pop() }, checkNetworkPolicies), ['NETPOL Deployment/nodeapp the NLB\'s public subnet 10.0.64.0/19 cannot reach the public port 8080'])
    t.same(run((b) => { np(b, 'nodeapp-ingress').ingress[1].from.push({ ipBlock: { cidr: '10.0.128.0/19' } }, { podSelector: {} }) }, checkNetworkPolicies), [
      'NETPOL Deployment/nodeapp the public port 8080 is open to 10.0.128.0/19, outside the NLB\'s public subnets 10.0.0.0/19, 10.0.32.0/19, 10.0.64.0/19',
      'NETPOL Deployment/nodeapp the public port 8080 is open to pods ({"podSelector":{}}); only the NLB\'s public subnets may reach it'
    ])
    t.same(run((b) => { np(b, 'nodeapp-ingress').ingress[1] = { ports: [{ port: 8080 }] } }, checkNetworkPolicies),
      ['NETPOL Deployment/nodeapp the public port 8080 is open to everyone; only the NLB\'s public subnets may reach it'])
    t.same(run((b) => { env(b, 'nodeapp', 'PUBLIC_PORT').value = 'none'; np(b, 'nodeapp-ingress').ingress.splice(1, 1) }, checkNetworkPolicies), [], 'no public port, nothing to check there')
    t.same(run((b) => { np(b, 'nodeapp-ingress').ingress.splice(0, 1) }, checkNetworkPolicies), ['NETPOL Deployment/nodeapp generator invokes nodeapp but daprd\'s 50002 is closed to it'])
    t.same(run((b) => { np(b, 'generator-ingress').ingress.push({ from: [{ podSelector: { matchLabels: { 'dapr.io/app-id': 'nodeapp' } } }], ports: [{ port: 50002 }] }) }, checkNetworkPolicies),
      ['NETPOL Deployment/generator daprd\'s 50002 is open to nodeapp, which the ACL does not let call generator'])
    t.same(run((b) => { np(b, 'generator-egress-invoke').egress = [] }, checkNetworkPolicies), ['NETPOL Deployment/generator egress to nodeapp\'s daprd on 50002 is closed'])
    t.same(run((b) => { np(b, 'nodeapp-ingress').ingress[0].from = [{ namespaceSelector: {}, podSelector: { matchLabels: { 'dapr.io/app-id': 'generator' } } }, { ipBlock: { cidr: '0.0.0.0/0' } }] }, checkNetworkPolicies), [
      'NETPOL Deployment/nodeapp daprd\'s 50002 is open to a pod in another namespace',
      'NETPOL Deployment/nodeapp daprd\'s 50002 is open to an address in the VPC',
      'NETPOL Deployment/nodeapp daprd\'s 50002 is open to an address on the internet',
      'NETPOL NetworkPolicy/nodeapp-ingress ipBlock 0.0.0.0/0 is not inside the VPC 10.0.0.0/16'
    ])
    t.same(run((b) => { np(b, 'nodeapp-ingress').ingress[0].from = [{ podSelector: {} }] }, checkNetworkPolicies), ['NETPOL Deployment/nodeapp daprd\'s 50002 is open to a pod of another app'])
    t.same(run((b) => { np(b, 'dapr-egress').egress.splice(0, 3) }, checkNetworkPolicies), [
      'NETPOL Deployment/generator no DNS egress (UDP 53 to kube-dns)',
      'NETPOL Deployment/generator no egress to dapr-system on 50001 (Sentry 50001, operator 6500)',
      'NETPOL Deployment/generator no egress to dapr-system on 6500 (Sentry 50001, operator 6500)',
      'NETPOL Deployment/generator no egress to the cache on 6379',
      'NETPOL Deployment/nodeapp no DNS egress (UDP 53 to kube-dns)',
      'NETPOL Deployment/nodeapp no egress to dapr-system on 50001 (Sentry 50001, operator 6500)',
      'NETPOL Deployment/nodeapp no egress to dapr-system on 6500 (Sentry 50001, operator 6500)',
      'NETPOL Deployment/nodeapp no egress to the cache on 6379'
    ])
  })

  t.test('metrics', async (t) => {
    const ann = (b: DeployBundle, name: string): Json => dep(b, name).spec.template.metadata.annotations
    t.same(run((b) => { delete ann(b, 'generator')['prometheus.io/scrape']; ann(b, 'generator')['prometheus.io/path'] = '/stats' }, checkMetrics), [
      'METRICS Deployment/generator prometheus.io/scrape must be "true"',
      'METRICS Deployment/generator prometheus.io/path /stats is not /metrics'
    ])
    t.same(run((b) => { ann(b, 'generator')['prometheus.io/port'] = '9465' }, checkMetrics), [
      'METRICS Deployment/generator prometheus.io/port 9465 is not a declared containerPort',
      'METRICS Deployment/generator METRICS_PORT 9464 differs from prometheus.io/port 9465',
      'METRICS Deployment/generator Prometheus in namespace monitoring cannot reach /metrics on 9465'
    ])
    t.same(run((b) => { ann(b, 'generator')['dapr.io/app-port'] = '9464' }, checkMetrics),
      ['METRICS Deployment/generator metrics port 9464 is the app port; /metrics must stay off the port the NLB forwards'])
    t.same(run((b) => { np(b, 'generator-ingress').ingress.push({ from: [{ ipBlock: { cidr: '10.0.0.0/16' } }], ports: [{ port: 9464 }] }) }, checkMetrics),
      ['METRICS Deployment/generator metrics port 9464 is open to the VPC (the NLB)'])
  })
})
