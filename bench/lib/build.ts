// Transpiles src/ and bench/ to plain JavaScript under node_modules/.cache (out of git's and
// eslint's way; packages still resolve from the project's node_modules) so that every benchmark
// child runs on bare `node`: no loader hooks in the measured process, and a start time that
// is Node's own, as for the built service. Emit only (ts.transpileModule, like tsc's emit
// for these isolated modules); type checking is `npm run typecheck`'s job.
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import ts from 'typescript'

export interface BuildResult {
  outDir: string
  transpiled: number
  upToDate: number
  ms: number
}

const SKIP = new Set(['results', 'node_modules'])

async function walk (dir: string, out: string[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) await walk(path, out)
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path)
  }
}

export async function buildForBench (root: string): Promise<BuildResult> {
  const started = performance.now()
  const outDir = join(root, 'node_modules', '.cache', 'orders-on-dapr-bench')
  const files: string[] = []
  await walk(join(root, 'src'), files)
  await walk(join(root, 'bench'), files)
  await walk(join(root, 'local-dapr', 'src'), files)
  let transpiled = 0
  let upToDate = 0
  for (const file of files) {
    const target = join(outDir, relative(root, file)).replace(/\.ts$/, '.js')
    const [src, out] = await Promise.all([stat(file), stat(target).catch(() => undefined)])
    if (out !== undefined && out.mtimeMs >= src.mtimeMs) {
      upToDate++
      continue
    }
    const { outputText } = ts.transpileModule(await readFile(file, 'utf8'), {
      fileName: file,
      compilerOptions: {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        isolatedModules: true,
        esModuleInterop: true,
        sourceMap: false
      }
    })
    await mkdir(dirname(target), { recursive: true })
    await writeFile(target, outputText)
    transpiled++
  }
  // The production build too (scripts/build.mjs), into <outDir>/dist: what the image runs.
  const { buildServices } = await import(pathToFileURL(join(root, 'scripts', 'build.mjs')).href) as { buildServices: (o: { root: string, outdir: string }) => Promise<unknown> }
  await buildServices({ root, outdir: join(outDir, 'dist') })
  return { outDir, transpiled, upToDate, ms: performance.now() - started }
}
