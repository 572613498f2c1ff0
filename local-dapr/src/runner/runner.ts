// Runs every app of a run file the way `dapr run -f` does, with the project's local
// sidecar in place of daprd: for each app a sidecar on free ports and the app with the
// environment the CLI exports, all started at once and then waited for together.
// TypeScript commands run through tsx are bundled first, or taken from an earlier run's
// cache (compile.ts). `npm start`, the end-to-end tests and the reliability tests all start the
// system through this one function.
import { connect, createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import type { Writable } from 'node:stream'
import { request } from 'undici'
import { compileCommands } from './compile.js'
import { presentation } from './pretty.js'
import { startProcess, type ManagedProcess } from './process.js'
import type { ResolvedApp } from './run-file.js'

export interface RunOptions {
  apps: readonly ResolvedApp[]
  /** Where the prefixed output of every child goes. */
  output: Writable
  /** Environment every child inherits (as the CLI's shell environment); default process.env. */
  env?: Record<string, string | undefined> | undefined
  /** Replaces every app's resources paths (e.g. a Redis flavour, or a test's own component folder). */
  resourcesPaths?: readonly string[] | undefined
  /** Extra environment for every app, over the run file's `env` (tests set GENERATOR_COUNT this way). */
  appEnv?: Record<string, string> | undefined
  /** Command that starts one sidecar, given daprd's flags; default: the local sidecar. */
  sidecarCommand?: readonly string[] | undefined
  /** How long a sidecar may take to answer /v1.0/healthz/outbound; default 20 s. */
  sidecarReadyTimeoutMs?: number | undefined
  /** How long an app with an app port may take to accept connections; default 60 s. */
  appReadyTimeoutMs?: number | undefined
  /** SIGTERM grace before SIGKILL, per process; default 10 s. */
  stopGraceMs?: number | undefined
  /** Output for a person at a terminal: a colour per app and pino-pretty lines; default plain. */
  terminal?: boolean | undefined
  /** Run `node --import tsx file.ts` commands from esbuild bundles (cached) instead of loading tsx in each process; default true. */
  compile?: boolean | undefined
  /** Bundle the apps' dependencies too (compile.ts says when that is safe); default false. */
  bundleDependencies?: boolean | undefined
  /** Sees every output line of every app (not of sidecars) as the app wrote it. */
  onAppLine?: ((appId: string, line: string) => void) | undefined
}

export interface RunningApp {
  appId: string
  appPort: number | undefined
  daprHttpPort: number
  daprGrpcPort: number
  sidecar: ManagedProcess
  app: ManagedProcess
}

export interface RestartOptions {
  /** The signal that ends the old process; default SIGTERM. SIGKILL after `stopGraceMs` either way. */
  signal?: NodeJS.Signals | undefined
  /** How long nothing runs between the old process's exit and the new one's start (an outage); default 0. */
  downMs?: number | undefined
}

export interface RunningSystem {
  apps: RunningApp[]
  /** Resolves once every app has exited by itself, with the first non-zero exit code (else 0). */
  finished: Promise<number>
  /** Stops every app, then every sidecar; resolves when all have exited. */
  stop (): Promise<void>
  /**
   * Ends one app's process (as a crash or a rolling update would) and starts it again with the
   * same command, environment and ports, then waits for it to listen as at start. Resolves with
   * the old process's exit code (or signal name). `apps[i].app` names the new process after.
   * @example
   * const code = await system.restartApp('nodeapp', { signal: 'SIGKILL' }) // 'SIGKILL'
   */
  restartApp (appId: string, options?: RestartOptions): Promise<number | string>
  /** The same for an app's sidecar: same flags and ports, ready again before this resolves. */
  restartSidecar (appId: string, options?: RestartOptions): Promise<number | string>
}

export class RunnerError extends Error {
  readonly code = 'RUNNER_ERR_START'
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'RunnerError'
  }
}

/**
 * The local sidecar's CLI, run the way the runner itself runs: from the TypeScript sources
 * through tsx, from the build (dist/runner/runner.js beside dist/main.js), or from a one-file
 * bundle of the CLI (scripts/local-dapr.mjs), where the runner's own file is the CLI.
 */
export function defaultSidecarCommand (runnerUrl = import.meta.url): string[] {
  if (/\/main\.m?js$/.test(runnerUrl)) return [process.execPath, fileURLToPath(runnerUrl), 'sidecar']
  const fromSources = runnerUrl.endsWith('.ts')
  const main = fileURLToPath(new URL(`../main.${fromSources ? 'ts' : 'js'}`, runnerUrl))
  return fromSources ? [process.execPath, '--import', 'tsx', main, 'sidecar'] : [process.execPath, main, 'sidecar']
}

export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

export function sidecarFlags (app: ResolvedApp, ports: { http: number, grpc: number }, resourcesPaths: readonly string[]): string[] {
  const flags = ['--app-id', app.appId, '--dapr-http-port', String(ports.http), '--dapr-grpc-port', String(ports.grpc), '--app-protocol', app.appProtocol]
  if (app.appPort !== undefined) flags.push('--app-port', String(app.appPort))
  if (app.appChannelAddress !== '') flags.push('--app-channel-address', app.appChannelAddress)
  for (const path of resourcesPaths) flags.push('--resources-path', path)
  if (app.configFile !== undefined) flags.push('--config', app.configFile)
  if (app.logLevel !== undefined) flags.push('--log-level', app.logLevel)
  if (app.enableApiLogging) flags.push('--enable-api-logging')
  if (app.appHealth !== undefined) {
    flags.push('--enable-app-health-check')
    if (app.appHealth.path !== undefined) flags.push('--app-health-check-path', app.appHealth.path)
    if (app.appHealth.intervalSeconds !== undefined) flags.push('--app-health-probe-interval', String(app.appHealth.intervalSeconds))
    if (app.appHealth.timeoutMs !== undefined) flags.push('--app-health-probe-timeout', String(app.appHealth.timeoutMs))
    if (app.appHealth.threshold !== undefined) flags.push('--app-health-threshold', String(app.appHealth.threshold))
  }
  return flags
}

/** What `dapr run` exports to an app (dapr-http-api.md §7), then the run file's env, then the caller's. */
export function appEnvironment (app: ResolvedApp, ports: { http: number, grpc: number, metrics: number }, base: Record<string, string | undefined>, extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {
    ...base,
    APP_ID: app.appId,
    APP_CHANNEL_ADDRESS: app.appChannelAddress,
    DAPR_HTTP_PORT: String(ports.http),
    DAPR_GRPC_PORT: String(ports.grpc),
    DAPR_METRICS_PORT: String(ports.metrics),
    APP_PROTOCOL: app.appProtocol
  }
  if (app.appPort !== undefined) env.APP_PORT = String(app.appPort)
  return { ...env, ...app.env, ...extra }
}

export async function startSystem (options: RunOptions): Promise<RunningSystem> {
  const base = options.env ?? process.env
  const given = options.sidecarCommand ?? defaultSidecarCommand()
  if (given[0] === undefined) throw new RunnerError('sidecarCommand must name a program')
  const grace = options.stopGraceMs ?? 10_000
  const show = presentation(options.terminal === true, base)
  const started: RunningApp[] = []
  const sidecars: ManagedProcess[] = []
  type Spec = { app: ResolvedApp, index: number, command: string[], ports: { http: number, grpc: number, metrics: number } }
  const specs = new Map<string, Spec>()
  /** Apps being restarted: their old process's exit is not the app's end. */
  const restarting = new Map<string, Promise<unknown>>()

  // One esbuild pass (or none, when the cached bundles are current) for the sidecar and every app run through tsx.
  const compiled = options.compile === false
    ? { commands: [[...given], ...options.apps.map((a) => [...a.command])], problems: [] }
    : await compileCommands([given, ...options.apps.map((a) => a.command)], [process.cwd(), ...options.apps.map((a) => a.appDir)], { bundleDependencies: options.bundleDependencies })
  // Commands that did not bundle run through tsx as before; say why (nothing is written when all bundled).
  options.output.write(compiled.problems.map((problem) => `${problem}\n`).join(''))
  const [command, ...commandArgs] = compiled.commands[0] as [string, ...string[]]

  async function stop (): Promise<void> {
    await Promise.all(started.map(async (a) => await a.app.stop(grace)))
    await Promise.all(sidecars.map(async (s) => await s.stop(grace)))
  }

  function launchSidecar ({ app, index, ports }: Spec): ManagedProcess {
    const sidecar = startProcess({
      name: `daprd ${app.appId}`,
      prefix: show.prefix('DAPR', app.appId, index),
      command,
      args: [...commandArgs, ...sidecarFlags(app, ports, options.resourcesPaths ?? app.resourcesPaths)],
      cwd: app.appDir,
      env: base,
      output: options.output,
      format: show.format
    })
    sidecars.push(sidecar)
    return sidecar
  }

  async function startSidecarOf (spec: Spec): Promise<ManagedProcess> {
    const sidecar = launchSidecar(spec)
    await waitForSidecar(sidecar, spec.ports.http, base, options.sidecarReadyTimeoutMs ?? 20_000)
    return sidecar
  }

  function startAppOf ({ app, index, command: [appCommand, ...appArgs], ports }: Spec): ManagedProcess {
    return startProcess({
      name: app.appId,
      prefix: show.prefix('APP', app.appId, index),
      command: appCommand as string,
      args: appArgs,
      cwd: app.appDir,
      env: appEnvironment(app, ports, base, options.appEnv),
      output: options.output,
      format: show.format,
      onLine: options.onAppLine === undefined ? undefined : (line) => options.onAppLine?.(app.appId, line)
    })
  }

  async function appReady (child: ManagedProcess, app: ResolvedApp): Promise<void> {
    if (app.appPort !== undefined) await waitForApp(child, app.appPort, options.appReadyTimeoutMs ?? 60_000)
  }

  try {
    for (const [index, app] of options.apps.entries()) {
      const ports = {
        http: app.daprHttpPort ?? await freePort(),
        grpc: app.daprGrpcPort ?? await freePort(),
        metrics: app.metricsPort ?? await freePort()
      }
      specs.set(app.appId, { app, index, command: compiled.commands[index + 1] as string[], ports })
    }
    // Every sidecar and every app with an app port at once: apps wait for their sidecar
    // themselves (as they must with daprd), and a sidecar reaches its app lazily. Apps without
    // an app port are clients (the generator): they start as soon as every server is ready,
    // so their first call finds someone to answer it instead of a retry.
    const launch = (spec: Spec, sidecar: ManagedProcess): RunningApp => {
      const running = { appId: spec.app.appId, appPort: spec.app.appPort, daprHttpPort: spec.ports.http, daprGrpcPort: spec.ports.grpc, sidecar, app: startAppOf(spec) }
      started.push(running)
      return running
    }
    const all = [...specs.values()].map((spec) => ({ spec, sidecar: launchSidecar(spec) }))
    const servers = all.filter(({ spec }) => spec.app.appPort !== undefined).map(({ spec, sidecar }) => launch(spec, sidecar))
    const sidecarsReady = all.map(async ({ spec, sidecar }) => await waitForSidecar(sidecar, spec.ports.http, base, options.sidecarReadyTimeoutMs ?? 20_000))
    await Promise.all([...servers.map(async (a) => await appReady(a.app, (specs.get(a.appId) as Spec).app)), ...sidecarsReady])
    for (const { spec, sidecar } of all) if (spec.app.appPort === undefined) launch(spec, sidecar)
    // run-file order, as before
    started.sort((a, b) => (specs.get(a.appId) as Spec).index - (specs.get(b.appId) as Spec).index)
  } catch (err) {
    await stop()
    throw err
  }

  // The app's end: the exit of its current process, not of one a restart replaced.
  async function appExit (a: RunningApp): Promise<number | string> {
    for (;;) {
      const proc = a.app
      const code = await proc.exited
      await restarting.get(a.appId)?.catch(() => {})
      if (a.app === proc) return code
    }
  }

  // As with `dapr run -f`: an app that exits takes its sidecar down with it.
  const finished = Promise.all(started.map(async (a) => {
    const code = await appExit(a)
    await a.sidecar.stop(grace)
    return code
  })).then((codes) => {
    const failed = codes.find((c) => c !== 0)
    return failed === undefined ? 0 : typeof failed === 'number' ? failed : 1
  })

  async function restart (appId: string, which: 'app' | 'sidecar', signal: NodeJS.Signals, downMs = 0): Promise<number | string> {
    const running = started.find((a) => a.appId === appId)
    if (running === undefined) throw new RunnerError(`no app ${appId} in this system`)
    const spec = specs.get(appId) as Spec
    if (restarting.has(appId)) throw new RunnerError(`${appId} is being restarted already`)
    const work = (async () => {
      const old = running[which]
      const code = await end(old, signal, grace)
      if (downMs > 0) await sleep(downMs)
      if (which === 'sidecar') {
        running.sidecar = await startSidecarOf(spec)
      } else {
        running.app = startAppOf(spec)
        await appReady(running.app, spec.app)
      }
      return code
    })()
    restarting.set(appId, work)
    try {
      return await work
    } finally {
      restarting.delete(appId)
    }
  }

  return {
    apps: started,
    finished,
    stop,
    restartApp: async (appId, opts) => await restart(appId, 'app', opts?.signal ?? 'SIGTERM', opts?.downMs),
    restartSidecar: async (appId, opts) => await restart(appId, 'sidecar', opts?.signal ?? 'SIGTERM', opts?.downMs)
  }
}

/** Sends `signal`, then SIGKILL if the process has not exited within `graceMs`. */
async function end (proc: ManagedProcess, signal: NodeJS.Signals, graceMs: number): Promise<number | string> {
  if (signal === 'SIGTERM') return await proc.stop(graceMs)
  // kill() on a process that has exited already is a no-op (Node checks its handle).
  proc.child.kill(signal)
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs)
  try {
    return await proc.exited
  } finally {
    clearTimeout(timer)
  }
}

async function waitForSidecar (sidecar: ManagedProcess, port: number, env: Record<string, string | undefined>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  const token = env.DAPR_API_TOKEN
  const headers = token !== undefined && token !== '' ? { 'dapr-api-token': token } : undefined
  // A sidecar that exits (a bad component file, a port in use) will never answer: stop waiting at once.
  while (!sidecar.hasExited() && Date.now() < deadline) {
    if (await healthy(port, headers)) return
    await sleep(50)
  }
  const how = sidecar.hasExited() ? `exited with ${await sidecar.exited}` : `did not answer within ${timeoutMs} ms`
  throw new RunnerError(`the sidecar of ${sidecar.name.replace('daprd ', '')} ${how}; its output above says why`)
}

/** GET /v1.0/healthz/outbound: 204 once the sidecar's components are loaded, as the Dapr CLI waits for. */
async function healthy (port: number, headers: Record<string, string> | undefined): Promise<boolean> {
  try {
    const res = await request(`http://127.0.0.1:${port}/v1.0/healthz/outbound`, { headers, headersTimeout: 1000, bodyTimeout: 1000 })
    await res.body.dump()
    return res.statusCode === 204
  } catch {
    return false
  }
}

// Like daprd's blockUntilAppIsReady: dial the app port every 100 ms until it accepts.
async function waitForApp (app: ManagedProcess, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await accepts(port)) {
    if (app.hasExited()) throw new RunnerError(`${app.name} exited with ${await app.exited} before listening on port ${port}; its output above says why`)
    if (Date.now() > deadline) throw new RunnerError(`${app.name} did not listen on port ${port} within ${timeoutMs} ms`)
    await sleep(100)
  }
}

async function accepts (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}
