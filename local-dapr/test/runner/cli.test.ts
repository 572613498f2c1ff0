// The npm start command line: flags, the Redis flavour switch, and the banner.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import t from 'tap'
import { parseCli, redisFlavour, runCli } from '../../src/runner/cli.js'
import { loadRunFile } from '../../src/runner/run-file.js'
import { freePort } from '../../src/runner/runner.js'
import { Collect } from '../helpers/collect.js'

const repo = resolve(import.meta.dirname, '../../..')

t.test('parseCli: defaults, flags and ORDERS_STORE', async (t) => {
  t.same(parseCli([], {}), { file: '.', redis: false, resourcesPaths: undefined, bundleDependencies: false })
  t.same(parseCli(['-f', 'x.yaml', '--redis', '--resources-path', 'a', '--resources-path', 'b', '--bundle-dependencies'], {}), { file: 'x.yaml', redis: true, resourcesPaths: ['a', 'b'], bundleDependencies: true })
  t.equal(parseCli([], { ORDERS_STORE: 'redis' }).redis, true)
  t.equal(parseCli([], { ORDERS_STORE: 'memory' }).redis, false)
  t.throws(() => parseCli([], { ORDERS_STORE: 'mongo' }), { message: 'ORDERS_STORE must be "memory" or "redis", got "mongo"' })
  t.throws(() => parseCli(['--nope'], {}), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' })
})

t.test('redisFlavour swaps components/local for components/redis and nothing else', async (t) => {
  const apps = redisFlavour(await loadRunFile(repo))
  t.same(apps[0]?.resourcesPaths, [join(repo, 'components/common'), join(repo, 'components/redis')])
  const dir = await mkdtemp(join(tmpdir(), 'flavour-'))
  await mkdir(join(dir, 'local'))
  const [lonely] = redisFlavour([{ ...apps[0]!, resourcesPaths: [join(dir, 'local')] }])
  t.same(lonely?.resourcesPaths, [join(dir, 'local')], 'no sibling redis folder: kept')
})

t.test('runCli starts the run file and prints how to try it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cli-'))
  const fake = resolve(import.meta.dirname, '../helpers/fake-daprd.mjs')
  const port = await freePort()
  const listen = `const s = require('node:http').createServer((q, r) => r.end()).listen(${port}, '127.0.0.1'); process.on('SIGTERM', () => s.close(() => process.exit(0)))`
  await writeFile(join(dir, 'dapr.yaml'), [
    'version: 1',
    'apps:',
    '  - appID: web',
    '    appDirPath: .',
    `    appPort: ${port}`,
    `    command: ${JSON.stringify([process.execPath, '-e', listen])}`,
    ''
  ].join('\n'))
  const output = new Collect()
  const system = await runCli(['-f', dir, '--resources-path', dir], process.env, output, [process.execPath, fake])
  t.teardown(() => system.stop())
  t.match(output.text, 'Starting web with local sidecars (in-memory state store)')
  t.match(output.text, `curl -X POST -H 'content-type: application/json' -d @sample.json localhost:${port}/neworder`)
  t.match(output.text, `curl localhost:${port}/order`)
  await system.stop()

  await writeFile(join(dir, 'dapr.yaml'), [
    'version: 1',
    'apps:',
    '  - appID: worker',
    '    appDirPath: .',
    `    command: ["${process.execPath}", "-e", "0"]`,
    ''
  ].join('\n'))
  const quiet = new Collect()
  const worker = await runCli(['-f', dir, '--redis'], process.env, quiet, [process.execPath, fake])
  t.equal(await worker.finished, 0)
  t.match(quiet.text, 'Redis on localhost:6379')
  t.notMatch(quiet.text, 'curl', 'no banner without an app port')
})
