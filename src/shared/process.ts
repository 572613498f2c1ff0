// Process wiring both server.ts files share.
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
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
