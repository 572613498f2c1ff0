// Part 6, issue 16: `npm start` to the first persisted order. Each contender starts the whole
// system of dapr.yaml (two local sidecars, the order service, the generator) from a fresh
// process tree and is timed from its spawn to the first `Successfully persisted` line on its
// stdout, the moment a user waits for. The contenders, rotated every round:
//   npm-start      `npm start -- -f <copy>` itself (package.json's command, a later -f wins)
//   launcher       `node scripts/local-dapr.mjs run -f <copy> --bundle-dependencies`: npm removed
//   external-deps  the same without --bundle-dependencies: the apps load their packages from node_modules
//   tsx-runner     `node --import tsx local-dapr/src/main.ts run -f <copy>`: the runner loaded
//                  through tsx, as `npm start` was at f62c9ab; it bundles the sidecar and the apps
//                  (packages external, cached under each package's node_modules/.cache/local-dapr)
//   cold           `launcher` with both caches moved away: the first start without `prepare`
//   before         `npm start -- -f <copy>` in a checkout of f62c9ab (the start of issue 16's work:
//                  the runner through tsx, every bundle rebuilt at every start), same packages
// What each step buys is the difference between neighbours. The run file is a copy of dapr.yaml
// in a temporary folder with absolute paths and free ports (3000/3001 may be taken by tests).
// Every run also records when its milestones appeared and the CPU its process tree had used
// by the first order. The processes are not pinned: they share both CPUs, as under `npm start`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { parse, stringify } from 'yaml'
import { rotate, type Context } from '../lib/context.js'
import { loadAverage, ticksPerSecond } from '../lib/proc.js'
import { spread, type Spread } from '../lib/stats.js'

export const FIRST_ORDER_WHATS = ['npm-start', 'launcher', 'external-deps', 'tsx-runner', 'cold', 'before'] as const
export type FirstOrderWhat = typeof FIRST_ORDER_WHATS[number]

/** The lines a run is timed to, in the order they normally appear; `firstOrder` is the figure. */
export const MILESTONES = ['runner', 'sidecar', 'orderListening', 'allStarted', 'generatorReady', 'firstOrder'] as const
export type Milestone = typeof MILESTONES[number]

/** Issue 16: the first order within 3 s of `npm start`. */
export const TARGET_MS = 3000

/** The "before" contender: the commit issue 16's start-up work began from. */
export const BEFORE_COMMIT = 'f62c9ab'

/** Per run: how long to wait for the first order, and for the tree to exit after SIGINT before SIGKILL. */
const RUN_TIMEOUT_MS = 60_000
const STOP_GRACE_MS = 20_000

export interface FirstOrderRun {
  round: number
  /** Milestone → ms after the spawn (absent when the line never came). */
  ms: Partial<Record<Milestone, number>>
  /** User + system CPU of the process tree at the first order (live processes and the children they reaped), ms. */
  cpuMs: number | undefined
  /** Processes in the tree at the first order. */
  processes: number
  /** SIGINT to every process of the tree gone, ms. */
  stopMs: number
  /** The first attempt lost a port to another process (EADDRINUSE) and this is the second. */
  retried?: boolean
  error?: string | undefined
}

export interface FirstOrderCell {
  what: FirstOrderWhat
  command: string
  runs: FirstOrderRun[]
  milestones: Record<Milestone, Spread>
  cpuMs: Spread
  failures: string[]
}

export interface FirstOrderSection {
  rounds: number
  beforeCommit: string
  targetMs: number
  loadBefore: string
  loadAfter: string
  cells: FirstOrderCell[]
  notes: string[]
}

const WHAT_COMMANDS: Record<FirstOrderWhat, (runFile: string) => string[]> = {
  'npm-start': (f) => ['npm', 'start', '--', '-f', f],
  launcher: (f) => ['node', 'scripts/local-dapr.mjs', 'run', '-f', f, '--bundle-dependencies'],
  'external-deps': (f) => ['node', 'scripts/local-dapr.mjs', 'run', '-f', f],
  'tsx-runner': (f) => ['node', '--import', 'tsx', 'local-dapr/src/main.ts', 'run', '-f', f],
  cold: (f) => ['node', 'scripts/local-dapr.mjs', 'run', '-f', f, '--bundle-dependencies'],
  before: (f) => ['npm', 'start', '--', '-f', f]
}

/** Where a contender runs: the repository, or (before) the old checkout. */
interface Tree { root: string, template: RunFileCopy }

/** The two caches a start reads: the apps' bundles and the bundle of local-dapr itself. */
function caches (root: string): string[] {
  return [join(root, 'node_modules', '.cache', 'local-dapr'), join(root, 'local-dapr', 'node_modules', '.cache', 'local-dapr-cli')]
}

// What must be undone if the driver dies mid-run: process trees still running, caches moved aside, the temp folder.
const cleanups = new Set<() => void>()
process.once('exit', () => { for (const c of cleanups) { try { c() } catch {} } })

export async function firstOrderSection (ctx: Context, skipped: string[]): Promise<FirstOrderSection> {
  const rounds = ctx.mode.name === 'quick' ? 2 : 7
  const loadBefore = loadAverage()
  const dir = await mkdtemp(join(tmpdir(), 'orders-bench-first-order-'))
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true })
  cleanups.add(removeDir)
  const here: Tree = { root: ctx.root, template: await readTemplate(ctx.root) }
  let before: Tree | undefined
  try {
    before = await checkout(ctx.root, BEFORE_COMMIT, join(dir, BEFORE_COMMIT))
  } catch (err) {
    const reason = `first-order: no "before" contender, ${BEFORE_COMMIT} could not be checked out (${(err as Error).message.split('\n')[0] ?? ''})`
    skipped.push(reason)
    ctx.log(reason)
  }
  const whats = FIRST_ORDER_WHATS.filter((w) => w !== 'before' || before !== undefined)
  const runs = new Map<FirstOrderWhat, FirstOrderRun[]>(whats.map((w) => [w, []]))
  try {
    for (let round = -1; round < rounds; round++) {
      for (const what of rotate(whats, round + 1)) {
        const run = await runOnce(ctx, what, what === 'before' ? before as Tree : here, dir, round)
        ctx.log(`first-order ${round < 0 ? 'discarded' : `round ${round + 1}/${rounds}`} ${what}: ${run.error !== undefined ? `FAILED ${run.error.split('\n')[0] ?? ''}` : `first order ${fmtS(run.ms.firstOrder)} s, CPU ${fmtS(run.cpuMs)} s, ${run.processes} processes, stopped in ${fmtS(run.stopMs)} s`} (load ${loadAverage()})`)
        if (round >= 0) runs.get(what)?.push(run)
      }
    }
  } finally {
    removeDir()
    cleanups.delete(removeDir)
    // Whatever happened above, leave the caches as `npm install` leaves them.
    const rebuilt = spawnSync('node', ['scripts/local-dapr.mjs', 'build', '-f', '.', '--bundle-dependencies'], { cwd: ctx.root, encoding: 'utf8', timeout: 120_000 })
    ctx.log(`first-order: caches rebuilt (${rebuilt.status === 0 ? rebuilt.stdout.trim() : `exit ${rebuilt.status ?? rebuilt.signal}: ${rebuilt.stderr.trim()}`})`)
  }
  const cells = whats.map((what): FirstOrderCell => {
    const list = runs.get(what) ?? []
    const ok = list.filter((r) => r.error === undefined)
    const failures = list.filter((r) => r.error !== undefined).map((r) => `round ${r.round + 1}: ${r.error ?? ''}`)
    for (const f of failures) skipped.push(`first-order ${what} ${f}`)
    return {
      what,
      command: WHAT_COMMANDS[what]('<copy of dapr.yaml>').join(' '),
      runs: list,
      milestones: Object.fromEntries(MILESTONES.map((m) => [m, spread(ok.map((r) => r.ms[m] ?? NaN))])) as Record<Milestone, Spread>,
      cpuMs: spread(ok.map((r) => r.cpuMs ?? NaN)),
      failures
    }
  })
  const loadAfter = loadAverage()
  const retried = cells.flatMap((c) => c.runs.filter((r) => r.retried === true).map((r) => `${c.what} round ${r.round + 1}`))
  return {
    rounds,
    beforeCommit: BEFORE_COMMIT,
    targetMs: TARGET_MS,
    loadBefore,
    loadAfter,
    cells,
    notes: [
      `${rounds} rounds after one discarded round (page cache, tsx's cache, the app bundles of both kinds and the local-dapr bundle all built there), the contenders rotated every round; median with (min–max). Each run is a fresh process tree in a process group of its own, stopped with SIGINT to the group after its first order (SIGKILL after ${STOP_GRACE_MS / 1000} s), its app ports free again before the next run; a run without an order within ${RUN_TIMEOUT_MS / 1000} s fails with the output's tail.`,
      'Run file: a copy of dapr.yaml (absolute paths, the order service and the generator on free ports) in a temporary folder; environment as the driver\'s minus npm\'s npm_* variables, NODE_OPTIONS, LOG_LEVEL, ORDERS_STORE and the API tokens, stdout a pipe (JSON lines, no pino-pretty). Not pinned: the four processes and the runner share both CPUs.',
      '"tsx-runner" loads the runner through tsx; the sidecars it starts run from a bundle of local-dapr/src/main.ts (packages external, cached in local-dapr/node_modules/.cache/local-dapr) and the apps from the same bundles as "external-deps". At f62c9ab that command also rebuilt every bundle at every start (no cache across runs yet).',
      `"before": \`git archive ${BEFORE_COMMIT}\` unpacked in the temporary folder, its node_modules a folder of links to this checkout's packages (the same versions: package.json's dependencies did not change since), so its own caches stay apart; it runs its own sources, apps included, with its npm start (\`node --import tsx local-dapr/src/main.ts run -f .\`, then -f <copy>).`,
      '"cold": before the run both caches (node_modules/.cache/local-dapr, local-dapr/node_modules/.cache/local-dapr-cli) are moved aside, after it put back, so the other contenders always start warm.',
      'Tree CPU: user + system time of every process of the tree alive at the first order plus what the children they reaped had used (/proc/<pid>/stat utime, stime, cutime, cstime; 10 ms ticks).',
      `App ports are drawn below the kernel's ephemeral range (the runner's and the sidecars' own ports come from it); a run that still met EADDRINUSE is run once more on other ports: ${retried.length === 0 ? 'none was' : retried.join(', ')}.`,
      `Load average (1/5/15 min) ${loadBefore} before, ${loadAfter} after: the machine is shared.`
    ]
  }
}

/** The parts of dapr.yaml the copy rewrites. */
interface RunFileCopy {
  common?: { resourcesPaths?: string[], configFilePath?: string, env?: Record<string, string> }
  apps: Array<{ appID?: string, appDirPath: string, appPort?: number, resourcesPaths?: string[], configFilePath?: string, env?: Record<string, string> }>
}

/** dapr.yaml with absolute paths, the order service (the app with an app port) and every other app's PORT on free ports. */
export function runFileCopy (template: RunFileCopy, root: string, ports: number[]): { text: string, appPorts: number[], orderPort: number } {
  const copy = structuredClone(template)
  if (copy.common?.resourcesPaths !== undefined) copy.common.resourcesPaths = copy.common.resourcesPaths.map((p) => resolve(root, p))
  if (copy.common?.configFilePath !== undefined) copy.common.configFilePath = resolve(root, copy.common.configFilePath)
  const appPorts: number[] = []
  let orderPort = NaN
  copy.apps.forEach((app, i) => {
    const port = ports[i]
    if (port === undefined) throw new Error(`runFileCopy: no port for app ${i}`)
    appPorts.push(port)
    app.appDirPath = resolve(root, app.appDirPath)
    if (app.resourcesPaths !== undefined) app.resourcesPaths = app.resourcesPaths.map((p) => resolve(app.appDirPath, p))
    if (app.configFilePath !== undefined) app.configFilePath = resolve(app.appDirPath, app.configFilePath)
    app.env = { ...app.env, PORT: String(port) }
    if (app.appPort !== undefined) {
      app.appPort = port
      orderPort = port
    }
  })
  return { text: stringify(copy), appPorts, orderPort }
}

function fmtS (ms: number | undefined): string {
  return ms === undefined || !Number.isFinite(ms) ? 'n/a' : (ms / 1000).toFixed(2)
}

function runEnv (): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.toLowerCase().startsWith('npm_')) env[k] = v
  for (const k of ['NODE_OPTIONS', 'NODE_COMPILE_CACHE', 'LOG_LEVEL', 'ORDERS_STORE', 'APP_API_TOKEN', 'DAPR_API_TOKEN', 'FORCE_COLOR']) delete env[k]
  return env
}

async function readTemplate (root: string): Promise<RunFileCopy> {
  return parse(await readFile(join(root, 'dapr.yaml'), 'utf8')) as RunFileCopy
}

/**
 * The tree of `commit` unpacked into `dest`, with a node_modules of links to the packages of
 * `root` (not to its node_modules as a whole: the old runner's caches must not land in ours).
 */
async function checkout (root: string, commit: string, dest: string): Promise<Tree> {
  await mkdir(dest, { recursive: true })
  const unpacked = spawnSync('sh', ['-c', 'git -C "$1" archive --format=tar "$2" | tar -x -C "$3"', 'sh', root, commit, dest], { encoding: 'utf8', timeout: 120_000 })
  if (unpacked.status !== 0) throw new Error(`git archive ${commit}: ${unpacked.stderr.trim() || `exit ${unpacked.status ?? unpacked.signal}`}`)
  await mkdir(join(dest, 'node_modules'))
  for (const name of await readdir(join(root, 'node_modules'))) {
    if (name === '.cache' || name === '.package-lock.json') continue
    await symlink(join(root, 'node_modules', name), join(dest, 'node_modules', name))
  }
  return { root: dest, template: await readTemplate(dest) }
}

async function runOnce (ctx: Context, what: FirstOrderWhat, tree: Tree, dir: string, round: number): Promise<FirstOrderRun> {
  const run = await runWithPorts(ctx, what, tree, dir, round)
  if (!portClash(run)) return run
  // Another process took one of the ports between our check and the app's listen: once more on others.
  ctx.log(`first-order ${what}: a port was taken under the run (EADDRINUSE), running it again on other ports`)
  return { ...await runWithPorts(ctx, what, tree, dir, round), retried: true }
}

function portClash (run: FirstOrderRun): boolean {
  return run.error !== undefined && run.error.includes('EADDRINUSE')
}

async function runWithPorts (ctx: Context, what: FirstOrderWhat, tree: Tree, dir: string, round: number): Promise<FirstOrderRun> {
  const ports: number[] = []
  while (ports.length < tree.template.apps.length) ports.push(await distinctFreePort(ports))
  const { text, appPorts, orderPort } = runFileCopy(tree.template, tree.root, ports)
  const runFile = join(dir, `dapr-${what}-${round + 1}.yaml`)
  await writeFile(runFile, text)
  const restore = what === 'cold' ? moveCachesAside(ctx.root) : undefined
  try {
    return await timeRun(ctx, what, WHAT_COMMANDS[what](runFile), tree.root, orderPort, appPorts, round)
  } finally {
    restore?.()
    await rm(runFile, { force: true })
  }
}

/**
 * A port that can be bound now, below the kernel's ephemeral range: the runner and the
 * sidecars take their own ports from that range (listen on 0), and one of them once drew the
 * very port picked here for the generator in the moment between our check and its listen.
 */
async function distinctFreePort (taken: readonly number[]): Promise<number> {
  const [low] = ephemeralRange()
  const from = Math.max(1024, Math.min(20_000, low - 10_000))
  for (;;) {
    const port = from + Math.floor(Math.random() * (low - from))
    if (!taken.includes(port) && await canBind(port)) return port
  }
}

function ephemeralRange (): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number)
    if (low !== undefined && high !== undefined && low > 2048) return [low, high]
  } catch {}
  return [32768, 60999]
}

/** Moves both caches aside; the function returned drops whatever the run built and puts them back. */
function moveCachesAside (root: string): () => void {
  const moved: Array<[string, string]> = []
  for (const cache of caches(root)) {
    if (!existsSync(cache)) continue
    const aside = `${cache}.bench-aside-${process.pid}`
    rmSync(aside, { recursive: true, force: true })
    renameSync(cache, aside)
    moved.push([cache, aside])
  }
  const restore = (): void => {
    cleanups.delete(restore)
    for (const [cache, aside] of moved) {
      if (!existsSync(aside)) continue
      rmSync(cache, { recursive: true, force: true })
      renameSync(aside, cache)
    }
  }
  cleanups.add(restore)
  return restore
}

const MATCHERS: Record<Milestone, (line: string) => boolean> = {
  runner: (l) => l.startsWith('Starting '),
  sidecar: (l) => l.startsWith('== DAPR - '),
  orderListening: (l) => l.startsWith('== APP - nodeapp ==') && l.includes('Server listening at'),
  allStarted: (l) => l.includes('All apps started'),
  generatorReady: (l) => l.startsWith('== APP - generator ==') && l.includes('Sidecar ready, generating orders'),
  firstOrder: (l) => l.startsWith('== APP - nodeapp ==') && l.includes('Successfully persisted')
}

async function timeRun (ctx: Context, what: FirstOrderWhat, command: string[], cwd: string, orderPort: number, appPorts: number[], round: number): Promise<FirstOrderRun> {
  const ms: Partial<Record<Milestone, number>> = {}
  let tail = ''
  let wrongPort: string | undefined
  let reached: () => void = () => {}
  const firstOrder = new Promise<void>((resolve) => { reached = resolve })
  let clashed: () => void = () => {}
  const clash = new Promise<void>((resolve) => { clashed = resolve })
  const t0 = performance.now()
  const child = spawn(command[0] as string, command.slice(1), { cwd, env: runEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  const killGroup = (): void => { killTree(child, 'SIGKILL') }
  cleanups.add(killGroup)
  const closed = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(`spawn error: ${err.message}`))
    child.once('close', (code, signal) => resolve(`exited (${code ?? signal})`))
  })
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      const at = performance.now() - t0
      tail = (tail + line.slice(0, 400) + '\n').slice(-3000)
      for (const m of MILESTONES) if (ms[m] === undefined && MATCHERS[m](line)) ms[m] = at
      if (MATCHERS.orderListening(line) && !new RegExp(`:${orderPort}\\b`).test(line)) wrongPort ??= line
      if (ms.firstOrder !== undefined) reached()
      else if (line.includes('EADDRINUSE')) clashed()
    })
  }
  let error: string | undefined
  let cpuMs: number | undefined
  let processes = 0
  const timeout = new AbortController()
  const outcome = await Promise.race([
    firstOrder.then(() => 'order'),
    clash.then(() => 'clash'),
    closed,
    sleep(RUN_TIMEOUT_MS, 'timeout', { signal: timeout.signal }).catch(() => 'aborted')
  ])
  timeout.abort()
  if (outcome === 'order') {
    const tree = processTree(child.pid ?? -1)
    processes = tree.length
    cpuMs = tree.reduce((sum, p) => sum + p.cpuTicks, 0) * 1000 / ticksPerSecond()
    if (wrongPort !== undefined) error = `the order service did not listen on the copy's port ${orderPort} (did -f reach the runner?): ${wrongPort}`
  } else {
    const why = outcome === 'timeout'
      ? `no "Successfully persisted" line within ${RUN_TIMEOUT_MS / 1000} s`
      : outcome === 'clash' ? 'a port in use (EADDRINUSE) before the first order' : `the process ${outcome} before the first order`
    error = `${why}\n${tail}`
  }
  const stopStarted = performance.now()
  const stopError = await stopTree(child, closed)
  const stopMs = performance.now() - stopStarted
  cleanups.delete(killGroup)
  if (stopError !== undefined) error = [error, stopError].filter((e) => e !== undefined).join('; ')
  const busy = await waitForFreePorts(appPorts, 10_000)
  if (busy.length > 0) error = [error, `port(s) ${busy.join(', ')} still in use 10 s after the run`].filter((e) => e !== undefined).join('; ')
  if (error !== undefined) ctx.log(`first-order ${what}: ${error}`)
  return { round, ms, cpuMs, processes, stopMs, error }
}

interface TreeProcess { pid: number, start: string, cpuTicks: number }

/** `pid` and every process below it (however deep, in whatever session), from /proc. */
function processTree (root: number): TreeProcess[] {
  const all = new Map<number, { ppid: number, start: string, cpuTicks: number }>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      all.set(Number(name), { ppid: Number(f[1]), start: f[19] ?? '', cpuTicks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) })
    } catch {}
  }
  const out: TreeProcess[] = []
  const queue = [root]
  while (queue.length > 0) {
    const pid = queue.shift() as number
    const p = all.get(pid)
    if (p === undefined) continue
    out.push({ pid, start: p.start, cpuTicks: p.cpuTicks })
    for (const [child, q] of all) if (q.ppid === pid) queue.push(child)
  }
  return out
}

/** Still the same process (a pid can be reused once it is gone). */
function alive (p: TreeProcess): boolean {
  try {
    const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return f[19] === p.start && f[0] !== 'Z'
  } catch {
    return false
  }
}

function killTree (child: ChildProcess, signal: NodeJS.Signals): void {
  const tree = processTree(child.pid ?? -1)
  try { process.kill(-(child.pid ?? 0), signal) } catch {}
  for (const p of tree) try { process.kill(p.pid, signal) } catch {}
}

/**
 * SIGINT to the run's process group, as a terminal's Ctrl-C: the runner stops its apps and
 * sidecars (each in a session of its own). Every process the tree had must be gone within the
 * grace period, else all of them get SIGKILL; returns a note when that was needed.
 */
async function stopTree (child: ChildProcess, closed: Promise<string>): Promise<string | undefined> {
  const tree = processTree(child.pid ?? -1)
  try { process.kill(-(child.pid ?? 0), 'SIGINT') } catch {}
  const deadline = performance.now() + STOP_GRACE_MS
  while (performance.now() < deadline) {
    if (tree.every((p) => !alive(p))) {
      await closed
      return undefined
    }
    await sleep(50)
  }
  const left = tree.filter(alive)
  for (const p of left) try { process.kill(p.pid, 'SIGKILL') } catch {}
  try { process.kill(-(child.pid ?? 0), 'SIGKILL') } catch {}
  const wait = new AbortController()
  await Promise.race([closed, sleep(5000, undefined, { signal: wait.signal }).catch(() => {})])
  wait.abort()
  return `${left.length} process(es) still alive ${STOP_GRACE_MS / 1000} s after SIGINT, killed: ${left.map((p) => p.pid).join(', ')}`
}

/** Waits until every port can be bound on 127.0.0.1 again; returns those still busy at the deadline. */
async function waitForFreePorts (ports: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const busy: number[] = []
    for (const port of ports) if (!(await canBind(port))) busy.push(port)
    if (busy.length === 0 || performance.now() > deadline) return busy
    await sleep(100)
  }
}

async function canBind (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}
