// `local-dapr build -f <run file>`: bundles every `node --import tsx` app command of a run file
// into the cache `run` takes them from (compile.ts), and starts nothing. The first `run` after
// an install or an edit then starts as fast as any later one (this repository's `npm install`
// does it through its `prepare` script). Exit code 1 when a command could not be bundled:
// `run` would still start it, through tsx.
import { parseArgs } from 'node:util'
import type { Writable } from 'node:stream'
import { compileCommands } from './compile.js'
import { loadRunFile } from './run-file.js'

export const USAGE = `usage: local-dapr build [-f dapr.yaml|dir] [--bundle-dependencies]

  -f, --file path          the run file, or a folder holding dapr.yaml (default .)
  --bundle-dependencies    bundle the apps' dependencies too, for \`run --bundle-dependencies\`

Bundles the run file's \`node --import tsx\` commands for \`local-dapr run\`, and starts nothing.
`

/** Resolves to the exit code: 0 when every tsx command bundled (or there was none), 1 otherwise. */
export async function main (argv: readonly string[], out: Writable = process.stdout, err: Writable = process.stderr): Promise<number> {
  try {
    const { values } = parseArgs({ args: [...argv], options: { file: { type: 'string', short: 'f', default: '.' }, 'bundle-dependencies': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } }, strict: true })
    if (values.help === true) {
      out.write(USAGE)
      return 0
    }
    const apps = await loadRunFile(values.file as string)
    const { commands, problems } = await compileCommands(apps.map((a) => a.command), apps.map((a) => a.appDir), { bundleDependencies: values['bundle-dependencies'] === true })
    const bundled = apps.filter((app, i) => commands[i]?.join(' ') !== app.command.join(' '))
    out.write(`local-dapr build: ${bundled.length === 0 ? 'nothing' : bundled.map((app) => app.appId).join(', ')} bundled\n`)
    err.write(problems.map((problem) => `${problem}\n`).join(''))
    return problems.length === 0 ? 0 : 1
  } catch (e) {
    err.write(`local-dapr build failed: ${(e as Error).message}\n${(e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? USAGE : ''}`)
    return 1
  }
}
