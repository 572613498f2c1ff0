// `npm start`: runs dapr.yaml with local sidecars, like `dapr run -f .` without Dapr installed.
//   npm start                      in-memory state store (components/local)
//   npm start -- --redis           Redis on localhost:6379 (components/redis); or ORDERS_STORE=redis
//   npm start -- -f path/to/dapr.yaml --resources-path dir [--resources-path dir2]
// Process work only (signals, exit codes); everything else is in cli.ts and runner.ts.
import { USAGE, runCli } from './cli.js'

const out = process.stdout

try {
  const system = await runCli(process.argv.slice(2), process.env, out)
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
  out.write(`npm start failed: ${(err as Error).message}\n${(err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? USAGE + '\n' : ''}`)
  process.exit(1)
}
