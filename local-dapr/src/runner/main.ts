// `local-dapr run -f <run file>`: runs a multi-app run file with local sidecars, like
// `dapr run -f .` without Dapr installed (`npm start` in this repository).
//   local-dapr run -f dapr.yaml                   the resources paths the run file names
//   local-dapr run -f . --redis                   every `.../local` resources folder swapped for `.../redis`
//   local-dapr run -f dapr.yaml --resources-path dir [--resources-path dir2]
// Process work only (signals, exit codes); everything else is in cli.ts and runner.ts.
import { USAGE, runCli } from './cli.js'

/** Runs every app until they exit or a signal stops them; owns the process's exit. */
export async function main (argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const out = process.stdout
  if (argv.includes('--help') || argv.includes('-h')) {
    out.write(USAGE)
    return
  }
  try {
    const system = await runCli([...argv], env, out)
    let stopping = false
    const stop = (signal: string): void => {
      if (stopping) return
      stopping = true
      out.write(`\n${signal}: stopping every app and sidecar\n`)
      system.stop().then(() => process.exit(0), () => process.exit(1))
    }
    process.on('SIGINT', () => stop('SIGINT'))
    process.on('SIGTERM', () => stop('SIGTERM'))
    const code = await system.finished
    if (!stopping) {
      out.write(`Every app has exited (exit code ${code})\n`)
      process.exit(code)
    }
  } catch (err) {
    out.write(`local-dapr run failed: ${(err as Error).message}\n${(err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? USAGE : ''}`)
    process.exit(1)
  }
}
