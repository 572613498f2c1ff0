// A child process whose every output line is written with a prefix, as the Dapr CLI does
// (`== APP - nodeapp == ...`), and that can be stopped: SIGTERM, then SIGKILL after a grace period.
// Each child runs in a session of its own, so a terminal's Ctrl-C or hang-up reaches the runner
// alone, which then stops the apps before their sidecars, each signalled once.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { Writable } from 'node:stream'

export interface ManagedProcess {
  readonly name: string
  readonly child: ChildProcess
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  readonly exited: Promise<number | string>
  /** True once the process has exited. */
  readonly hasExited: () => boolean
  /** SIGTERM, then SIGKILL when it has not exited within `graceMs`. */
  stop (graceMs: number): Promise<number | string>
}

export interface StartOptions {
  name: string
  prefix: string
  command: string
  args: readonly string[]
  cwd: string
  env: Record<string, string | undefined>
  output: Writable
  /** Turns each output line into what is written after the prefix (e.g. pino-pretty); default as is. */
  format?: ((line: string) => string) | undefined
  /** Sees each output line as the child wrote it (e.g. to pick up a closing summary). */
  onLine?: ((line: string) => void) | undefined
}

export function startProcess (options: StartOptions): ManagedProcess {
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true
  })
  const format = options.format ?? ((line: string) => line)
  let done = false
  const exited = new Promise<number | string>((resolve) => {
    child.once('error', (err) => {
      options.output.write(`${options.prefix} failed to start: ${err.message}\n`)
    })
    child.once('close', (code, signal) => {
      done = true
      // Node gives either an exit code or the signal that ended the process.
      resolve((code ?? signal) as number | string)
    })
  })
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      options.onLine?.(line)
      options.output.write(`${options.prefix} ${format(line)}\n`)
    })
  }

  // One SIGTERM per process however many ask (an app's exit and the runner's stop both stop its
  // sidecar): a second one makes daprd, and the local sidecar, skip the graceful shutdown.
  let stopping: Promise<number | string> | undefined
  async function stop (graceMs: number): Promise<number | string> {
    if (done) return await exited
    stopping ??= terminate(graceMs)
    return await stopping
  }

  async function terminate (graceMs: number): Promise<number | string> {
    child.kill('SIGTERM')
    const timer = setTimeout(() => { if (!done) child.kill('SIGKILL') }, graceMs)
    try {
      return await exited
    } finally {
      clearTimeout(timer)
    }
  }

  return { name: options.name, child, exited, hasExited: () => done, stop }
}
