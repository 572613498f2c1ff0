// The launcher behind `npm start`: local-dapr's sources bundled by esbuild once, then reused
// until one of them changes; the bundle runs with the launcher's command line.
import { execFileSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { mkdir, mkdtemp, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { build } from 'esbuild'
import t from 'tap'
// @ts-expect-error: a plain JavaScript script, without type declarations
import { bundleCli, cliBundle, main, newestChange } from '../../scripts/local-dapr.mjs'

const repo = resolve(import.meta.dirname, '../..')
const script = join(repo, 'scripts', 'local-dapr.mjs')

/** A root with a local-dapr package whose main.ts records that it ran. */
async function fakeRoot (): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'launcher-'))
  await mkdir(join(root, 'local-dapr', 'src', 'sub'), { recursive: true })
  await writeFile(join(root, 'local-dapr', 'package.json'), '{"type":"module"}')
  await writeFile(join(root, 'local-dapr', 'src', 'sub', 'word.ts'), 'export const word: string = "ran"\n')
  await writeFile(join(root, 'local-dapr', 'src', 'main.ts'), 'import { word } from "./sub/word.js"\n;(globalThis as any).launched = [word, ...process.argv.slice(2)]\nconsole.log(word)\n')
  return root
}

t.test('newestChange looks inside folders and skips what does not exist', async (t) => {
  const root = await fakeRoot()
  const deep = join(root, 'local-dapr', 'src', 'sub', 'word.ts')
  const later = new Date(Date.now() + 60_000)
  await utimes(deep, later, later)
  t.equal(newestChange([join(root, 'local-dapr'), join(root, 'missing')]), statSync(deep).mtimeMs)
  t.equal(newestChange([join(root, 'missing')]), 0)
})

t.test('cliBundle: the entry, the output under local-dapr/node_modules/.cache, and what it is made of', async (t) => {
  const { entry, outfile, sources } = cliBundle('/r')
  t.equal(entry, '/r/local-dapr/src/main.ts')
  t.equal(outfile, '/r/local-dapr/node_modules/.cache/local-dapr-cli/main.mjs')
  t.same(sources, ['/r/local-dapr/src', '/r/local-dapr/package.json', '/r/node_modules/.package-lock.json', script])
})

t.test('bundleCli builds once, reuses the bundle, and builds again after an edit', async (t) => {
  const root = await fakeRoot()
  let builds = 0
  const counting: typeof build = async (options) => {
    builds++
    return await build(options)
  }
  const file = await bundleCli(root, counting) as string
  t.equal(builds, 1)
  t.ok(existsSync(`${file}.map`), 'with its source map')
  t.equal(execFileSync(process.execPath, [file], { encoding: 'utf8' }), 'ran\n')
  t.ok(statSync(file).mtimeMs <= Date.now(), 'dated when the build began')

  t.equal(await bundleCli(root, counting), file)
  t.equal(builds, 1, 'current: nothing built')

  const later = new Date(Date.now() + 60_000)
  await writeFile(join(root, 'local-dapr', 'src', 'sub', 'word.ts'), 'export const word: string = "new"\n')
  await utimes(join(root, 'local-dapr', 'src', 'sub', 'word.ts'), later, later)
  await bundleCli(root, counting)
  t.equal(builds, 2)
  t.equal(execFileSync(process.execPath, [file], { encoding: 'utf8' }), 'new\n')
})

t.test('a source esbuild cannot build fails the start and leaves the old bundle alone', async (t) => {
  const root = await fakeRoot()
  const file = await bundleCli(root) as string
  await writeFile(join(root, 'local-dapr', 'src', 'main.ts'), 'const = 1\n')
  const later = new Date(Date.now() + 60_000)
  await utimes(join(root, 'local-dapr', 'src', 'main.ts'), later, later)
  await t.rejects(bundleCli(root, async (options: Parameters<typeof build>[0]) => await build({ ...options, logLevel: 'silent' })), /Build failed/)
  t.equal(execFileSync(process.execPath, [file], { encoding: 'utf8' }), 'ran\n')
})

t.test('main runs the bundle in this process, with its command line', async (t) => {
  const root = await fakeRoot()
  await main(root)
  t.same((globalThis as { launched?: string[] }).launched, ['ran', ...process.argv.slice(2)])
})

t.test('as a program: the real local-dapr CLI', async (t) => {
  const usage = execFileSync(process.execPath, [script, '--help'], { cwd: repo, encoding: 'utf8' })
  t.match(usage, /^usage: local-dapr <command>/)
  t.match(execFileSync(process.execPath, [script, 'run', '--help'], { cwd: repo, encoding: 'utf8' }), /^usage: local-dapr run /)
})
