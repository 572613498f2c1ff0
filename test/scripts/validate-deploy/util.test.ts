// The shared bundle helpers, on small hand-made objects: lookups, selectors, ports and who
// invokes whom.
import t from 'tap'
import * as u from '../../../scripts/validate-deploy/util.js'
import { empty } from './helpers.js'

const dep = (id: string | undefined, extra: Record<string, unknown> = {}): unknown => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: id ?? 'anon' },
  spec: {
    template: {
      metadata: { labels: { app: id ?? 'anon' }, annotations: id === undefined ? {} : { 'dapr.io/app-id': id, 'dapr.io/config': `${id}-config` } },
      spec: { containers: [{ name: 'side' }, { name: id ?? 'main', ports: [{ name: 'http', containerPort: 3000 }], ...extra }] }
    }
  }
})

t.test('small predicates', async (t) => {
  t.ok(u.isRecord({}))
  t.notOk(u.isRecord([]))
  t.notOk(u.isRecord(null))
  t.same(u.arr([1]), [1])
  t.same(u.arr('x'), [])
  t.equal(u.ref({ kind: 'Service', metadata: { name: 'a' } }), 'Service/a')
  t.equal(u.ref(undefined), '?/?')
  t.ok(u.isDapr({ apiVersion: 'dapr.io/v1alpha1' }))
  t.notOk(u.isDapr({ apiVersion: 'v1' }))
  t.notOk(u.isDapr(null))
  t.same(u.ofKind([{ kind: 'A' }, null, { kind: 'B' }], 'B'), [{ kind: 'B' }])
})

t.test('a Deployment\'s template', async (t) => {
  const d = dep('nodeapp')
  t.equal(u.appIdOf(d), 'nodeapp')
  t.equal(u.appIdOf({ spec: { template: { metadata: { annotations: { 'dapr.io/app-id': 7 } } } } }), undefined, 'a non-string id is no id')
  t.same(u.annotations({ spec: { template: { metadata: { annotations: ['x'] } } } }), {}, 'a list is not an annotation map')
  t.same(u.podSpec(null), {})
  t.same(u.containers({}), [])
  t.equal(u.appContainer(d).name, 'nodeapp', 'the container named after the app id')
  t.equal(u.appContainer(dep(undefined)).name, 'side', 'else the first')
  t.same(u.appContainer({}), {}, 'else nothing')
  t.same(u.envOf({ env: [{ name: 'A', value: '1' }] }, 'A'), { name: 'A', value: '1' })
  t.equal(u.envOf(undefined, 'A'), undefined)
  t.same(u.podLabels(d), { app: 'nodeapp', 'dapr.io/app-id': 'nodeapp', 'dapr.io/sidecar-injected': 'true' }, 'the injector adds its labels')
  t.same(u.podLabels(dep(undefined)), { app: 'anon' })
  t.same(u.podLabels(null), {})
})

t.test('matchLabels', async (t) => {
  const labels = { app: 'a', tier: 'web' }
  t.notOk(u.matchLabels(undefined, labels), 'no selector selects nothing')
  t.ok(u.matchLabels({}, labels), 'an empty selector selects everything')
  t.ok(u.matchLabels({ matchLabels: { app: 'a' } }, labels))
  t.notOk(u.matchLabels({ matchLabels: { app: 'b' } }, labels))
  const expr = (operator: string, key: string, values?: string[]): unknown => ({ matchExpressions: [{ key, operator, values }] })
  t.ok(u.matchLabels(expr('In', 'app', ['a', 'b']), labels))
  t.notOk(u.matchLabels(expr('In', 'app', ['b']), labels))
  t.notOk(u.matchLabels(expr('In', 'zone', ['a']), labels), 'In needs the key')
  t.ok(u.matchLabels(expr('NotIn', 'app', ['b']), labels))
  t.notOk(u.matchLabels(expr('NotIn', 'app', ['a']), labels))
  t.ok(u.matchLabels(expr('NotIn', 'zone', ['a']), labels), 'NotIn holds for an absent key')
  t.ok(u.matchLabels(expr('Exists', 'tier'), labels))
  t.notOk(u.matchLabels(expr('Exists', 'zone'), labels))
  t.ok(u.matchLabels(expr('DoesNotExist', 'zone'), labels))
  t.notOk(u.matchLabels(expr('DoesNotExist', 'tier'), labels))
  t.notOk(u.matchLabels(expr('Gt', 'tier'), labels), 'an unknown operator selects nothing')
  t.notOk(u.matchLabels({ matchExpressions: [null] }, labels))
})

t.test('resolvePort', async (t) => {
  const c = { ports: [{ name: 'http', containerPort: 3000 }, { name: 'bad', containerPort: '3001' }] }
  t.equal(u.resolvePort(c, 3000), 3000)
  t.equal(u.resolvePort(c, 3001), undefined, 'a number must be declared')
  t.equal(u.resolvePort(c, 'http'), 3000)
  t.equal(u.resolvePort(c, 'bad'), undefined, 'a named port with a non-numeric containerPort')
  t.equal(u.resolvePort(c, 'nope'), undefined)
  t.equal(u.resolvePort(undefined, 'http'), undefined)
})

t.test('bundle lookups', async (t) => {
  const b = empty()
  const caller = dep('generator', { env: [{ name: 'TARGET_APP_ID', value: 'nodeapp' }] })
  const noId = dep(undefined, { env: [{ name: 'TARGET_APP_ID', value: 'nodeapp' }] })
  const badTarget = dep('other', { env: [{ name: 'TARGET_APP_ID', valueFrom: {} }] })
  const config = { apiVersion: 'dapr.io/v1alpha1', kind: 'Configuration', metadata: { name: 'generator-config' } }
  const svc = { kind: 'Service', metadata: { name: 'gen' }, spec: { selector: { app: 'generator' } } }
  const other = { kind: 'Service', metadata: { name: 'x' }, spec: { selector: { app: 'x' } } }
  b.rendered = [caller, noId, badTarget, config, svc, other,
    { kind: 'Component', metadata: { name: 'statestore' } }, { kind: 'Resiliency', metadata: { name: 'r' } }]
  t.equal(u.deployments(b).length, 3)
  t.same(u.components(b).map(u.ref), ['Component/statestore'])
  t.same(u.configurations(b).map(u.ref), ['Configuration/generator-config'])
  t.same(u.resiliencies(b).map(u.ref), ['Resiliency/r'])
  t.same(u.invocations(b), [{ caller: 'generator', callee: 'nodeapp' }], 'only a string target from an app with an id')
  t.equal(u.configFor(b, caller), config)
  t.equal(u.configFor(b, badTarget), undefined)
  t.same(u.servicesFor(b, caller), [svc])
  t.same(u.runFileApps(b), [])
  b.runFile = { apps: [{ appID: 'a' }] }
  t.same(u.runFileApps(b), [{ appID: 'a' }])
})

t.test('seconds', async (t) => {
  t.equal(u.seconds('25s'), 25)
  t.equal(u.seconds('1m'), 60)
  t.equal(u.seconds('25'), undefined)
  t.equal(u.seconds(25), undefined)
})
