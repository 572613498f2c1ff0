import t from 'tap'
import { Readable } from 'node:stream'
import type { IncomingMessage } from 'node:http'
import pino from 'pino'
import { buildInternalServer, hasBody, NO_APP_CHANNEL } from '../../../src/sidecar/invoke/internal-server.js'
import type { AppChannel } from '../../../src/sidecar/invoke/app-channel.js'
import { call } from '../../helpers/http-call.js'

const logger = pino({ level: 'silent' })

async function serve (t: { teardown (fn: () => unknown): void }, app: AppChannel | undefined): Promise<string> {
  const s = buildInternalServer({ secret: 'sec', app, logger })
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => { s.closeAllConnections(); s.close(resolve) }))
  return `http://127.0.0.1:${(s.address() as { port: number }).port}`
}

function fakeApp (invoke: AppChannel['invoke']): AppChannel {
  return { address: '127.0.0.1', port: 1, invoke, ready: () => true, healthy: () => true, close: async () => {} }
}

t.test('hasBody', async (t) => {
  const m = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage
  t.notOk(hasBody(m({})))
  t.notOk(hasBody(m({ 'content-length': '0' })))
  t.ok(hasBody(m({ 'content-length': '2' })))
  t.ok(hasBody(m({ 'transfer-encoding': 'chunked' })))
})

t.test('needs the secret', async (t) => {
  const url = await serve(t, undefined)
  t.equal((await call(url, 'GET', '/x')).status, 403)
  t.equal((await call(url, 'GET', '/x', { headers: { 'x-local-sidecar-secret': 'nope' } })).status, 403)
  const r = await call(url, 'GET', '/x', { headers: { 'x-local-sidecar-secret': 'sec' } })
  t.same([r.status, decodeURIComponent(r.headers['x-local-sidecar-error'] as string)], [500, NO_APP_CHANNEL])
})

t.test('forwards to the app and streams the answer back', async (t) => {
  const seen: Array<{ verb: string, path: string, headers: unknown, body: boolean }> = []
  const url = await serve(t, fakeApp(async (verb, path, headers, body) => {
    seen.push({ verb, path, headers, body: body !== null })
    if (path === '/fail') throw new Error('app down')
    if (path === '/broken') {
      const b = new Readable({ read () { this.push('x'); this.destroy(new Error('cut')) } })
      return { statusCode: 200, headers: {}, body: b }
    }
    return { statusCode: 201, headers: { 'content-length': '2', 'x-local-sidecar-error': 'spoof', connection: 'keep-alive', a: 'b' }, body: Readable.from([Buffer.from('ok')]) }
  }))
  const r = await call(url, 'POST', '/m?q=1', { headers: { 'x-local-sidecar-secret': 'sec', foo: 'bar' }, body: 'hi' })
  t.same([r.status, r.body, r.headers.a, r.headers['x-local-sidecar-error']], [201, 'ok', 'b', undefined])
  t.match(seen[0], { verb: 'POST', path: '/m?q=1', headers: { foo: 'bar' }, body: true })
  t.notOk('x-local-sidecar-secret' in (seen[0]?.headers as object))
  const f = await call(url, 'GET', '/fail', { headers: { 'x-local-sidecar-secret': 'sec' } })
  t.same([f.status, f.body], [500, 'app down'])
  await t.rejects(call(url, 'GET', '/broken', { headers: { 'x-local-sidecar-secret': 'sec' } }))
})
