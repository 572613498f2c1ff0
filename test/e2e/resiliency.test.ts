// End to end: the project's own components/common/resiliency.yaml makes a short order-service
// outage invisible to the generator, under the runner `npm start` uses (startSystem on
// dapr.yaml). The outage is the order service's port refusing connections, as after a crash:
// a gate in front of the order service closes its port (cutting open connections) for
// OUTAGE_MS, shorter than the policy's retry budget (exponential, 3 retries: the waits add up
// to at least 0.25 + 0.375 + 0.5625 s, jitter included). The same run without the policy
// shows the outage to the generator as 5xx answers.
import { mkdtemp, readFile } from 'node:fs/promises'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { parse } from 'yaml'
import { loadRunFile, type ResolvedApp } from '../../local-dapr/src/runner/run-file.js'
import { freePort, startSystem } from '../../local-dapr/src/runner/runner.js'
import { Collect } from '../../local-dapr/test/helpers/collect.js'

const repo = resolve(import.meta.dirname, '../..')
const ORDERS = 20
const OUTAGE_MS = 700

/** A TCP gate in front of the order service: open() forwards, close() refuses and cuts. */
interface Gate { open (): Promise<void>, close (): Promise<void> }

function gate (port: number, upstream: number): Gate {
  const sockets = new Set<Socket>()
  let server: Server | undefined
  const track = (s: Socket): void => { sockets.add(s); s.once('close', () => sockets.delete(s)) }
  return {
    async open () {
      server = createServer((client) => {
        const up = connect(upstream, '127.0.0.1')
        track(client)
        track(up)
        client.on('error', () => up.destroy())
        up.on('error', () => client.destroy())
        client.pipe(up).pipe(client)
      })
      await new Promise<void>((resolve) => (server as Server).listen(port, '127.0.0.1', resolve))
    },
    async close () {
      const s = server
      server = undefined
      if (s === undefined) return
      const closed = new Promise((resolve) => s.close(resolve))
      for (const socket of sockets) socket.destroy()
      await closed
    }
  }
}

async function accepts (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

interface Run { generatorLines: Array<Record<string, unknown>>, sidecarOutput: string, delivered: string[], exitCode: number | string }

async function runWithOutage (t: Test, resourcesPaths: string[]): Promise<Run> {
  const orderPort = await freePort()
  const gatePort = await freePort()
  const door = gate(gatePort, orderPort)
  t.teardown(() => door.close())
  const deliveredFile = join(await mkdtemp(join(tmpdir(), 'e2e-resiliency-')), 'ids')
  const apps: ResolvedApp[] = (await loadRunFile(repo)).map((app) => app.appId === 'nodeapp'
    ? { ...app, appPort: gatePort, env: { ...app.env, PORT: String(orderPort) } }
    : { ...app, env: { ...app.env, PORT: '0' } })
  const output = new Collect()
  const registry = await mkdtemp(join(tmpdir(), 'e2e-resiliency-registry-'))
  // The gate opens once the order service listens, so the runner waits for the real service.
  const opened = (async () => {
    while (!await accepts(orderPort)) await sleep(50)
    await door.open()
  })()
  const system = await startSystem({
    apps,
    output,
    env: { ...process.env, LOCAL_DAPR_REGISTRY_DIR: registry, LOG_LEVEL: 'info' },
    resourcesPaths,
    appEnv: { GENERATOR_COUNT: String(ORDERS), GENERATOR_INTERVAL_MS: '100', GENERATOR_DELIVERED_FILE: deliveredFile }
  })
  t.teardown(() => system.stop())
  await opened
  const generator = system.apps.find((a) => a.appId === 'generator')
  if (generator === undefined) throw new Error('dapr.yaml has no generator')
  // A few orders first, so the outage hits a pipeline in steady state.
  await output.waitFor(/Order \S+ delivered"[\s\S]*Order \S+ delivered"[\s\S]*Order \S+ delivered"/, 60_000)
  await door.close()
  await sleep(OUTAGE_MS)
  await door.open()
  const exitCode = await generator.app.exited
  await system.stop()
  await door.close()
  const generatorLines = output.text.split('\n')
    .filter((l) => l.startsWith('== APP - generator =='))
    .flatMap((l) => {
      try {
        return [JSON.parse(l.slice(l.indexOf('{'))) as Record<string, unknown>]
      } catch {
        return []
      }
    })
  const sidecarOutput = output.text.split('\n').filter((l) => l.startsWith('== DAPR - generator ==')).join('\n')
  const delivered = (await readFile(deliveredFile, 'utf8')).split('\n').filter(Boolean)
  return { generatorLines, sidecarOutput, delivered, exitCode }
}

// Since issue 15 the generator logs one 'Delivery paused' line per outage (retries are at debug), 'rejected' for a permanent answer.
const notDelivered = (lines: Run['generatorLines']) => lines.filter((l) => /Delivery paused|not delivered yet|rejected/.test(String(l.msg)))

t.test('the project policy turns the outage into retries the generator never sees', async (t) => {
  const policy = parse(await readFile(join(repo, 'components/common/resiliency.yaml'), 'utf8'))
  t.match(policy, { spec: { policies: { retries: { transient: { policy: 'exponential', maxRetries: 3 } } }, targets: { apps: { nodeapp: { retry: 'transient' } } } } },
    'the budget this test relies on is the one in resiliency.yaml')
  const run = await runWithOutage(t, [join(repo, 'components/common'), join(repo, 'components/local')])
  t.match(run.sidecarOutput, /Error processing operation endpoint\[nodeapp, nodeapp:neworder\]\. Retrying in/, 'the outage happened and the generator\'s sidecar retried')
  t.match(run.sidecarOutput, /Recovered processing operation endpoint\[nodeapp, nodeapp:neworder\] after \d attempts/)
  t.same(notDelivered(run.generatorLines), [], 'no 5xx (or any failure) reached the generator')
  t.equal(run.exitCode, 0)
  t.equal(new Set(run.delivered).size, ORDERS, 'every order delivered, once each')
})

t.test('without the policy the same outage reaches the generator', async (t) => {
  const run = await runWithOutage(t, [join(repo, 'components/local')])
  t.notMatch(run.sidecarOutput, /Retrying in/, 'no resiliency policy was applied')
  const failures = notDelivered(run.generatorLines)
  t.ok(failures.length > 0, `the generator saw the outage (${failures.length} pause or failure lines)`)
  t.ok(failures.every((l) => /SIDECAR_ERR_INVOKE|HTTP 5\d\d/.test(String(l.reason))), 'each was a 5xx from its sidecar')
  t.match(String(failures[0]?.reason), /500|ERR_DIRECT_INVOKE/)
  t.equal(new Set(run.delivered).size, ORDERS, 'the generator\'s own retries still deliver every order')
})
