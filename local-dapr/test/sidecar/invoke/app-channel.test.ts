import t from 'tap'
import pino from 'pino'
import { createAppChannel, describeNetError } from '../../../src/sidecar/invoke/app-channel.js'
import { eventually, unusedPort } from '../../helpers/conformance.js'
import { startTestApp } from '../../helpers/test-app.js'

const logger = pino({ level: 'silent' })

t.test('describeNetError', async (t) => {
  t.equal(describeNetError({ code: 'ECONNREFUSED', message: 'x' }, 'h:1'), 'dial tcp h:1: connect: connection refused')
  t.equal(describeNetError(new Error('other'), 'h:1'), 'other')
})

t.test('dials until the app listens, then invokes with APP_API_TOKEN', async (t) => {
  const port = await unusedPort()
  const ch = createAppChannel({ address: '127.0.0.1', port, appApiToken: 'tok', logger })
  t.teardown(() => ch.close())
  t.equal(ch.ready(), false)
  t.equal(ch.healthy(), true, 'healthy when no checks are configured')
  await t.rejects(ch.invoke('POST', '/x?y=1', {}, null), { message: `error invoking app channel: Post "http://127.0.0.1:${port}/x?y=1": dial tcp 127.0.0.1:${port}: connect: connection refused` })
  const app = await startTestApp(port)
  t.teardown(() => app.close())
  t.ok(await eventually(async () => ch.ready()))
  const r = await ch.invoke('GET', '/echo', { 'dapr-api-token': 'caller', foo: 'bar' }, null)
  t.equal(r.statusCode, 200)
  r.body.resume()
  t.equal(app.last('/echo')?.headers['dapr-api-token'], 'tok')
  t.equal(app.last('/echo')?.headers.foo, 'bar')
  t.equal(ch.address, '127.0.0.1')
  t.equal(ch.port, port)
})

t.test('health probes', async (t) => {
  const app = await startTestApp()
  t.teardown(() => app.close())
  const ch = createAppChannel({ address: '127.0.0.1', port: app.port, health: { path: '/healthz', intervalMs: 20, timeoutMs: 500, threshold: 2 }, logger })
  t.teardown(() => ch.close())
  await t.rejects(ch.invoke('GET', '/x', {}, null), { message: 'app is not in a healthy state' })
  t.ok(await eventually(async () => ch.healthy()))
  app.setHealthy(false)
  t.ok(await eventually(async () => !ch.healthy()))
  app.setHealthy(true)
  t.ok(await eventually(async () => ch.healthy()), 'recovers')
  await app.close()
  t.ok(await eventually(async () => !ch.healthy()), 'network errors count as failures')
})

t.test('IPv6 channel address', async (t) => {
  const ch = createAppChannel({ address: '::1', port: await unusedPort(), logger })
  await t.rejects(ch.invoke('GET', '/x', {}, null), { message: /http:\/\/\[::1\]:/ })
  await ch.close()
})
