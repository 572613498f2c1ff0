// `local-dapr run -f <run file>`: runs a multi-app run file with local sidecars, like
// `dapr run -f .` without Dapr installed (`npm start` in this repository).
//   local-dapr run -f dapr.yaml                   the resources paths the run file names
//   local-dapr run -f . --redis                   every `.../local` resources folder swapped for `.../redis`
//   local-dapr run -f dapr.yaml --resources-path dir [--resources-path dir2]
// Process work only (signals, exit codes); everything else is in cli.ts and runner.ts.
// SIGINT, SIGTERM, SIGHUP and a lost output (EPIPE, EIO: the terminal or the reader went away)
// all stop every app, then every sidecar, once each; then a summary. After a hang-up the
// process ends by SIGHUP, not exit(): Node 20 aborts in exit() once its terminal is gone.
import type { Writable } from 'node:stream'
import { USAGE, runCli } from './cli.js'
import { createSummary } from './summary.js'

/** The part of `process` main() drives; tests pass their own. */
export interface RunnerProcess {
  pid: number
  on (event: 'SIGINT' | 'SIGTERM' | 'SIGHUP', listener: () => void): unknown
  removeAllListeners (event: 'SIGHUP'): unknown
  kill (pid: number, signal: 'SIGHUP'): unknown
  exit (code: number): void
}

/** Runs every app until they exit or a signal stops them; owns the process's exit. */
export async function main (argv: readonly string[], env: NodeJS.ProcessEnv = process.env, out: Writable & { isTTY?: boolean } = process.stdout, proc: RunnerProcess = process, sidecarCommand?: readonly string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    out.write(USAGE)
    return
  }
  let outputLost = false
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'EIO') outputLost = true
    stop('output lost')
  })
  let stopping = false
  // Until the system has started, a stop waits for it (startSystem stops what it started if it fails).
  let pending: string | undefined
  let stopper: ((why: string) => void) | undefined
  function stop (why: string): void {
    if (stopper === undefined) pending ??= why
    else stopper(why)
  }
  function endProcess (hungUp: boolean, code: number): void {
    if (!hungUp) return proc.exit(code)
    proc.removeAllListeners('SIGHUP')
    proc.kill(proc.pid, 'SIGHUP')
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) proc.on(signal, () => stop(signal))
  const summary = createSummary()
  try {
    const system = await runCli([...argv], env, out, sidecarCommand, summary.onAppLine)
    const write = (text: string): void => { if (!outputLost) out.write(text) }
    stopper = (why) => {
      if (stopping) return
      stopping = true
      write(`\n${why}: stopping every app, then every sidecar\n`)
      system.stop()
        .then(async () => write(await summary.render(system.apps.flatMap((a) => [a.appPort, a.daprHttpPort, a.daprGrpcPort].filter((p) => p !== undefined)))))
        .then(() => endProcess(why === 'SIGHUP' || outputLost, 0), () => endProcess(why === 'SIGHUP' || outputLost, 1))
    }
    if (pending !== undefined) return stopper(pending)
    const code = await system.finished
    if (!stopping) {
      stopping = true
      write(`Every app has exited (exit code ${code})\n`)
      proc.exit(code)
    }
  } catch (err) {
    if (!outputLost) out.write(`local-dapr run failed: ${(err as Error).message}\n${(err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? USAGE : ''}`)
    endProcess(pending === 'SIGHUP' || outputLost, 1)
  }
}
