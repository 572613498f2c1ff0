// A tiny real HTTP server speaking the few daprd routes the services use, for tests that run
// a service as a child process: outbound health, state get/save (in-memory semantics) and
// service invocation answered by a test-supplied function.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'

export interface FakeDaprd {
  url: string
  state: Map<string, { value: unknown, etag: number }>
  /** Saves received so far (their keys). */
  saves: string[]
  /** Bodies of invocations received so far. */
  invocations: unknown[]
  /** When set, each save waits for this promise before it is applied. */
  holdSaves: Promise<void> | undefined
  /** Resolves the next time a save arrives. */
  nextSave: () => Promise<void>
  onInvoke: (body: unknown) => { status: number, body: unknown }
}

export async function startFakeDaprd (t: Test): Promise<FakeDaprd> {
  let etags = 0
  let saveWaiters: Array<() => void> = []
  const fake: FakeDaprd = {
    url: '',
    state: new Map(),
    saves: [],
    invocations: [],
    holdSaves: undefined,
    nextSave: () => new Promise((resolve) => { saveWaiters.push(resolve) }),
    onInvoke: () => ({ status: 200, body: {} })
  }

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks).toString('utf8')
    const url = new URL(req.url ?? '/', 'http://x')
    const state = /^\/v1\.0\/state\/([^/]+)(?:\/([^/]+))?$/.exec(url.pathname)
    if (url.pathname === '/v1.0/healthz/outbound') return send(res, 204)
    if (state !== null && req.method === 'GET' && state[2] !== undefined) {
      const entry = fake.state.get(decodeURIComponent(state[2]))
      if (entry === undefined) return send(res, 204)
      return send(res, 200, entry.value, { etag: String(entry.etag) })
    }
    if (state !== null && req.method === 'POST' && state[2] === undefined) {
      const items = JSON.parse(body) as Array<{ key: string, value: unknown, etag?: string, options?: { concurrency?: string } }>
      for (const item of items) {
        fake.saves.push(item.key)
        const waiters = saveWaiters
        saveWaiters = []
        for (const w of waiters) w()
        if (fake.holdSaves !== undefined) await fake.holdSaves
        const current = fake.state.get(item.key)
        const firstWriteClash = item.options?.concurrency === 'first-write' && item.etag === undefined && current !== undefined
        if (firstWriteClash || (item.etag !== undefined && String(current?.etag) !== item.etag)) {
          return send(res, 409, { errorCode: 'ERR_STATE_SAVE', message: 'possible etag mismatch' })
        }
        fake.state.set(item.key, { value: item.value, etag: ++etags })
      }
      return send(res, 204)
    }
    if (url.pathname.startsWith('/v1.0/invoke/')) {
      const parsed: unknown = JSON.parse(body)
      fake.invocations.push(parsed)
      const answer = fake.onInvoke(parsed)
      return send(res, answer.status, answer.body)
    }
    return send(res, 404, { errorCode: 'ERR_DIRECT_INVOKE', message: 'no route' })
  }

  const server = createServer((req, res) => { handle(req, res).catch((err: unknown) => send(res, 500, { message: String(err) })) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  return fake
}

function send (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    res.writeHead(status, headers).end()
    return
  }
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
}
