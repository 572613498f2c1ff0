import t, { type Test } from 'tap'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfiguration, loadResources, ResourcesError } from '../../src/sidecar/resources.js'
import type { RedisStore } from '../../src/sidecar/store/redis.js'
import type { InMemoryStore } from '../../src/sidecar/store/in-memory.js'

const repo = join(import.meta.dirname, '..', '..', '..')

const component = (name: string, type: string, extra = '') => `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: ${type}
  version: v1
${extra}`

type Tree = { [name: string]: string | Tree }

/** A fresh folder holding `files` (nested objects are folders), removed at teardown. */
function folder (t: Test, files: Tree): string {
  const dir = mkdtempSync(join(tmpdir(), 'resources-test-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const write = (base: string, tree: Tree): void => {
    for (const [name, content] of Object.entries(tree)) {
      if (typeof content === 'string') {
        writeFileSync(join(base, name), content)
      } else {
        mkdirSync(join(base, name))
        write(join(base, name), content)
      }
    }
  }
  write(dir, files)
  return dir
}

async function loadFails (t: Test, files: Tree, code: string, message: RegExp, appId = 'nodeapp') {
  const dir = folder(t, files)
  const err = await loadResources({ resourcesPaths: [dir], appId }).then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof ResourcesError, 'a ResourcesError')
  t.equal((err as ResourcesError).code, code)
  t.match((err as ResourcesError).message, message)
  return err as ResourcesError
}

t.test("the repo's own components load cleanly", async (t) => {
  const local = await loadResources({ resourcesPaths: [join(repo, 'components/common'), join(repo, 'components/local')], appId: 'nodeapp' })
  t.same(local.resiliencies, ['resiliency'])
  t.equal(local.stateStores.length, 1)
  const mem = local.stateStores[0] as InMemoryStore
  t.match(mem, { name: 'statestore', type: 'state.in-memory', version: 'v1', keyPrefix: undefined })

  const redis = await loadResources({ resourcesPaths: [join(repo, 'components/common'), join(repo, 'components/redis')], appId: 'generator' })
  const store = redis.stateStores[0] as RedisStore
  t.teardown(() => store.close())
  t.match(store, { name: 'statestore', type: 'state.redis', keyPrefix: 'appid' })
  t.match(store.settings, { address: 'localhost:6379', password: undefined })

  const other = await loadResources({ resourcesPaths: [join(repo, 'components/local')], appId: 'someone-else' })
  t.same(other.stateStores, [], 'scoped to nodeapp and generator')

  const root = await loadResources({ resourcesPaths: [join(repo, 'components')], appId: 'nodeapp' })
  t.same(root, { stateStores: [], resiliencies: [], resiliencyResources: [] }, 'config.yaml in a resources path is skipped; folders are not recursed')

  const config = await loadConfiguration(join(repo, 'components/config.yaml'))
  t.same(config, { name: 'appconfig', tracing: { samplingRate: '1' }, metrics: { enabled: true }, accessControl: undefined, features: [] })
})

t.test('several documents per file, .yml too, other files and folders ignored, files in name order', async (t) => {
  const dir = folder(t, {
    'b.yaml': `${component('second', 'state.in-memory')}
---
apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: res-b
spec: {}
---
apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: ignored
spec: {}
---
`,
    'a.yml': component('first', 'state.in-memory'),
    'r.yaml': 'apiVersion: dapr.io/v1alpha1\nkind: Resiliency\nmetadata:\n  name: res-first\nspec:\n  policies: {}\n',
    'notes.txt': 'kind: Nonsense',
    'c.YAML': 'not: [valid',
    nested: { 'd.yaml': component('nested', 'state.in-memory') }
  })
  const extra = folder(t, { 'x.yaml': component('third', 'state.in-memory') })
  const warnings: string[] = []
  const logger = { info () {}, warn: (_: object, msg: string) => { warnings.push(msg) } }
  const { stateStores, resiliencies, resiliencyResources } = await loadResources({ resourcesPaths: [dir, extra], appId: 'nodeapp', logger })
  t.same(stateStores.map((s) => s.name), ['first', 'second', 'third'])
  // daprd reads a resiliency file as a single YAML document: res-b, second in its file, is never seen.
  t.same(resiliencies, ['res-first'])
  t.match(resiliencyResources, [{ name: 'res-first', spec: { policies: {} } }])
  t.match(warnings, [/resiliency res-b is not the first document of .*b\.yaml: daprd ignores it/])
})

t.test('metadata values may be any scalar and become strings', async (t) => {
  const dir = folder(t, {
    'r.yaml': component('cache', 'state.redis', `  metadata:
    - name: redisHost
      value: localhost:6390
    - name: redisDB
      value: 2
    - name: enableTLS
      value: true
    - name: redisPassword
      value: null
    - name: redisUsername
    - name: ttlInSeconds
      value: "30"
`),
    'm.yaml': `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: mem
spec:
  type: state.in-memory
  metadata:
    - name: actorStateStore
      value: true
    - name: keyPrefix
      value: Name
`
  })
  const { stateStores } = await loadResources({ resourcesPaths: [dir], appId: 'nodeapp' })
  const [mem, redis] = stateStores as [InMemoryStore, RedisStore]
  t.teardown(() => redis.close())
  t.match(mem, { name: 'mem', version: 'v1', actorStateStore: true, keyPrefix: 'name' }, 'a missing version means v1')
  t.match(redis.settings, { db: 2, tls: { rejectUnauthorized: true }, password: undefined, username: undefined, ttlInSeconds: 30 })
})

t.test('scopes and NAMESPACE decide which components apply; scopes alone decide for resiliencies', async (t) => {
  const scoped = (name: string, scopes: string, ns = '') => `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
${ns === '' ? '' : `  namespace: ${ns}\n`}spec:
  type: state.in-memory
  version: v1
scopes: ${scopes}
`
  const dir = folder(t, {
    'a.yaml': scoped('dup', '[generator]'),
    'b.yaml': scoped('dup', '[nodeapp]'),
    'c.yaml': scoped('open', '[]'),
    'd.yaml': scoped('nullscopes', 'null'),
    'e.yaml': scoped('dev-only', '[]', 'dev'),
    'f.yaml': scoped('prod-only', '[]', 'prod'),
    'g.yaml': `apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: generator-only
spec: {}
scopes: [generator]
`,
    'h.yaml': `apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: dev-res
  namespace: dev
spec: {}
`
  })
  const prod = await loadResources({ resourcesPaths: [dir], appId: 'nodeapp', env: { NAMESPACE: 'prod' } })
  t.same(prod.stateStores.map((s) => s.name), ['dup', 'open', 'nullscopes', 'prod-only'], 'a duplicate that is scoped out is no duplicate')
  t.same(prod.resiliencies, ['dev-res'], 'standalone daprd does not filter resiliencies by namespace')
  const noNs = await loadResources({ resourcesPaths: [dir], appId: 'generator', env: {} })
  t.same(noNs.stateStores.map((s) => s.name), ['dup', 'open', 'nullscopes', 'dev-only', 'prod-only'], 'without NAMESPACE no namespace filter')
  t.same(noNs.resiliencies, ['generator-only', 'dev-res'])
})

t.test('what cannot be emulated fails, naming the file, the component and the field', async (t) => {
  let err = await loadFails(t, { 'p.yaml': component('pubsub', 'pubsub.redis') }, 'RESOURCES_ERR_NOT_EMULATED',
    /p\.yaml: component 'pubsub' \(pubsub\.redis\): type pubsub\.redis is not emulated/)
  t.match(err.file, /p\.yaml$/)
  await loadFails(t, { 's.yaml': component('s', 'state.in-memory', '  metadata:\n    - name: ttlInSeconds\n      value: "5"\n') },
    'RESOURCES_ERR_INVALID', /s\.yaml: component 's' \(state\.in-memory\): unknown metadata field 'ttlInSeconds'/)
  await loadFails(t, { 's.yaml': component('s', 'state.redis', '  metadata:\n    - name: redisHost\n      value: h\n    - name: redisDB\n      value: one\n') },
    'RESOURCES_ERR_INVALID', /component 's' \(state\.redis\): metadata field 'redisDB': strconv\.Atoi/)
  await loadFails(t, { 's.yaml': component('s', 'state.redis', '  metadata:\n    - name: redisHost\n      value: h\n    - name: redisPassword\n      secretKeyRef:\n        name: redis\n        key: password\n') },
    'RESOURCES_ERR_NOT_EMULATED', /component 's' \(state\.redis\): metadata field 'redisPassword' uses secretKeyRef/)
  await loadFails(t, { 's.yaml': component('s', 'state.in-memory', '  metadata:\n    - name: keyPrefix\n      value: a\n    - name: keyPrefix\n      value: b\n') },
    'RESOURCES_ERR_INVALID', /metadata field 'keyPrefix' is given twice/)
  await loadFails(t, { 's.yaml': component('s', 'state.in-memory', '  metadata:\n    - name: keyPrefix\n      value: [a]\n') },
    'RESOURCES_ERR_INVALID', /component "s": \/spec\/metadata/)
  await loadFails(t, { 's.yaml': component('s', 'state.in-memory', '  ignoreErrors: true\n') },
    'RESOURCES_ERR_INVALID', /\/spec\/ignoreErrors/)
  await loadFails(t, { 's.yaml': component('s', 'state.in-memory').replace('version: v1', 'version: v2') },
    'RESOURCES_ERR_INVALID', /component 's' \(state\.in-memory\): version v2 does not exist/)
  err = await loadFails(t, { 'a.yaml': component('same', 'state.in-memory'), 'b.yaml': component('same', 'state.in-memory') },
    'RESOURCES_ERR_DUPLICATE', /b\.yaml: component 'same' is already defined in .*a\.yaml/)
  t.match(err.file, /b\.yaml$/)
})

t.test('other kinds, versions and malformed files fail', async (t) => {
  await loadFails(t, { 'sub.yaml': 'apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata:\n  name: s\n' },
    'RESOURCES_ERR_NOT_EMULATED', /sub\.yaml: kind Subscription is not emulated/)
  await loadFails(t, { 'ep.yaml': 'apiVersion: dapr.io/v1alpha1\nkind: HTTPEndpoint\nmetadata:\n  name: e\n' },
    'RESOURCES_ERR_NOT_EMULATED', /kind HTTPEndpoint is not emulated/)
  await loadFails(t, { 'k.yaml': 'apiVersion: v1\nkind: ConfigMap\n' }, 'RESOURCES_ERR_INVALID', /unknown resource apiVersion "v1" kind "ConfigMap"/)
  await loadFails(t, { 'k.yaml': component('s', 'state.in-memory').replace('dapr.io/v1alpha1', 'dapr.io/v2') }, 'RESOURCES_ERR_INVALID', /apiVersion "dapr\.io\/v2"/)
  await loadFails(t, { 'k.yaml': 'apiVersion: dapr.io/v1alpha1\nkind: Widget\n' }, 'RESOURCES_ERR_INVALID', /kind "Widget"/)
  await loadFails(t, { 'bad.yaml': 'apiVersion: [unclosed\n' }, 'RESOURCES_ERR_INVALID', /bad\.yaml: invalid YAML/)
  await loadFails(t, { 'list.yaml': '- a\n- b\n' }, 'RESOURCES_ERR_INVALID', /not a mapping/)
  await loadFails(t, { 'scalar.yaml': 'just text\n' }, 'RESOURCES_ERR_INVALID', /not a mapping/)
  await loadFails(t, { 'r.yaml': 'apiVersion: dapr.io/v1alpha1\nkind: Resiliency\nmetadata:\n  name: ""\n' }, 'RESOURCES_ERR_INVALID', /r\.yaml: resiliency: \/metadata\/name/)
  await loadFails(t, { 'n.yaml': 'apiVersion: dapr.io/v1alpha1\nkind: Component\nspec:\n  type: state.in-memory\n' }, 'RESOURCES_ERR_INVALID', /component undefined: \/metadata/)
  const missing = join(folder(t, {}), 'nope')
  const err = await loadResources({ resourcesPaths: [missing], appId: 'a' }).then(() => undefined, (e: unknown) => e) as ResourcesError
  t.equal(err.code, 'RESOURCES_ERR_READ')
  t.match(err.message, /nope: cannot read resources path: ENOENT/)
})

t.test('loadConfiguration: typed subset with access control and features', async (t) => {
  const dir = folder(t, {
    'full.yaml': `apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: eks
spec:
  tracing:
    samplingRate: 0.25
    zipkin:
      endpointAddress: http://zipkin:9411/api/v2/spans
  metrics:
    enabled: false
  accessControl:
    defaultAction: Deny
    trustDomain: public
    policies:
      - appId: generator
        defaultAction: deny
        namespace: orders
        operations:
          - name: /neworder
            httpVerb: [POST]
            action: ALLOW
          - name: /health
            action: allow
      - appId: other
  features:
    - name: SchedulerReminders
      enabled: true
`,
    'bare.yaml': 'apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: bare\n',
    'two.yaml': 'apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: a\n---\napiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: b\n',
    'action.yaml': 'apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: a\nspec:\n  accessControl:\n    defaultAction: maybe\n',
    'rate.yaml': 'apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: a\nspec:\n  tracing:\n    samplingRate: often\n',
    'comp.yaml': component('s', 'state.in-memory'),
    'acl.yaml': 'apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: acl\nspec:\n  accessControl:\n    defaultAction: allow\n'
  })
  t.same(await loadConfiguration(join(dir, 'full.yaml')), {
    name: 'eks',
    tracing: { samplingRate: '0.25' },
    metrics: { enabled: false },
    accessControl: {
      defaultAction: 'deny',
      trustDomain: 'public',
      policies: [
        {
          appId: 'generator',
          defaultAction: 'deny',
          trustDomain: undefined,
          namespace: 'orders',
          operations: [
            { name: '/neworder', httpVerb: ['POST'], action: 'allow' },
            { name: '/health', httpVerb: [], action: 'allow' }
          ]
        },
        { appId: 'other', defaultAction: undefined, trustDomain: undefined, namespace: undefined, operations: [] }
      ]
    },
    features: [{ name: 'SchedulerReminders', enabled: true }]
  })
  t.same(await loadConfiguration(join(dir, 'bare.yaml')), { name: 'bare', tracing: { samplingRate: undefined }, metrics: { enabled: true }, accessControl: undefined, features: [] })
  t.same((await loadConfiguration(join(dir, 'acl.yaml'))).accessControl, { defaultAction: 'allow', trustDomain: undefined, policies: [] })
  const fails = async (file: string, code: string, message: RegExp) => {
    const err = await loadConfiguration(join(dir, file)).then(() => undefined, (e: unknown) => e) as ResourcesError
    t.equal(err.code, code, file)
    t.match(err.message, message)
  }
  await fails('two.yaml', 'RESOURCES_ERR_INVALID', /two\.yaml: expected one Configuration document, found 2/)
  await fails('action.yaml', 'RESOURCES_ERR_INVALID', /action\.yaml: configuration: \/spec\/accessControl\/defaultAction/)
  await fails('rate.yaml', 'RESOURCES_ERR_INVALID', /\/spec\/tracing\/samplingRate/)
  await fails('comp.yaml', 'RESOURCES_ERR_INVALID', /configuration: \/kind/)
  await fails('missing.yaml', 'RESOURCES_ERR_READ', /missing\.yaml: cannot read file: ENOENT/)
})
