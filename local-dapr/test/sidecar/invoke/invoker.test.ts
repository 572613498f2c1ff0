import t from 'tap'
import { Readable } from 'node:stream'
import pino from 'pino'
import { createInvoker } from '../../../src/sidecar/invoke/invoker.js'
import { buildInternalServer } from '../../../src/sidecar/invoke/internal-server.js'
import type { AppChannel, AppResponse } from '../../../src/sidecar/invoke/app-channel.js'
import type { Registry, RegistryEntry } from '../../../src/sidecar/invoke/registry.js'
import { startApi } from '../../helpers/api-server.js'
import { unusedPort } from '../../helpers/conformance.js'
import { call, json } from '../../helpers/http-call.js'

const logger = pino({ level: 'silent' })

function fakeApp (answer: (verb: string, path: string, headers: Record<string, unknown>) => AppResponse | Promise<AppResponse>): AppChannel & { seen: Array<{ verb: string, path: string, headers: Record<string, unknown> }> } {
  const seen: Array<{ verb: string, path: string, headers: Record<string, unknown> }> = []
  return {
    seen,
    address: '127.0.0.1',
    port: 1,
    async invoke (verb, path, headers, body) {
      if (body) await new Promise((resolve) => body.on('end', resolve).resume())
      seen.push({ verb, path, headers })
      return answer(verb, path, headers)
    },
    ready: () => true,
    healthy: () => true,
    close: async () => {}
  }
}

const res = (statusCode: number, body: string, headers: Record<string, string> = {}): AppResponse => ({ statusCode, headers, body: Readable.from([Buffer.from(body)]) })

function fakeRegistry (entries: Record<string, RegistryEntry>): Registry {
  return { dir: '/none', register: async () => {}, unregister: async () => {}, lookup: async (id, ns) => ns === 'default' ? entries[id] : undefined }
}

t.test('self-invocation and reply shapes', async (t) => {
  const app = fakeApp((verb, path) => {
    if (path === '/fail') throw new Error('error invoking app channel: boom')
    if (path === '/nope') return res(404, 'nope')
    if (path === '/typed') return res(503, '{}', { 'content-type': 'text/x' })
    if (path === '/cut') return { statusCode: 200, headers: {}, body: new Readable({ read () { this.destroy(new Error('cut')) } }) }
    return res(200, `${verb} ${path}`, { 'content-type': 'text/plain', 'content-length': '99' })
  })
  const invoker = createInvoker({ appId: 'A', namespace: 'default', app, registry: fakeRegistry({}), hostIp: '127.0.0.1', hostname: 'h', logger })
  t.teardown(() => invoker.close())
  const api = await startApi(t, { invoke: invoker.handle })
  let r = await call(api.url, 'PURGE', '/v1.0/invoke/A/method/a%20b?x=1', { headers: { 'dapr-caller-app-id': 'evil' } })
  t.same([r.status, r.body, r.headers['content-type']], [200, 'POST /a%20b?x=1', 'text/plain'])
  t.equal(app.seen[0]?.headers['dapr-caller-app-id'], 'evil', 'v1.18.3: no identity headers on self-invocation')
  t.equal(app.seen[0]?.headers['dapr-callee-app-id'], undefined)
  t.equal((await call(api.url, 'GET', '/v1.0/invoke/A.default/method/x')).status, 200)
  r = await call(api.url, 'GET', '/v1.0/invoke/A/method/nope')
  t.same([r.status, r.body, r.headers['content-type'], r.headers['content-length']], [404, 'nope', 'application/json', '4'])
  r = await call(api.url, 'GET', '/v1.0/invoke/A/method/typed')
  t.same([r.status, r.headers['content-type']], [503, 'text/x'])
  r = await call(api.url, 'POST', '/v1.0/invoke/A/method/nope', { headers: { 'transfer-encoding': 'chunked' }, body: 'x' })
  t.same([r.status, r.body, r.headers['transfer-encoding']], [404, 'nope', 'chunked'], 'streaming request: error status streamed too')
  r = await call(api.url, 'GET', '/v1.0/invoke/A/method/fail')
  t.same(json(r), { errorCode: 'ERR_DIRECT_INVOKE', message: 'failed to invoke, id: A, err: error invoking app channel: boom' })
  await t.rejects(call(api.url, 'GET', '/v1.0/invoke/A/method/cut'))
})

t.test('errors daprd produces itself', async (t) => {
  const invoker = createInvoker({ appId: 'A', namespace: 'default', app: undefined, registry: fakeRegistry({}), hostIp: '127.0.0.1', hostname: 'h', logger })
  const api = await startApi(t, { invoke: invoker.handle })
  const msg = async (m: string, p: string): Promise<string> => json(await call(api.url, m, p)).message
  t.equal((await call(api.url, 'GET', '/v1.0/invoke/A')).status, 404)
  t.equal(await msg('GET', '/v1.0/invoke/B/method/a%23b'), 'failed to invoke, id: B, err: method contains forbidden character: "a#b"')
  t.equal(await msg('GET', '/v1.0/invoke/B/method/a%25b'), 'failed to invoke, id: B, err: parse "/a%b": invalid URL escape "%b"')
  t.match(await msg('GET', '/v1.0/invoke/http%3A%2F%2Fh/method/x'), /does not invoke external HTTP endpoints/)
  t.equal(await msg('GET', '/v1.0/invoke/a.b.c/method/x'), 'failed to invoke, id: a.b.c, err: invalid app id a.b.c')
  t.equal(await msg('GET', '/v1.0/invoke/A/method/x'), 'failed to invoke, id: A, err: cannot invoke local endpoint: app channel not initialized')
  t.equal(await msg('GET', '/v1.0/invoke/B/method/x'), "failed to invoke, id: B, err: couldn't find service: B")
  await invoker.close()
})

t.test('remote invocation through the peer internal server', async (t) => {
  const app = fakeApp((verb, path) => path === '/fail' ? Promise.reject(new Error('app down')) : res(200, `${verb} ${path}`))
  const internal = buildInternalServer({ secret: 'sec', app, logger })
  await new Promise<void>((resolve) => internal.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => { internal.closeAllConnections(); internal.close(resolve) }))
  const address = `127.0.0.1:${(internal.address() as { port: number }).port}`
  const entry: RegistryEntry = { appId: 'B', namespace: 'default', pid: process.pid, httpPort: 0, internalAddress: address, secret: 'sec' }
  const gone: RegistryEntry = { ...entry, appId: 'C', internalAddress: `127.0.0.1:${await unusedPort()}` }
  const invoker = createInvoker({ appId: 'A', namespace: 'default', app: undefined, registry: fakeRegistry({ B: entry, C: gone }), hostIp: '10.0.0.1', hostname: 'box', logger })
  t.teardown(() => invoker.close())
  const api = await startApi(t, { invoke: invoker.handle })
  let r = await call(api.url, 'POST', '/v1.0/invoke/B/method/m', { headers: { 'x-forwarded-for': '1.2.3.4', 'dapr-caller-app-id': 'evil' }, body: 'payload' })
  t.same([r.status, r.body], [200, 'POST /m'])
  t.match(app.seen[0]?.headers, { 'dapr-caller-app-id': 'A', 'dapr-caller-namespace': 'default', 'dapr-callee-app-id': 'B', 'x-forwarded-for': '1.2.3.4, 10.0.0.1', 'x-forwarded-host': 'box', forwarded: 'for=10.0.0.1;by=10.0.0.1;host=box' })
  t.notOk('x-local-sidecar-secret' in (app.seen[0]?.headers ?? {}))
  r = await call(api.url, 'GET', '/v1.0/invoke/B/method/fail')
  t.equal(json(r).message, 'failed to invoke, id: B, err: rpc error: code = Internal desc = app down')
  r = await call(api.url, 'GET', '/v1.0/invoke/C/method/x')
  t.match(json(r).message, /^failed to invoke, id: C, err: rpc error: code = Unavailable desc = connection error: dial tcp .*connection refused$/)
})

t.test('resiliency: the app target\'s policy retries, replays the body, times out', async (t) => {
  const { createResiliency } = await import('../../../src/sidecar/resiliency/provider.js')
  const resiliency = createResiliency([{
    name: 'r',
    file: 'r.yaml',
    spec: {
      policies: { timeouts: { short: '100ms' }, retries: { quick: { duration: '1ms', maxRetries: 2, matching: { httpStatusCodes: '503' } } } },
      targets: { apps: { A: { retry: 'quick', timeout: 'short' }, 'http://ext': { retry: 'quick' } } }
    }
  }], logger)
  const calls: Array<{ path: string, body: string }> = []
  let flaky = 0
  const app: AppChannel = {
    address: '127.0.0.1',
    port: 1,
    async invoke (_verb, path, _headers, body, signal) {
      const chunks: Buffer[] = []
      if (body) for await (const c of body) chunks.push(c as Buffer)
      calls.push({ path, body: Buffer.concat(chunks).toString() })
      if (path === '/flaky') return ++flaky === 1 ? res(503, 'busy') : res(200, `got ${calls.at(-1)?.body}`)
      if (path === '/busy') return res(503, 'still busy', { 'x-app': '1' })
      if (path === '/missing') return res(404, 'no')
      if (path === '/slow') return await new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted'))))
      throw new Error('error invoking app channel: refused')
    },
    ready: () => true,
    healthy: () => true,
    close: async () => {}
  }
  const invoker = createInvoker({ appId: 'A', namespace: 'default', app, registry: fakeRegistry({}), hostIp: '127.0.0.1', hostname: 'h', logger, resiliency })
  t.teardown(() => invoker.close())
  const api = await startApi(t, { invoke: invoker.handle })
  const inv = (path: string, opts: Parameters<typeof call>[3] = {}) => call(api.url, 'POST', `/v1.0/invoke/A/method/${path}`, opts)
  const tries = (path: string) => calls.filter((c) => c.path === path).length

  let r = await inv('flaky', { body: 'hello' })
  t.same([r.status, r.body], [200, 'got hello'], 'a 503 is retried and the body replayed')
  t.same(calls.filter((c) => c.path === '/flaky').map((c) => c.body), ['hello', 'hello'])
  r = await inv('busy', { body: 'x' })
  t.same([r.status, r.body, r.headers['x-app'], r.headers['content-type']], [503, 'still busy', '1', 'application/json'], 'exhausted: the app\'s last answer')
  t.equal(tries('/busy'), 3)
  r = await inv('missing')
  t.same([r.status, tries('/missing')], [404, 1], 'a status outside matching is not retried')
  r = await inv('refused')
  t.same([r.status, json(r).message, tries('/refused')], [500, 'failed to invoke, id: A, err: error invoking app channel: refused', 3], 'transport errors are retried whatever matching says')
  r = await inv('refused', { headers: { 'transfer-encoding': 'chunked' }, body: 'x' })
  t.equal(tries('/refused'), 4, 'a chunked request is never retried')
  r = await inv('busy', { headers: { 'transfer-encoding': 'chunked' }, body: 'x' })
  t.same([r.status, r.body, tries('/busy')], [503, 'still busy', 4], 'a chunked request\'s error answer is streamed, not retried')
  r = await inv('slow')
  t.same([r.status, json(r).message, tries('/slow')], [500, 'failed to invoke, id: A, err: context deadline exceeded', 3])
  r = await call(api.url, 'GET', '/v1.0/invoke/http%3A%2F%2Fext/method/x')
  t.match(json(r).message, /does not invoke external HTTP endpoints/)
})
