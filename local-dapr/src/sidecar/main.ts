// `local-dapr sidecar`: the local sidecar as a daprd-shaped process. Reads DAPR_API_TOKEN,
// APP_API_TOKEN, NAMESPACE and DAPR_HOST_IP from its environment like daprd.
import closeWithGrace from 'close-with-grace'
import pino from 'pino'
import { CliError, parseCli, SIDECAR_USAGE } from './cli.js'
import { startSidecar } from './sidecar.js'

/** Runs one sidecar until a signal or the shutdown API ends it; owns the process's exit. */
export async function main (argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h') || argv.includes('-help')) {
    process.stdout.write(SIDECAR_USAGE)
    return
  }
  let config
  try {
    config = parseCli(argv, env)
  } catch (err) {
    if (!(err instanceof CliError)) throw err
    process.stderr.write(`local-dapr sidecar: ${err.message}\n`)
    process.exit(1)
  }

  // Synchronous: the sidecar logs little, and a line written before a kill is never lost.
  // A lost stdout (EPIPE: the runner is gone; EIO: the terminal is) closes the sidecar as a
  // hang-up does, instead of leaving it running deaf. pino drops the lines after an EPIPE itself.
  const destination = pino.destination({ fd: 1, sync: true })
  destination.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'EIO') process.kill(process.pid, 'SIGHUP')
  })
  const logger = pino({ name: 'local-sidecar', level: config.logLevel }, destination).child({ app_id: config.appId })
  for (const w of config.warnings) logger.warn(w)

  const sidecar = await startSidecar({
    ...config,
    logger,
    // daprd exits 1 about 100 ms after a forced shutdown, 0 after a graceful one.
    onShutdown: ({ force }) => { setTimeout(() => process.exit(force ? 1 : 0), force ? 100 : 0) }
  }).catch((err: unknown) => {
    logger.fatal({ err }, 'local sidecar failed to start')
    process.exit(1)
  })

  // Native fault signals are left to the kernel: a JavaScript listener on SIGSEGV or SIGABRT
  // turns a fault into an endless loop that no SIGTERM can end.
  closeWithGrace({ delay: 10_000, logger, skip: ['SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGTRAP', 'SIGABRT'] }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'closing after an error')
    else logger.info({ signal }, 'closing')
    await sidecar.close()
  })
  // After a hang-up, end by SIGHUP rather than exit(): Node 20 aborts in exit() once its terminal is gone.
  process.once('SIGHUP', () => {
    process.once('exit', () => {
      process.removeAllListeners('SIGHUP')
      process.kill(process.pid, 'SIGHUP')
    })
  })
}
