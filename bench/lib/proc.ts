// Child processes for benchmark cells: pinned to a CPU with taskset when it exists, an IPC
// channel for results, a deadline on every wait, and a kill that never outlives the driver.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

export interface CpuPlan {
  taskset: boolean
  /** CPU list for load generators / clients (taskset -c syntax). */
  client: string | undefined
  /** CPU list for the servers under test. */
  server: string | undefined
  allowed: string
  note: string
}

/** Picks two different CPUs for client and server when taskset works and at least two are allowed. */
export function planCpus (): CpuPlan {
  const status = readFileSync('/proc/self/status', 'utf8')
  const allowed = /Cpus_allowed_list:\s*(\S+)/.exec(status)?.[1] ?? 'unknown'
  const cpus = expandCpuList(allowed)
  const probe = spawnSync('taskset', ['-c', String(cpus[0] ?? 0), 'true'], { stdio: 'ignore' })
  const taskset = probe.status === 0
  if (!taskset) return { taskset, client: undefined, server: undefined, allowed, note: 'taskset not available: processes are not pinned' }
  if (cpus.length < 2) return { taskset, client: undefined, server: undefined, allowed, note: 'only one CPU allowed: processes are not pinned' }
  const client = String(cpus[0])
  const server = String(cpus[1])
  return { taskset, client, server, allowed, note: `clients and load generators on CPU ${client}, servers on CPU ${server}` }
}

function expandCpuList (list: string): number[] {
  const out: number[] = []
  for (const part of list.split(',')) {
    const [a, b] = part.split('-').map(Number)
    if (a === undefined || !Number.isInteger(a)) continue
    for (let i = a; i <= (b ?? a); i++) out.push(i)
  }
  return out
}

export interface Message { type: string, [k: string]: unknown }

export interface Child {
  readonly proc: ChildProcess
  readonly pid: number
  /** Next IPC message of this type (earlier ones of the type are consumed in order). */
  next<T extends Message = Message> (type: string, timeoutMs: number): Promise<T>
  send (msg: Message): void
  /** Output kept for error messages (last 4 KiB of stderr and stdout). */
  tail (): string
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  /** SIGTERM, then SIGKILL after graceMs; resolves on exit. */
  stop (graceMs?: number): Promise<void>
}

export interface SpawnOptions {
  cpu?: string | undefined
  env?: Record<string, string | undefined> | undefined
  cwd?: string | undefined
  /** Open an IPC channel (the child's `process.send`). */
  ipc?: boolean
  /** Node flags before the script. */
  nodeArgs?: string[]
  /** Echo the child's stderr to ours (for debugging). */
  echo?: boolean
}

const live = new Set<ChildProcess>()
process.once('exit', () => { for (const p of live) p.kill('SIGKILL') })
// Ctrl-C or a kill of the driver must not leave pinned servers behind.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const p of live) p.kill('SIGKILL')
    process.exit(130)
  })
}

/** Runs `node [nodeArgs] script [args]`, under `taskset -c cpu` when a cpu is given. */
export function spawnNode (script: string, args: readonly string[], options: SpawnOptions = {}): Child {
  return spawnCommand([process.execPath, ...(options.nodeArgs ?? []), script, ...args], options)
}

export function spawnCommand (command: readonly string[], options: SpawnOptions = {}): Child {
  const argv = options.cpu !== undefined ? ['taskset', '-c', options.cpu, ...command] : [...command]
  const proc = spawn(argv[0] as string, argv.slice(1), {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: options.ipc === true ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe']
  })
  live.add(proc)
  let output = ''
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4096)
    if (options.echo === true) process.stderr.write(chunk)
  }
  proc.stdout?.on('data', keep)
  proc.stderr?.on('data', keep)
  const queue: Message[] = []
  const waiters: Array<{ type: string, resolve: (m: Message) => void }> = []
  proc.on('message', (raw) => {
    const msg = raw as Message
    const i = waiters.findIndex((w) => w.type === msg.type)
    if (i >= 0) waiters.splice(i, 1)[0]?.resolve(msg)
    else queue.push(msg)
  })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => {
    // 'close', not 'exit': IPC messages sent just before exiting may be delivered after 'exit'.
    proc.once('close', (code, signal) => { live.delete(proc); resolve({ code, signal }) })
    proc.once('error', (err) => { output += `\nspawn error: ${err.message}`; live.delete(proc); resolve({ code: -1, signal: null }) })
  })
  const child: Child = {
    proc,
    pid: proc.pid ?? -1,
    tail: () => output,
    exited,
    send: (msg) => { if (proc.connected) proc.send(msg) },
    next: async <T extends Message>(type: string, timeoutMs: number): Promise<T> => {
      const i = queue.findIndex((m) => m.type === type)
      if (i >= 0) return queue.splice(i, 1)[0] as T
      return await new Promise<T>((resolve, reject) => {
        const waiter = { type, resolve: (m: Message) => { clearTimeout(timer); resolve(m as T) } }
        const timer = setTimeout(() => {
          const j = waiters.indexOf(waiter)
          if (j >= 0) waiters.splice(j, 1)
          reject(new Error(`no '${type}' message from ${command.join(' ')} within ${timeoutMs} ms\n${output}`))
        }, timeoutMs)
        waiters.push(waiter)
        exited.then(({ code, signal }) => {
          const j = waiters.indexOf(waiter)
          if (j < 0) return
          waiters.splice(j, 1)
          clearTimeout(timer)
          reject(new Error(`${command.join(' ')} exited (${code ?? signal}) before sending '${type}'\n${output}`))
        })
      })
    },
    stop: async (graceMs = 3000) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      proc.kill('SIGTERM')
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs)
      await exited
      clearTimeout(timer)
    }
  }
  return child
}

/** RSS of a process in bytes, from /proc (undefined when it is gone). */
export function rssOf (pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = /VmRSS:\s*(\d+)\s*kB/.exec(status)?.[1]
    return kb === undefined ? undefined : Number(kb) * 1024
  } catch {
    return undefined
  }
}

let clockTicks: number | undefined

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ, nearly always 100). */
export function ticksPerSecond (): number {
  if (clockTicks === undefined) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })
    const n = Number(out.stdout?.trim())
    clockTicks = Number.isInteger(n) && n > 0 ? n : 100
  }
  return clockTicks
}

/**
 * CPU time a process has used so far, in µs, all its threads: the sum of the scheduler's
 * run time in /proc/<pid>/task/<tid>/schedstat (nanoseconds), else user + system time from
 * /proc/<pid>/stat (10 ms ticks: too coarse for a window of a few hundred requests). The
 * server's own cost, whatever the load generator does. Undefined once the process is gone.
 */
export function cpuUsOf (pid: number): number | undefined {
  try {
    let ns = 0
    for (const tid of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0])
    if (Number.isFinite(ns) && ns > 0) return ns / 1000
  } catch {}
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const utime = Number(fields[11])
    const stime = Number(fields[12])
    return (utime + stime) * 1e6 / ticksPerSecond()
  } catch {
    return undefined
  }
}

/** The 1, 5 and 15 minute load averages, to record how busy the shared machine was. */
export function loadAverage (): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
  } catch {
    return 'unknown'
  }
}
