// The `local-dapr` command line: `run` starts a multi-app run file like `dapr run -f`,
// `sidecar` starts one sidecar with daprd's flags, `build` bundles a run file's TypeScript apps
// ahead of `run`. Each verb's module is loaded on demand, so `sidecar` never loads the runner
// and `--help` loads neither.
import type { Writable } from 'node:stream'

export const USAGE = `usage: local-dapr <command> [flags]

commands:
  run -f <dapr.yaml|dir> [--redis] [--resources-path dir]...   run every app of a run file, each with a local sidecar
  sidecar --app-id <id> [daprd flags]...                       run one local sidecar (daprd's flag names)
  build -f <dapr.yaml|dir>                                     bundle the run file's node --import tsx apps for run, start nothing

local-dapr <command> --help shows a command's flags.
`

export interface Verbs {
  run (argv: readonly string[]): Promise<void>
  sidecar (argv: readonly string[]): Promise<void>
  /** Resolves to the exit code. */
  build (argv: readonly string[]): Promise<number>
}

const verbs: Verbs = {
  run: async (argv) => { await (await import('./runner/main.js')).main(argv) },
  sidecar: async (argv) => { await (await import('./sidecar/main.js')).main(argv) },
  build: async (argv) => await (await import('./runner/build.js')).main(argv)
}

/** Dispatches on the first argument; resolves to the exit code for usage errors (a verb owns its own exit). */
export async function main (argv: readonly string[], out: Writable = process.stdout, err: Writable = process.stderr, run: Verbs = verbs): Promise<number> {
  const [verb, ...rest] = argv
  if (verb === 'run' || verb === 'sidecar') {
    await run[verb](rest)
    return 0
  }
  if (verb === 'build') return await run.build(rest)
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
    out.write(USAGE)
    return verb === undefined ? 1 : 0
  }
  err.write(`local-dapr: unknown command ${JSON.stringify(verb)}\n${USAGE}`)
  return 1
}
