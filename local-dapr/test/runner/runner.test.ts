// startSystem with a stand-in sidecar: flags, exported environment, start order, stop and failure.
import { connect } from 'node:net'
import { resolve } from 'node:path'
import t from 'tap'
import { appEnvironment, defaultSidecarCommand, freePort, sidecarFlags, startSystem } from '../../src/runner/runner.js'
import type { ResolvedApp } from '../../src/runner/run-file.js'
import { Collect } from '../helpers/collect.js'

const fakeDaprd = [process.execPath, resolve(import.meta.dirname, '../helpers/fake-daprd.mjs')]

function app (overrides: Partial<ResolvedApp> = {}): ResolvedApp {
  return {
    appId: 'nodeapp',
    appDir: process.cwd(),
    command: [process.execPath, '-e', 'console.log(JSON.stringify({ id: process.env.APP_ID, port: process.env.DAPR_HTTP_PORT, grpc: process.env.DAPR_GRPC_PORT, appPort: process.env.APP_PORT, x: process.env.X }))'],
    appPort: undefined,
    appChannelAddress: '',
    daprHttpPort: undefined,
    daprGrpcPort: undefined,
    metricsPort: undefined,
    resourcesPaths: ['/res/a', '/res/b'],
    configFile: undefined,
    appProtocol: 'http',
    logLevel: undefined,
    enableApiLogging: false,
    env: { X: 'from run file' },
    appHealth: undefined,
    ...overrides
  }
}

t.test('sidecarFlags speaks daprd\'s flag names', async (t) => {
  t.same(sidecarFlags(app(), { http: 1, grpc: 2 }, ['/r']), ['--app-id', 'nodeapp', '--dapr-http-port', '1', '--dapr-grpc-port', '2', '--app-protocol', 'http', '--resources-path', '/r'])
  const full = sidecarFlags(app({
    appPort: 3000,
    appChannelAddress: '127.0.0.2',
    configFile: '/c.yaml',
    logLevel: 'debug',
    enableApiLogging: true,
    appHealth: { path: '/healthz', intervalSeconds: 5, timeoutMs: 500, threshold: 3 }
  }), { http: 1, grpc: 2 }, [])
  t.same(full.slice(8), ['--app-port', '3000', '--app-channel-address', '127.0.0.2', '--config', '/c.yaml', '--log-level', 'debug', '--enable-api-logging',
    '--enable-app-health-check', '--app-health-check-path', '/healthz', '--app-health-probe-interval', '5', '--app-health-probe-timeout', '500', '--app-health-threshold', '3'])
  t.same(sidecarFlags(app({ appHealth: { path: undefined, intervalSeconds: undefined, timeoutMs: undefined, threshold: undefined } }), { http: 1, grpc: 2 }, []).slice(-1), ['--enable-app-health-check'])
})

t.test('appEnvironment exports what dapr run exports, then the run file env, then extras', async (t) => {
  const env = appEnvironment(app({ appPort: 3000, env: { X: 'run', DAPR_HTTP_PORT: 'overridden?' } }), { http: 1, grpc: 2, metrics: 3 }, { PATH: '/bin', X: 'shell' }, { EXTRA: 'e' })
  t.match(env, { PATH: '/bin', APP_ID: 'nodeapp', APP_CHANNEL_ADDRESS: '', APP_PORT: '3000', DAPR_HTTP_PORT: 'overridden?', DAPR_GRPC_PORT: '2', DAPR_METRICS_PORT: '3', APP_PROTOCOL: 'http', X: 'run', EXTRA: 'e' })
  t.notOk('APP_PORT' in appEnvironment(app(), { http: 1, grpc: 2, metrics: 3 }, {}))
})

t.test('the default sidecar command runs the local sidecar from the sources', async (t) => {
  const [node, ...rest] = defaultSidecarCommand()
  t.equal(node, process.execPath)
  t.match(rest.join(' '), /--import tsx .*local-dapr\/src\/main\.ts sidecar$/)
  t.same(defaultSidecarCommand('file:///app/dist/runner/runner.js'), [process.execPath, '/app/dist/main.js', 'sidecar'], 'the build runs without tsx')
  t.same(defaultSidecarCommand('file:///repo/.cache/local-dapr-cli/main.mjs'), [process.execPath, '/repo/.cache/local-dapr-cli/main.mjs', 'sidecar'], 'a one-file bundle is its own sidecar')
})

t.test('starts a sidecar per app, then the app with its ports; output is prefixed; stop frees everything', async (t) => {
  const output = new Collect()
  const httpPort = await freePort()
  const appPort = await freePort()
  const listening = [
    'const env = { id: process.env.APP_ID, port: process.env.DAPR_HTTP_PORT, grpc: process.env.DAPR_GRPC_PORT, appPort: process.env.APP_PORT, x: process.env.X }',
    'console.log(JSON.stringify(env))',
    'const server = require("node:http").createServer((q, r) => r.end()).listen(Number(process.env.APP_PORT), "127.0.0.1")',
    'process.on("SIGTERM", () => server.close(() => process.exit(0)))'
  ].join(';')
  const system = await startSystem({
    apps: [
      app({ daprHttpPort: httpPort, appPort, command: [process.execPath, '-e', listening] }),
      app({ appId: 'generator', command: [process.execPath, '-e', 'console.log("gen up")'] })
    ],
    output,
    env: { ...process.env, X: 'shell' },
    appEnv: { EXTRA: '1' },
    sidecarCommand: fakeDaprd,
    stopGraceMs: 5000
  })
  t.equal(system.apps.length, 2)
  const [nodeapp, generator] = system.apps
  t.equal(nodeapp?.daprHttpPort, httpPort)
  t.not(generator?.daprHttpPort, httpPort)
  await output.waitFor(/== APP - nodeapp == \{/)
  await output.waitFor(/== APP - generator == gen up/)
  t.match(output.text, `== DAPR - nodeapp == fake daprd args: --app-id nodeapp --dapr-http-port ${httpPort}`)
  t.match(output.text, `--app-port ${appPort} --resources-path /res/a --resources-path /res/b`)
  const line = /== APP - nodeapp == (\{.*\})/.exec(output.text)?.[1] as string
  t.same(JSON.parse(line), { id: 'nodeapp', port: String(httpPort), grpc: String(nodeapp?.daprGrpcPort), appPort: String(appPort), x: 'from run file' })
  // The generator's command exits at once, which takes its sidecar down, as with the Dapr CLI.
  await generator?.sidecar.exited
  t.notOk(nodeapp?.sidecar.hasExited(), 'the other app keeps its sidecar')
  await system.stop()
  t.ok(system.apps.every((a) => a.app.hasExited() && a.sidecar.hasExited()))
  t.equal(await system.finished, 0)
  // Both ports are free again.
  const { createServer } = await import('node:net')
  for (const port of [httpPort, appPort]) {
    const probe = createServer()
    await new Promise<void>((resolve, reject) => { probe.once('error', reject); probe.listen(port, '127.0.0.1', resolve) })
    await new Promise<void>((resolve) => probe.close(() => resolve()))
  }
})

t.test('an app that exits or never listens on its app port fails the start', async (t) => {
  const output = new Collect()
  const port = await freePort()
  await t.rejects(startSystem({ apps: [app({ appPort: port, command: [process.execPath, '-e', 'process.exit(2)'] })], output, sidecarCommand: fakeDaprd }),
    { code: 'RUNNER_ERR_START', message: `nodeapp exited with 2 before listening on port ${port}; its output above says why` })
  const idle = [process.execPath, '-e', 'process.on("SIGTERM", () => process.exit(0)); setInterval(() => {}, 1000)']
  await t.rejects(startSystem({ apps: [app({ appPort: port, command: idle })], output, sidecarCommand: fakeDaprd, appReadyTimeoutMs: 300 }),
    { code: 'RUNNER_ERR_START', message: `nodeapp did not listen on port ${port} within 300 ms` })
})

t.test('finished reports the first failing exit code', async (t) => {
  const output = new Collect()
  const system = await startSystem({ apps: [app({ command: [process.execPath, '-e', 'process.exit(7)'] })], output, sidecarCommand: fakeDaprd })
  t.equal(await system.finished, 7)
  const killed = await startSystem({ apps: [app({ command: [process.execPath, '-e', 'process.kill(process.pid, "SIGKILL")'] })], output, sidecarCommand: fakeDaprd })
  t.equal(await killed.finished, 1)
})

t.test('a sidecar that exits at start fails the start and stops what was started', async (t) => {
  const output = new Collect()
  const err = await startSystem({
    apps: [app()],
    output,
    env: { ...process.env, FAKE_DAPRD_MODE: 'exit' },
    sidecarCommand: fakeDaprd
  }).catch((e: unknown) => e)
  t.match(err, { code: 'RUNNER_ERR_START', message: 'the sidecar of nodeapp exited with 3; its output above says why' })
  t.match(output.text, '== DAPR - nodeapp == component statestore: bad')
})

t.test('a sidecar that never answers times out', async (t) => {
  const output = new Collect()
  const silent = [process.execPath, '-e', 'process.on("SIGTERM", () => process.exit(0)); setInterval(() => {}, 1000)', '--']
  const err = await startSystem({ apps: [app()], output, sidecarCommand: silent, sidecarReadyTimeoutMs: 200, stopGraceMs: 2000 }).catch((e: unknown) => e)
  t.match(err, { code: 'RUNNER_ERR_START', message: /did not answer within 200 ms/ })
  await t.rejects(startSystem({ apps: [app()], output, sidecarCommand: [] }), { message: 'sidecarCommand must name a program' })
})

t.test('by default each app gets the real local sidecar', async (t) => {
  const output = new Collect()
  const { mkdtemp } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const registry = await mkdtemp(resolve(tmpdir(), 'runner-registry-'))
  const system = await startSystem({
    apps: [app({ appId: 'runner-default', resourcesPaths: [resolve(import.meta.dirname, '../../../components/local')], command: [process.execPath, '-e', 'console.log("done")'] })],
    output,
    env: { ...process.env, LOCAL_DAPR_REGISTRY_DIR: registry },
    sidecarReadyTimeoutMs: 60_000
  })
  t.equal(await system.finished, 0)
  t.match(output.text, '== DAPR - runner-default ==')
  t.match(output.text, 'local sidecar started')
})

async function accepts (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

t.test('restartApp ends one app (SIGTERM or a given signal) and starts it again on the same ports', async (t) => {
  const output = new Collect()
  const appPort = await freePort()
  const listening = [
    'console.log("up " + process.pid)',
    'const server = require("node:http").createServer((q, r) => r.end()).listen(Number(process.env.APP_PORT), "127.0.0.1")',
    'process.on("SIGTERM", () => server.close(() => process.exit(0)))',
    'process.on("SIGINT", () => {})'
  ].join(';')
  const system = await startSystem({
    apps: [
      app({ appPort, command: [process.execPath, '-e', listening] }),
      app({ appId: 'generator', command: [process.execPath, '-e', 'console.log("gen " + process.pid); process.on("SIGTERM", () => process.exit(0)); setInterval(() => {}, 1000)'] })
    ],
    output,
    sidecarCommand: fakeDaprd,
    stopGraceMs: 500
  })
  t.teardown(() => system.stop())
  const nodeapp = system.apps[0] as (typeof system.apps)[number]
  const first = nodeapp.app
  t.equal(await system.restartApp('nodeapp'), 0, 'SIGTERM by default: the old process exits 0')
  t.not(nodeapp.app, first, 'the running app names the new process')
  t.ok(first.hasExited())
  t.notOk(nodeapp.app.hasExited())
  t.equal(await system.restartApp('nodeapp', { signal: 'SIGKILL' }), 'SIGKILL')
  t.equal(await system.restartApp('nodeapp', { signal: 'SIGINT' }), 'SIGKILL', 'a signal the app ignores ends in SIGKILL after the grace period')
  t.equal(await system.restartApp('generator', { signal: 'SIGKILL' }), 'SIGKILL', 'an app without an app port is not waited for')
  const downFrom = Date.now()
  let acceptedWhileDown = false
  const probe = (async () => { await new Promise((resolve) => setTimeout(resolve, 150)); acceptedWhileDown = await accepts(appPort) })()
  t.equal(await system.restartApp('nodeapp', { signal: 'SIGKILL', downMs: 400 }), 'SIGKILL')
  await probe
  t.ok(Date.now() - downFrom >= 400, 'downMs: the app stays down that long before it starts again')
  t.notOk(acceptedWhileDown, 'nothing listens on the app port meanwhile')
  await output.waitFor(/(== APP - nodeapp == up[^]*){5}/)
  t.equal(output.text.match(/== APP - nodeapp == up/g)?.length, 5, 'started once, restarted four times')
  await t.rejects(system.restartApp('nope'), { code: 'RUNNER_ERR_START', message: 'no app nope in this system' })
  const pending = system.restartApp('nodeapp')
  await t.rejects(system.restartApp('nodeapp'), { message: 'nodeapp is being restarted already' })
  await pending

  const sidecar = nodeapp.sidecar
  t.equal(await system.restartSidecar('nodeapp'), 0)
  t.not(nodeapp.sidecar, sidecar)
  t.notOk(nodeapp.sidecar.hasExited(), 'the new sidecar runs')
  t.equal(await system.restartSidecar('nodeapp', { signal: 'SIGKILL' }), 'SIGKILL')
  await output.waitFor(new RegExp(`(--dapr-http-port ${nodeapp.daprHttpPort} [^]*){3}`))
  t.equal(output.text.match(new RegExp(`--dapr-http-port ${nodeapp.daprHttpPort} `, 'g'))?.length, 3, 'each sidecar got the same port')

  await system.stop()
  t.equal(await system.finished, 0, 'restarted processes do not count as the app ending')
  t.ok(system.apps.every((a) => a.app.hasExited() && a.sidecar.hasExited()))
})

t.test('a restart whose new process fails rejects, and the app ends with its exit code', async (t) => {
  const { mkdtemp } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const marker = resolve(await mkdtemp(resolve(tmpdir(), 'runner-restart-')), 'started')
  const appPort = await freePort()
  // Listens the first time; exits 2 the second (the marker file exists by then).
  const once = [
    'const fs = require("node:fs")',
    `if (fs.existsSync(${JSON.stringify(marker)})) process.exit(2)`,
    `fs.writeFileSync(${JSON.stringify(marker)}, "")`,
    'require("node:http").createServer((q, r) => r.end()).listen(Number(process.env.APP_PORT), "127.0.0.1")'
  ].join(';')
  const system = await startSystem({ apps: [app({ appPort, command: [process.execPath, '-e', once] })], output: new Collect(), sidecarCommand: fakeDaprd, stopGraceMs: 500 })
  t.teardown(() => system.stop())
  await t.rejects(system.restartApp('nodeapp', { signal: 'SIGKILL' }), { code: 'RUNNER_ERR_START', message: `nodeapp exited with 2 before listening on port ${appPort}; its output above says why` })
  t.equal(await system.finished, 2)
})

t.test('terminal output, app lines to a listener, commands as given when compile is off', async (t) => {
  const output = new Collect()
  const seen: string[] = []
  const system = await startSystem({
    apps: [app({ command: [process.execPath, '-e', 'console.log(JSON.stringify({ level: 30, time: 0, msg: "hello from " + process.env.APP_ID }))'] })],
    output,
    env: { ...process.env, DAPR_API_TOKEN: 'token', NO_COLOR: '' },
    sidecarCommand: fakeDaprd,
    terminal: true,
    compile: false,
    onAppLine: (appId, line) => seen.push(`${appId}: ${line}`)
  })
  t.equal(await system.finished, 0)
  t.match(seen, [/^nodeapp: \{"level":30,"time":0,"msg":"hello from nodeapp"\}$/], 'the line as the app wrote it')
  // eslint-disable-next-line no-control-regex
  t.match(output.text.replace(/\u001b\[\d+m/g, ''), /== APP - nodeapp == \[\d\d:\d\d:\d\d\.\d{3}\] INFO: hello from nodeapp\n/)
  t.match(output.text, '\u001b[36m== DAPR - nodeapp ==')
  await system.stop()
})
