// Process wiring both server.ts files share.
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import closeWithGrace from 'close-with-grace'
import type { Logger } from 'pino'
import { ConfigError } from './config.js'

/**
 * True when the module at `moduleUrl` is the script node was started with
 * (`node dist/order/server.js`, `node --import tsx src/order/server.ts`), false when imported.
 * @example
 * if (isMainModule(import.meta.url)) await main()
 */
export function isMainModule (moduleUrl: string, argv: readonly string[] = process.argv): boolean {
  const argv1 = argv[1]
  if (argv1 === undefined) return false
  try {
    return realpathSync(argv1) === realpathSync(fileURLToPath(moduleUrl))
  } catch {
    return false
  }
}

/** Logs why start-up failed: every config problem at once, or the error itself. */
export function logStartupFailure (logger: Logger, err: unknown): void {
  if (err instanceof ConfigError) logger.fatal({ problems: err.problems }, err.message)
  else logger.fatal({ err }, 'start-up failed')
}

/**
 * Signals a native fault raises (a bad memory access, an abort). A JavaScript listener on them
 * only queues an event and returns, so the faulting instruction runs again, for ever: the
 * process spins at full CPU and never gets back to its event loop to hear SIGTERM. That was
 * the hang-up bug (close-with-grace listens to all of them by default). Left to the kernel,
 * a fault ends the process, as it should.
 */
export const FAULT_SIGNALS = ['SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGTRAP', 'SIGABRT'] as const

/** The part of `process` the hang-up handling uses; tests pass an emitter. */
export interface HangupProcess {
  pid: number
  once (event: 'SIGHUP' | 'exit', listener: () => void): unknown
  removeListener (event: 'SIGHUP', listener: () => void): unknown
  removeAllListeners (event: 'SIGHUP'): unknown
  kill (pid: number, signal: 'SIGHUP'): unknown
}

/**
 * After a SIGHUP, the process ends by SIGHUP (the default action) when it would exit: Node 20
 * aborts in exit() once its terminal is gone (ResetStdio's tcsetattr fails with EIO; fixed in
 * Node 24 by nodejs/node#58200). Returns the uninstaller.
 */
export function endByHangup (proc: HangupProcess = process): () => void {
  const onHangup = (): void => {
    proc.once('exit', () => {
      proc.removeAllListeners('SIGHUP')
      proc.kill(proc.pid, 'SIGHUP')
    })
  }
  proc.once('SIGHUP', onHangup)
  return () => proc.removeListener('SIGHUP', onHangup)
}

/**
 * close-with-grace for both services: SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR2 and uncaught
 * errors close gracefully within `delay`; native faults are left to the kernel; a hang-up
 * ends the process by SIGHUP once closed.
 * @example
 * closeGracefully({ delay: 10_000, logger }, async ({ signal }) => { await app.close() })
 */
export function closeGracefully (options: { delay: number, logger: Logger }, fn: closeWithGrace.CloseWithGraceAsyncCallback): { close: () => void, uninstall: () => void } {
  const grace = closeWithGrace({ ...options, skip: [...FAULT_SIGNALS] }, fn)
  const undoHangup = endByHangup()
  return {
    close: grace.close,
    uninstall: () => {
      grace.uninstall()
      undoHangup()
    }
  }
}
