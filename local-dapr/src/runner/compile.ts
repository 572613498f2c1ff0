// Pays the TypeScript loader's start-up cost once per `run`, not once per process: every
// command of the form `node [flags] --import tsx <file.ts> [args]` (apps and the local
// sidecar alike) is bundled by one esbuild call and run as plain JavaScript, with source maps
// so stack traces still name the .ts lines. Dependencies stay external and resolve from the
// project's node_modules, as under tsx. Anything else, or a file esbuild cannot build, runs
// unchanged (tsx then reports the problem as it would have).
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { basename, dirname, join, relative, resolve } from 'node:path'

export interface TsxCommand {
  /** Everything before `--import tsx` (the node binary and its flags). */
  node: string[]
  file: string
  args: string[]
}

/** Recognises `node [flags] --import tsx file.ts [args]` (also `--import=tsx`); undefined for anything else. */
export function parseTsxCommand (command: readonly string[], cwd: string): TsxCommand | undefined {
  const [program] = command
  if (program === undefined || !/^node(\.exe)?$/.test(basename(program))) return undefined
  for (let i = 1; i < command.length; i++) {
    const flag = command[i] as string
    const width = flag === '--import' && command[i + 1] === 'tsx' ? 2 : flag === '--import=tsx' ? 1 : 0
    if (width === 0) {
      if (!flag.startsWith('-')) return undefined
      continue
    }
    const file = command[i + width]
    if (file === undefined || !/\.(c|m)?ts$/.test(file)) return undefined
    return { node: [...command.slice(0, i)], file: resolve(cwd, file), args: command.slice(i + width + 1) }
  }
  return undefined
}

/** The nearest folder at or above `file` with a package.json: its node_modules serve the bundle. */
export function packageRoot (file: string): string {
  let dir = dirname(file)
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir)
    if (up === dir) return dirname(file)
    dir = up
  }
  return dir
}

export interface Compiled {
  /** The commands, each either bundled or as given. */
  commands: string[][]
  /** What esbuild said when a bundle failed (those commands run through tsx instead). */
  problems: string[]
  /** Removes the bundles. */
  cleanup (): Promise<void>
}

type Build = (typeof import('esbuild'))['build']

/**
 * Bundles the entry file of every tsx command, one esbuild build per package, into a fresh
 * folder under that package's `node_modules/.cache/local-dapr/`.
 * @example
 * const { commands } = await compileCommands([['node', '--import', 'tsx', 'src/server.ts']], ['/repo'])
 * // [['node', '--enable-source-maps', '/repo/node_modules/.cache/local-dapr/run-x/src/server.mjs']]
 */
export async function compileCommands (commands: ReadonlyArray<readonly string[]>, cwds: readonly string[], build?: Build): Promise<Compiled> {
  const parsed = commands.map((c, i) => parseTsxCommand(c, cwds[i] as string))
  const byRoot = new Map<string, string[]>()
  for (const p of parsed) {
    if (p === undefined) continue
    const root = packageRoot(p.file)
    byRoot.set(root, [...new Set([...(byRoot.get(root) ?? []), p.file])])
  }
  const outputs = new Map<string, string>()
  const dirs: string[] = []
  const problems: string[] = []
  const esbuild = build ?? (byRoot.size === 0 ? undefined : (await import('esbuild')).build)
  for (const [root, files] of byRoot) {
    const cache = join(root, 'node_modules', '.cache', 'local-dapr')
    await mkdir(cache, { recursive: true })
    const outdir = await mkdtemp(join(cache, 'run-'))
    dirs.push(outdir)
    const entryPoints = Object.fromEntries(files.map((f) => [relative(root, f).replace(/\.(c|m)?ts$/, ''), f]))
    try {
      await (esbuild as Build)({
        entryPoints,
        outdir,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        packages: 'external',
        sourcemap: 'linked',
        outExtension: { '.js': '.mjs' },
        logLevel: 'silent'
      })
      for (const [name, file] of Object.entries(entryPoints)) outputs.set(file, join(outdir, `${name}.mjs`))
    } catch (err) {
      problems.push(`could not bundle ${files.map((f) => relative(root, f)).join(', ')}, running through tsx: ${(err as Error).message.split('\n')[0] as string}`)
    }
  }
  return {
    commands: commands.map((command, i) => {
      const p = parsed[i]
      const bundle = p === undefined ? undefined : outputs.get(p.file)
      return p === undefined || bundle === undefined ? [...command] : [...p.node, '--enable-source-maps', bundle, ...p.args]
    }),
    problems,
    cleanup: async () => { await Promise.all(dirs.map(async (d) => await rm(d, { recursive: true, force: true }))) }
  }
}
