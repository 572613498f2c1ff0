// Pays the TypeScript loader's start-up cost once, not once per process and not once per
// `run`: every command of the form `node [flags] --import tsx <file.ts> [args]` (apps and the
// local sidecar alike) is bundled by esbuild and run as plain JavaScript, with source maps so
// stack traces still name the .ts lines. Dependencies stay external and resolve from the
// project's node_modules, as under tsx, unless the caller asks for them to be bundled too (as a
// production build would: half the start-up CPU, but a package that reads files next to its
// own code, such as a pino transport, may then fail). Bundles are kept under the package's
// `node_modules/.cache/local-dapr/` and reused until one of the files that went into them
// changes, so a second start runs no esbuild at all. Anything else, or a file esbuild cannot
// build, runs unchanged (tsx then reports the problem as it would have).
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
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
}

type Build = (typeof import('esbuild'))['build']

export interface CompileOptions {
  /** Bundle the dependencies as well, instead of loading them from node_modules; default false. */
  bundleDependencies?: boolean | undefined
  /** esbuild's build(); tests wrap it to count or fail builds. */
  build?: Build | undefined
}

// CommonJS packages in an ESM bundle still call require() for Node's built-ins.
const REQUIRE_SHIM = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"

/** Bumped whenever the esbuild options below change, so that no older bundle is reused. */
const FORMAT = 1

/** What a cached build records: its folder, and every input with the size and time it had when built. */
interface Manifest {
  format: number
  dir: string
  inputs: Array<[path: string, size: number, mtimeMs: number]>
}

/**
 * Bundles the entry file of every tsx command, one esbuild build per package, or reuses the
 * bundles of an earlier run when none of their inputs changed since.
 * @example
 * const { commands } = await compileCommands([['node', '--import', 'tsx', 'src/server.ts']], ['/repo'])
 * // [['node', '--enable-source-maps', '/repo/node_modules/.cache/local-dapr/3f2a…-x1/src/server.mjs']]
 */
export async function compileCommands (commands: ReadonlyArray<readonly string[]>, cwds: readonly string[], options: CompileOptions = {}): Promise<Compiled> {
  const parsed = commands.map((c, i) => parseTsxCommand(c, cwds[i] as string))
  const byRoot = new Map<string, string[]>()
  for (const p of parsed) {
    if (p === undefined) continue
    const root = packageRoot(p.file)
    byRoot.set(root, [...new Set([...(byRoot.get(root) ?? []), p.file])])
  }
  const outputs = new Map<string, string>()
  const problems: string[] = []
  for (const [root, files] of byRoot) {
    const entryPoints = Object.fromEntries(files.map((f) => [relative(root, f).replace(/\.(c|m)?ts$/, ''), f]))
    try {
      const dir = await bundled(root, entryPoints, options)
      for (const [name, file] of Object.entries(entryPoints)) outputs.set(file, join(dir, `${name}.mjs`))
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
    problems
  }
}

/** The folder holding the bundles of `entryPoints`: the cached one while it is current, else a new build. */
async function bundled (root: string, entryPoints: Record<string, string>, { bundleDependencies = false, build }: CompileOptions): Promise<string> {
  const cache = join(root, 'node_modules', '.cache', 'local-dapr')
  const key = createHash('sha256').update(JSON.stringify([FORMAT, bundleDependencies, entryPoints])).digest('hex').slice(0, 16)
  const manifestFile = join(cache, `${key}.json`)
  const cached = await current(manifestFile, Object.keys(entryPoints))
  if (cached !== undefined) return cached
  await mkdir(cache, { recursive: true })
  const outdir = await mkdtemp(join(cache, `${key}-`))
  const started = Date.now()
  try {
    const { metafile } = await (build ?? (await import('esbuild')).build)({
      entryPoints,
      outdir,
      // The metafile's input paths are relative to it.
      absWorkingDir: root,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // esbuild's JavaScript API finds its native binary next to its own files: never bundled.
      ...(bundleDependencies ? { external: ['esbuild'], banner: { js: REQUIRE_SHIM }, sourcesContent: false } : { packages: 'external' as const }),
      sourcemap: 'linked',
      outExtension: { '.js': '.mjs' },
      metafile: true,
      logLevel: 'silent'
    })
    const inputs = await Promise.all(Object.keys(metafile.inputs).map(async (input) => {
      const path = resolve(root, input)
      const { size, mtimeMs } = await stat(path)
      return [path, size, mtimeMs] as Manifest['inputs'][number]
    }))
    // A file saved while esbuild was reading it may not be in the bundle: let the next run build again.
    if (inputs.every(([, , mtimeMs]) => mtimeMs < started)) {
      const temp = `${manifestFile}.${process.pid}`
      await writeFile(temp, JSON.stringify({ format: FORMAT, dir: basename(outdir), inputs } satisfies Manifest))
      await rename(temp, manifestFile)
    }
  } catch (err) {
    await rm(outdir, { recursive: true, force: true })
    throw err
  }
  await prune(cache, key, basename(outdir))
  return outdir
}

/** The manifest's folder when the manifest is readable, its bundles exist and no input changed; else undefined. */
async function current (manifestFile: string, names: readonly string[]): Promise<string | undefined> {
  try {
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as Manifest
    if (manifest.format !== FORMAT) return undefined
    const dir = join(dirname(manifestFile), manifest.dir)
    const unchanged = await Promise.all(manifest.inputs.map(async ([path, size, mtimeMs]) => {
      const now = await stat(path)
      return now.size === size && now.mtimeMs === mtimeMs
    }))
    if (unchanged.includes(false) || !names.every((name) => existsSync(join(dir, `${name}.mjs`)))) return undefined
    return dir
  } catch {
    // No manifest yet, a damaged one, or an input that is gone: build again.
    return undefined
  }
}

/**
 * Removes the older builds of one key, keeping the newest two besides `keep`: a system still
 * running from one of them (which may restart an app) keeps its files.
 */
async function prune (cache: string, key: string, keep: string): Promise<void> {
  const builds = (await readdir(cache)).filter((name) => name.startsWith(`${key}-`) && name !== keep)
  const dated = await Promise.all(builds.map(async (name) => ({ name, at: (await stat(join(cache, name))).mtimeMs })))
  dated.sort((a, b) => b.at - a.at)
  await Promise.all(dated.slice(2).map(async ({ name }) => await rm(join(cache, name), { recursive: true, force: true })))
}
