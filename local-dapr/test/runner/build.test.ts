// `local-dapr build`: a run file's tsx apps bundled into run's cache, nothing started.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { main, USAGE } from '../../src/runner/build.js'
import { compileCommands } from '../../src/runner/compile.js'
import { Collect } from '../helpers/collect.js'

async function runFile (files: Record<string, string>, apps: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'build-'))
  await writeFile(join(dir, 'package.json'), '{"type":"module"}')
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text)
  await writeFile(join(dir, 'dapr.yaml'), ['version: 1', 'apps:', ...apps].join('\n'))
  return dir
}

t.test('bundles every tsx app into the cache run reads, and says which', async (t) => {
  const dir = await runFile({ 'a.ts': 'const n: number = 1\nconsole.log(n)\n' }, [
    '  - appID: web',
    '    appDirPath: .',
    '    command: ["node", "--import", "tsx", "a.ts"]',
    '  - appID: py',
    '    appDirPath: .',
    '    command: ["python", "a.py"]'
  ])
  const out = new Collect()
  const err = new Collect()
  t.equal(await main(['-f', dir], out, err), 0)
  t.equal(out.text, 'local-dapr build: web bundled\n')
  t.equal(err.text, '')
  // What run then gets is the same bundle, built by nobody.
  let builds = 0
  const { commands } = await compileCommands([['node', '--import', 'tsx', 'a.ts']], [dir], { build: async () => { builds++; throw new Error('built again') } })
  t.equal(builds, 0)
  t.match(commands[0]?.[2], /node_modules\/\.cache\/local-dapr\/.*\/a\.mjs$/)
})

t.test('nothing to bundle; a file that does not bundle is exit code 1 with the reason', async (t) => {
  const none = await runFile({}, ['  - appID: py', '    appDirPath: .', '    command: ["python", "a.py"]'])
  const out = new Collect()
  t.equal(await main(['--file', join(none, 'dapr.yaml')], out, new Collect()), 0)
  t.equal(out.text, 'local-dapr build: nothing bundled\n')

  const bad = await runFile({ 'bad.ts': 'const = 1\n' }, ['  - appID: web', '    appDirPath: .', '    command: ["node", "--import", "tsx", "bad.ts"]'])
  const err = new Collect()
  t.equal(await main(['-f', bad], new Collect(), err), 1)
  t.match(err.text, /^could not bundle bad\.ts, running through tsx: /)
})

t.test('--help, an unknown flag, a missing run file', async (t) => {
  const out = new Collect()
  t.equal(await main(['--help'], out), 0)
  t.equal(out.text, USAGE)
  const err = new Collect()
  t.equal(await main(['--nope'], new Collect(), err), 1)
  t.match(err.text, /^local-dapr build failed: Unknown option '--nope'.*\nusage: local-dapr build/s)
  const missing = new Collect()
  t.equal(await main(['-f', join(tmpdir(), 'no-such-run-file.yaml')], new Collect(), missing), 1)
  t.match(missing.text, /^local-dapr build failed: .*no-such-run-file\.yaml/)
  t.notMatch(missing.text, /usage:/)
})
