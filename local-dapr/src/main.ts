#!/usr/bin/env node
// The `local-dapr` command: `run` starts a multi-app run file like `dapr run -f`,
// `sidecar` starts one sidecar with daprd's flags. Each verb's module is loaded on demand.
export const USAGE = `usage: local-dapr <command> [flags]

commands:
  run -f <dapr.yaml|dir> [--redis] [--resources-path dir]...   run every app of a run file, each with a local sidecar
  sidecar --app-id <id> [daprd flags]...                       run one local sidecar (daprd's flag names)

local-dapr <command> --help shows a command's flags.
`

export async function main (argv: readonly string[]): Promise<number> {
  const [verb, ...rest] = argv
  if (verb === 'run') {
    await (await import('./runner/main.js')).main(rest)
    return 0
  }
  if (verb === 'sidecar') {
    await (await import('./sidecar/main.js')).main(rest)
    return 0
  }
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
    process.stdout.write(USAGE)
    return verb === undefined ? 1 : 0
  }
  process.stderr.write(`local-dapr: unknown command ${JSON.stringify(verb)}\n${USAGE}`)
  return 1
}

const code = await main(process.argv.slice(2))
if (code !== 0) process.exitCode = code
