// Reading dapr.yaml as the Dapr CLI does: precedence, defaults, env merge, and clear errors.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import t from 'tap'
import { loadRunFile, resolveRunFile, runFilePath } from '../../src/runner/run-file.js'

const repo = resolve(import.meta.dirname, '../../..')

t.test('the repository\'s dapr.yaml resolves to both apps', async (t) => {
  const apps = await loadRunFile(repo, '/nohome')
  t.equal((await loadRunFile(join(repo, 'dapr.yaml'))).length, 2, 'HOME from the environment by default')
  t.same(apps.map((a) => a.appId), ['nodeapp', 'generator'])
  const [order, generator] = apps
  t.equal(order?.appPort, 3000)
  t.equal(order?.appDir, repo)
  t.same(order?.resourcesPaths, [join(repo, 'components/common'), join(repo, 'components/local')])
  t.equal(order?.configFile, join(repo, 'components/config.yaml'))
  t.same(order?.command, ['node', '--import', 'tsx', 'src/order/server.ts'])
  t.equal(order?.env.PORT, '3000')
  t.equal(order?.env.STATE_STORE_NAME, 'statestore', 'common env reaches every app')
  t.equal(generator?.appPort, undefined)
  t.equal(generator?.env.TARGET_APP_ID, 'nodeapp')
  t.equal(runFilePath(repo), join(repo, 'dapr.yaml'))
  t.equal(runFilePath('x/run.yml'), resolve('x/run.yml'))
})

t.test('per-app values win over common ones; paths resolve against the app folder', async (t) => {
  const apps = resolveRunFile({
    version: 1,
    common: { resourcesPath: './shared', appHealthCheckPath: '/healthz', configFilePath: './common.yaml', appProtocol: 'HTTP', logLevel: 'warn', enableApiLogging: true, env: { A: 'common', B: 'common', N: 3 }, enableAppHealthCheck: true, appHealthProbeTimeout: 10 },
    apps: [
      { appDirPath: './web/', command: ['node', 'a.js'], resourcesPaths: ['./res'], configFilePath: './own.yaml', env: { B: 'app' }, logLevel: 'debug', appHealthCheckPath: '/live', daprHTTPPort: 3600, appChannelAddress: '10.0.0.1' },
      { appID: 'backend', appDirPath: './backend', command: ['node', 'b.js'], appPort: 4000, enableAppHealthCheck: false },
      { appID: 'third', appDirPath: './third', command: ['node', 'c.js'], resourcesPath: './one' }
    ]
  }, '/srv/run/dapr.yaml', '/home/u')
  const [web, backend, third] = apps
  t.same(third?.resourcesPaths, ['/srv/run/third/one'])
  t.equal(third?.appHealth?.path, '/healthz', 'common health path applies')
  t.equal(web?.appId, 'web', 'appID defaults to the folder name')
  t.same(web?.resourcesPaths, ['/srv/run/web/res'])
  t.equal(web?.configFile, '/srv/run/web/own.yaml')
  t.same(web?.env, { A: 'common', B: 'app', N: '3' })
  t.equal(web?.logLevel, 'debug')
  t.equal(web?.appProtocol, 'http')
  t.equal(web?.daprHttpPort, 3600)
  t.equal(web?.appChannelAddress, '10.0.0.1')
  t.same(web?.appHealth, { path: '/live', intervalSeconds: undefined, timeoutMs: 10, threshold: undefined })
  t.same(backend?.resourcesPaths, ['/srv/run/shared'], 'common paths resolve against the run file')
  t.equal(backend?.configFile, '/srv/run/common.yaml')
  t.equal(backend?.logLevel, 'warn')
  t.equal(backend?.enableApiLogging, true)
  t.equal(backend?.appHealth, undefined)
})

t.test('without paths: <appDir>/.dapr wins, then ~/.dapr', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'runfile-'))
  await mkdir(join(dir, 'app/.dapr/resources'), { recursive: true })
  await writeFile(join(dir, 'app/.dapr/config.yaml'), 'x: 1\n')
  await mkdir(join(dir, 'home/.dapr'), { recursive: true })
  await writeFile(join(dir, 'home/.dapr/config.yaml'), 'x: 1\n')
  const [inApp, bare] = resolveRunFile({
    version: 1,
    apps: [{ appDirPath: 'app', command: ['x'] }, { appDirPath: 'other', command: ['y'] }]
  }, join(dir, 'dapr.yaml'), join(dir, 'home'))
  t.same(inApp?.resourcesPaths, [join(dir, 'app/.dapr/resources')])
  t.equal(inApp?.configFile, join(dir, 'app/.dapr/config.yaml'))
  t.same(bare?.resourcesPaths, [join(dir, 'home/.dapr/components')])
  t.equal(bare?.configFile, join(dir, 'home/.dapr/config.yaml'))
  const [none] = resolveRunFile({ version: 1, apps: [{ appDirPath: 'other', command: ['y'] }] }, join(dir, 'dapr.yaml'), join(dir, 'nohome'))
  t.equal(none?.configFile, undefined)
})

t.test('bad run files fail with the file name and every problem', async (t) => {
  t.throws(() => resolveRunFile({ apps: [] }, '/r/dapr.yaml', ''), { code: 'RUNNER_ERR_RUN_FILE', message: /required field 'version' not found/ })
  t.throws(() => resolveRunFile(null, '/r/dapr.yaml', ''), { message: /required field 'version'/ })
  t.throws(() => resolveRunFile({ version: 1, apps: [{ appDirPath: '.', command: ['x'], appPrt: 1 }] }, '/r/dapr.yaml', ''),
    { message: /\/r\/dapr.yaml is not a valid run file:[\s\S]*\/apps\/0/ })
  t.throws(() => resolveRunFile({ version: 1, apps: [{ appDirPath: '.' }] }, '/r/dapr.yaml', ''), { message: /command/ })
  t.throws(() => resolveRunFile({ version: 1, apps: [{ appDirPath: '.', command: ['x'], appProtocol: 'grpc' }] }, '/r/dapr.yaml', ''),
    { message: /appProtocol grpc; the local sidecar speaks http only/ })
  t.throws(() => resolveRunFile({ version: 1, apps: [{ appDirPath: 'a', command: ['x'] }, { appID: 'a', appDirPath: 'b', command: ['y'] }] }, '/r/dapr.yaml', ''),
    { message: /app id a appears twice/ })
  const dir = await mkdtemp(join(tmpdir(), 'runfile-'))
  await t.rejects(loadRunFile(dir), { code: 'RUNNER_ERR_RUN_FILE', message: /cannot read the run file/ })
  await writeFile(join(dir, 'dapr.yaml'), 'version: [1\n')
  await t.rejects(loadRunFile(dir), { message: /is not valid YAML/ })
})
