// tsx commands bundled once by esbuild; everything else left as it is.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execFileSync } from 'node:child_process'
import t from 'tap'
import { compileCommands, packageRoot, parseTsxCommand } from '../../src/runner/compile.js'

const repo = resolve(import.meta.dirname, '../../..')

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

t.test('bundles each entry once, runs it with source maps, and cleans up', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'compile-'))
  await writeFile(join(dir, 'package.json'), '{"type":"module"}')
  await writeFile(join(dir, 'hello.ts'), 'const who: string = process.argv[2] ?? "nobody"\nconsole.log("hello " + who)\n')
  const compiled = await compileCommands([
    [process.execPath, '--import', 'tsx', 'hello.ts', 'world'],
    ['node', '--import', 'tsx', join(dir, 'hello.ts')],
    ['python', 'app.py']
  ], [dir, '/', dir])
  t.same(compiled.problems, [])
  const [first, second, third] = compiled.commands as [string[], string[], string[]]
  t.equal(first[1], '--enable-source-maps')
  t.match(first[2], /node_modules\/\.cache\/local-dapr\/run-[^/]+\/hello\.mjs$/)
  t.equal(second[2], first[2], 'one bundle per entry')
  t.same(third, ['python', 'app.py'])
  t.equal(execFileSync(first[0] as string, first.slice(1), { encoding: 'utf8' }), 'hello world\n')
  await compiled.cleanup()
  t.notOk(existsSync(first[2] as string))
})

t.test('a file esbuild cannot build runs through tsx, with the reason', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'compile-bad-'))
  await writeFile(join(dir, 'bad.ts'), 'const = 1\n')
  const command = ['node', '--import', 'tsx', 'bad.ts']
  const compiled = await compileCommands([command], [dir])
  t.same(compiled.commands, [command])
  t.match(compiled.problems, [/^could not bundle bad\.ts, running through tsx: /])
  await compiled.cleanup()
  const none = await compileCommands([['python', 'a.py']], ['/'])
  t.same(none.commands, [['python', 'a.py']])
})
