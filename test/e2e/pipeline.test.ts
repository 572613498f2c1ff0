// End to end: the whole system started through the code `npm start` uses (the runner and
// dapr.yaml), with the in-memory store and with Redis. With E2E_RUNTIME=dapr (set by
// `npm run test:dapr`), the same checks run on real Dapr through `dapr run -f`.
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import t, { type Test } from 'tap'
import { Redis } from 'ioredis'
import { stringify } from 'yaml'
import { loadRunFile, type ResolvedApp } from '../../local-dapr/src/runner/run-file.js'
import { freePort, startSystem } from '../../local-dapr/src/runner/runner.js'
import { Collect } from '../../local-dapr/test/helpers/collect.js'
import { redisHostOf, redisUrlOrSkip } from '../../local-dapr/test/helpers/redis.js'

const repo = resolve(import.meta.dirname, '../..')
const ORDERS = 5
// This file's own Redis database, flushed before use, so it never meets other tests' keys.
const REDIS_DB = 12

interface Launched {
  orderPort: number
  /** Every port the system listens on, to check they are free after stop. */
  ports: number[]
  /** Resolves with the generator's exit code once it has sent its GENERATOR_COUNT orders. */
  generatorExited: Promise<number | string>
  output: Collect
  stop: () => Promise<void>
  /** True when no process of the system is left. */
  allExited: () => boolean
}

interface Flavour {
  name: string
  /** Resources folders, or undefined to skip (the reason already reported). */
  resources: (t: Test) => Promise<string[] | undefined>
  redisUrl?: string
}

async function launchLocal (t: Test, resourcesPaths: string[], deliveredFile: string): Promise<Launched> {
  const orderPort = await freePort()
  const apps: ResolvedApp[] = (await loadRunFile(repo)).map((app) => app.appId === 'nodeapp'
    ? { ...app, appPort: orderPort, env: { ...app.env, PORT: String(orderPort) } }
    : { ...app, env: { ...app.env, PORT: '0' } })
  const output = new Collect()
  const registry = await mkdtemp(join(tmpdir(), 'e2e-registry-'))
  const system = await startSystem({
    apps,
    output,
    env: { ...process.env, LOCAL_DAPR_REGISTRY_DIR: registry, LOG_LEVEL: 'info' },
    resourcesPaths,
    appEnv: { GENERATOR_COUNT: String(ORDERS), GENERATOR_INTERVAL_MS: '50', GENERATOR_DELIVERED_FILE: deliveredFile }
  })
  t.teardown(() => system.stop())
  const generator = system.apps.find((a) => a.appId === 'generator')
  return {
    orderPort,
    ports: [orderPort, ...system.apps.map((a) => a.daprHttpPort)],
    generatorExited: generator?.app.exited ?? Promise.resolve('no generator'),
    output,
    stop: system.stop,
    allExited: () => system.apps.every((a) => a.app.hasExited() && a.sidecar.hasExited())
  }
}

// Real Dapr: a run file like dapr.yaml with this test's ports, resources and env.
async function launchDapr (t: Test, resourcesPaths: string[], deliveredFile: string): Promise<Launched> {
  const orderPort = await freePort()
  const dir = await mkdtemp(join(tmpdir(), 'e2e-dapr-'))
  const apps = await loadRunFile(repo)
  const runFile = join(dir, 'dapr.yaml')
  await writeFile(runFile, stringify({
    version: 1,
    common: { resourcesPaths, configFilePath: join(repo, 'components/config.yaml'), daprdLogDestination: 'console', appLogDestination: 'console' },
    apps: apps.map((app) => ({
      appID: app.appId,
      appDirPath: repo,
      ...(app.appId === 'nodeapp' ? { appPort: orderPort } : {}),
      command: app.command,
      env: {
        ...app.env,
        ...(app.appId === 'nodeapp'
          ? { PORT: String(orderPort) }
          : { PORT: '0', GENERATOR_COUNT: String(ORDERS), GENERATOR_INTERVAL_MS: '50', GENERATOR_DELIVERED_FILE: deliveredFile })
      }
    }))
  }))
  const output = new Collect()
  const child = spawn('dapr', ['run', '-f', runFile], { stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout.pipe(output)
  child.stderr.pipe(output)
  let exited = false
  const done = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve() }))
  const stop = async (): Promise<void> => {
    spawn('dapr', ['stop', '-f', runFile], { stdio: 'ignore' })
    child.kill('SIGTERM')
    await done
  }
  t.teardown(stop)
  await waitForPort(orderPort, 120_000)
  const generatorExited = (async () => {
    await output.waitFor(/Generator stopped|exited/, 120_000)
    return 0
  })()
  return { orderPort, ports: [orderPort], generatorExited, output, stop, allExited: () => exited }
}

const launch = process.env.E2E_RUNTIME === 'dapr' ? launchDapr : launchLocal

const flavours: Flavour[] = [
  {
    name: 'in-memory store',
    resources: async () => [join(repo, 'components/common'), join(repo, 'components/local')]
  },
  {
    name: 'Redis store',
    resources: async (t) => {
      const url = redisUrlOrSkip(t)
      if (url === undefined) return undefined
      const redis = new Redis(url, { db: REDIS_DB })
      await redis.flushdb()
      await redis.quit()
      // The repository's Redis component, pointed at the test's server and database.
      const dir = await mkdtemp(join(tmpdir(), 'e2e-redis-'))
      await mkdir(join(dir, 'redis'))
      const component = (await readFile(join(repo, 'components/redis/statestore.yaml'), 'utf8'))
        .replace('value: localhost:6379', `value: ${redisHostOf(url)}`)
        .replace(/(- name: keyPrefix)/, `- name: redisDB\n      value: "${REDIS_DB}"\n    $1`)
      await writeFile(join(dir, 'redis/statestore.yaml'), component)
      return [join(repo, 'components/common'), join(dir, 'redis')]
    }
  }
]

for (const flavour of flavours) {
  t.test(`the pipeline with the ${flavour.name}`, async (t) => {
    const resources = await flavour.resources(t)
    if (resources === undefined) return
    const deliveredFile = join(await mkdtemp(join(tmpdir(), 'e2e-delivered-')), 'ids')
    const system = await launch(t, resources, deliveredFile)
    const base = `http://127.0.0.1:${system.orderPort}`

    t.equal(await system.generatorExited, 0, 'the generator sent its orders and exited cleanly')
    const ids = (await readFile(deliveredFile, 'utf8')).split('\n').filter(Boolean)
    t.equal(ids.length, ORDERS, `the generator acknowledged ${ORDERS} orders`)
    t.equal(new Set(ids).size, ORDERS, 'every id is unique')

    for (const id of ids) {
      const res = await fetch(`${base}/orders/${id}`)
      t.equal(res.status, 200, `order ${id} is readable by id`)
      t.same(await res.json(), { orderId: id })
    }
    const latest = await fetch(`${base}/order`)
    t.same(await latest.json(), { orderId: ids.at(-1) }, 'GET /order names the latest order')
    t.match(system.output.text, `Got a new order! Order ID: ${ids[0]}`)
    t.match(system.output.text, `Successfully persisted state for Order ID: ${ids[0]}`)

    const sample = await readFile(join(repo, 'sample.json'), 'utf8')
    const posted = await fetch(`${base}/neworder`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: sample })
    t.equal(posted.status, 200)
    t.same(await posted.json(), { orderId: '42' }, 'the quickstart sample is answered with its id')
    t.same(await (await fetch(`${base}/order`)).json(), { orderId: '42' })

    if (flavour.name === 'Redis store' && process.env.E2E_RUNTIME !== 'dapr') {
      // Stored in daprd's layout, readable by a real daprd: one hash per key, data and version.
      const redis = new Redis(flavour.redisUrl ?? process.env.REDIS_URL as string, { db: REDIS_DB })
      t.teardown(() => redis.quit())
      const hash = await redis.hgetall(`nodeapp||order-${ids[0]}`)
      t.same(Object.keys(hash).sort(), ['data', 'first-write', 'version'])
      t.match(JSON.parse(hash.data as string), { data: { orderId: ids[0] } })
      t.equal(await redis.exists('generator||order-id-counter'), 1, 'the generator keeps its id counter in its own keys')
    }

    await system.stop()
    t.ok(system.allExited(), 'every process is gone')
    for (const port of system.ports) t.notOk(await accepts(port), `port ${port} is free`)
  })
}

async function accepts (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

async function waitForPort (port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await accepts(port)) {
    if (Date.now() > deadline) throw new Error(`nothing listened on port ${port} within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}
