// tsx commands bundled by esbuild, once until an input changes; everything else left as it is.
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execFileSync } from 'node:child_process'
import { build } from 'esbuild'
import t from 'tap'
import { compileCommands, packageRoot, parseTsxCommand } from '../../src/runner/compile.js'

const repo = resolve(import.meta.dirname, '../../..')

/** A package with hello.ts, which imports greet.ts. */
async function project (prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  await writeFile(join(dir, 'package.json'), '{"type":"module"}')
  await writeFile(join(dir, 'greet.ts'), 'export const greeting: string = "hello"\n')
  await writeFile(join(dir, 'hello.ts'), 'import { greeting } from "./greet.js"\nconst who: string = process.argv[2] ?? "nobody"\nconsole.log(greeting + " " + who)\n')
  return dir
}

t.test('parseTsxCommand recognises node [flags] --import tsx file.ts [args]', async (t) => {
  t.same(parseTsxCommand(['node', '--import', 'tsx', 'src/a.ts', 'x'], '/r'), { node: ['node'], file: '/r/src/a.ts', args: ['x'] })
  t.same(parseTsxCommand(['/usr/bin/node', '--max-old-space-size=64', '--import=tsx', '/abs/b.mts'], '/r'), { node: ['/usr/bin/node', '--max-old-space-size=64'], file: '/abs/b.mts', args: [] })
  t.equal(parseTsxCommand(['python', 'app.py'], '/r'), undefined)
  t.equal(parseTsxCommand([], '/r'), undefined)
  t.equal(parseTsxCommand(['node', 'server.js'], '/r'), undefined, 'plain JavaScript')
  t.equal(parseTsxCommand(['node', '--import', 'tsx', 'server.js'], '/r'), undefined, 'tsx on a .js file')
  t.equal(parseTsxCommand(['node', '--import', 'tsx'], '/r'), undefined)
  t.equal(parseTsxCommand(['node', '--inspect'], '/r'), undefined)
})

t.test('packageRoot: the nearest folder with a package.json', async (t) => {
  t.equal(packageRoot(join(repo, 'src/order/server.ts')), repo)
  t.equal(packageRoot(join(repo, 'local-dapr/src/main.ts')), join(repo, 'local-dapr'))
  t.equal(packageRoot('/nowhere-at-all/x.ts'), '/nowhere-at-all')
})

t.test('bundles each entry once and runs it with source maps', async (t) => {
  const dir = await project('compile-')
  const compiled = await compileCommands([
    [process.execPath, '--import', 'tsx', 'hello.ts', 'world'],
    ['node', '--import', 'tsx', join(dir, 'hello.ts')],
    ['python', 'app.py']
  ], [dir, '/', dir])
  t.same(compiled.problems, [])
  const [first, second, third] = compiled.commands as [string[], string[], string[]]
  t.equal(first[1], '--enable-source-maps')
  t.match(first[2], /node_modules\/\.cache\/local-dapr\/[0-9a-f]{16}-[^/]+\/hello\.mjs$/)
  t.equal(second[2], first[2], 'one bundle per entry')
  t.same(third, ['python', 'app.py'])
  t.equal(execFileSync(first[0] as string, first.slice(1), { encoding: 'utf8' }), 'hello world\n')
})

t.test('a second run reuses the bundles while no input changed, and builds again when one did', async (t) => {
  const dir = await project('compile-cache-')
  const builds: string[] = []
  const counting: typeof build = async (options) => {
    builds.push(String(options.outdir))
    return await build(options)
  }
  const command = ['node', '--import', 'tsx', 'hello.ts']
  const first = await compileCommands([command], [dir], { build: counting })
  const again = await compileCommands([command], [dir], { build: counting })
  t.equal(builds.length, 1, 'nothing is built the second time')
  t.same(again.commands, first.commands)

  // An edit (the same size, a new time) makes a new bundle, which has the edit.
  await writeFile(join(dir, 'greet.ts'), 'export const greeting: string = "hi"\n')
  const earlier = new Date(Date.now() - 60_000)
  await utimes(join(dir, 'greet.ts'), earlier, earlier)
  const edited = await compileCommands([command], [dir], { build: counting })
  t.equal(builds.length, 2)
  t.not(edited.commands[0]?.[2], first.commands[0]?.[2])
  t.equal(execFileSync(process.execPath, (edited.commands[0] as string[]).slice(1), { encoding: 'utf8' }), 'hi nobody\n')

  // A lost bundle, a damaged manifest or one of another format: built again.
  await rm(edited.commands[0]?.[2] as string)
  await compileCommands([command], [dir], { build: counting })
  t.equal(builds.length, 3)
  const cache = join(dir, 'node_modules', '.cache', 'local-dapr')
  const manifest = (await readdir(cache)).find((name) => name.endsWith('.json')) as string
  const good = await readFile(join(cache, manifest), 'utf8')
  await writeFile(join(cache, manifest), '{not json')
  await compileCommands([command], [dir], { build: counting })
  t.equal(builds.length, 4)
  await writeFile(join(cache, manifest), JSON.stringify({ ...JSON.parse(good), format: 0 }))
  await compileCommands([command], [dir], { build: counting })
  t.equal(builds.length, 5)
  // Only the newest three builds of an entry stay.
  t.equal((await readdir(cache)).filter((name) => !name.endsWith('.json')).length, 3)
  const gone = await compileCommands([command], [dir], { build: counting })
  t.equal(builds.length, 5, 'the rewritten manifest is current again')
  t.same(gone.problems, [])
})

t.test('with bundleDependencies the dependencies are in the bundle, cached apart from the other kind', async (t) => {
  const dir = await project('compile-deps-')
  await mkdir(join(dir, 'node_modules', 'shout'), { recursive: true })
  await writeFile(join(dir, 'node_modules', 'shout', 'package.json'), '{"name":"shout","main":"index.js"}')
  // CommonJS that requires a built-in: the bundle's require() must still work.
  await writeFile(join(dir, 'node_modules', 'shout', 'index.js'), 'const { EOL } = require("node:os")\nmodule.exports = (s) => s.toUpperCase() + EOL\n')
  await writeFile(join(dir, 'loud.ts'), 'import shout from "shout"\nprocess.stdout.write(shout("hello"))\n')
  const command = ['node', '--import', 'tsx', 'loud.ts']
  const external = await compileCommands([command], [dir])
  const bundled = await compileCommands([command], [dir], { bundleDependencies: true })
  t.same(bundled.problems, [])
  t.not(bundled.commands[0]?.[2], external.commands[0]?.[2], 'a cache entry of its own')
  await rm(join(dir, 'node_modules', 'shout'), { recursive: true })
  t.equal(execFileSync(process.execPath, (bundled.commands[0] as string[]).slice(1), { encoding: 'utf8' }), 'HELLO\n', 'runs without the package installed')
  t.throws(() => execFileSync(process.execPath, (external.commands[0] as string[]).slice(1), { stdio: 'pipe' }), 'the external kind needs it')
})

t.test('an input saved while esbuild reads it leaves the next run to build again', async (t) => {
  const dir = await project('compile-race-')
  let builds = 0
  const touching: typeof build = async (options) => {
    builds++
    const result = await build(options)
    const now = new Date(Date.now() + 1000)
    await utimes(join(dir, 'greet.ts'), now, now)
    return result
  }
  const command = ['node', '--import', 'tsx', 'hello.ts']
  await compileCommands([command], [dir], { build: touching })
  await compileCommands([command], [dir], { build: touching })
  t.equal(builds, 2)
})

t.test('a file esbuild cannot build runs through tsx, with the reason', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'compile-bad-'))
  await writeFile(join(dir, 'bad.ts'), 'const = 1\n')
  const command = ['node', '--import', 'tsx', 'bad.ts']
  const compiled = await compileCommands([command], [dir])
  t.same(compiled.commands, [command])
  t.match(compiled.problems, [/^could not bundle bad\.ts, running through tsx: /])
  t.same((await readdir(join(dir, 'node_modules', '.cache', 'local-dapr'))), [], 'no half-built folder is left')
  const none = await compileCommands([['python', 'a.py']], ['/'])
  t.same(none.commands, [['python', 'a.py']])
})
