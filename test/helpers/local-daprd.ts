// The local sidecar (local-dapr) as the daprd of tests that run a service as a child process.
// Real daprd HTTP API and in-memory store semantics; the test adds only what it must watch or
// control: writes as they arrive (and a hold on them), and the app behind `nodeapp`, whose
// answer to each invocation is a test function. Its own app id is `nodeapp`, so the generator's
// invocations of `nodeapp` are self-invocations, served without name resolution.
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import type { Test } from 'tap'
import { createInMemoryStore, startSidecar, type StateStore } from '../../local-dapr/src/index.js'

export const APP_ID = 'nodeapp'

export interface LocalDaprd {
  url: string
  /** Keys of the writes received so far, without the `nodeapp||` prefix. */
  saves: string[]
  /** Bodies of the invocations the app behind `nodeapp` received so far. */
  invocations: unknown[]
  /** When set, each write waits for this promise before it is applied. */
  holdSaves: Promise<void> | undefined
  /** Resolves the next time a write arrives. */
  nextSave: () => Promise<void>
  /** How the app behind `nodeapp` answers; default 200 `{}`. */
  onInvoke: (body: unknown) => { status: number, body: unknown }
  /** A stored value, read through the state API as a service would. */
  value: (key: string) => Promise<unknown>
}

export async function startLocalDaprd (t: Test): Promise<LocalDaprd> {
  let saveWaiters: Array<() => void> = []
  const daprd: LocalDaprd = {
    url: '',
    saves: [],
    invocations: [],
    holdSaves: undefined,
    nextSave: () => new Promise((resolve) => { saveWaiters.push(resolve) }),
    onInvoke: () => ({ status: 200, body: {} }),
    value: async (key) => {
      const res = await fetch(`${daprd.url}/v1.0/state/statestore/${encodeURIComponent(key)}`)
      return res.status === 204 ? undefined : await res.json()
    }
  }

  const app = createServer((req, res) => { answer(daprd, req, res).catch(() => res.destroy()) })
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { app.closeAllConnections(); app.close(() => resolve()) }))

  const memory = createInMemoryStore({ name: 'statestore', version: 'v1', metadata: {} })
  // The fault hook: the real store, with every write reported and optionally held first.
  const store: StateStore = {
    name: memory.name,
    type: memory.type,
    version: memory.version,
    features: memory.features,
    keyPrefix: memory.keyPrefix,
    init: () => memory.init(),
    get: (key, metadata) => memory.get(key, metadata),
    async set (request) {
      daprd.saves.push(request.key.slice(`${APP_ID}||`.length))
      const waiters = saveWaiters
      saveWaiters = []
      for (const w of waiters) w()
      if (daprd.holdSaves !== undefined) await daprd.holdSaves
      await memory.set(request)
    },
    delete: (request) => memory.delete(request),
    bulkGet: (keys, metadata, parallelism) => memory.bulkGet(keys, metadata, parallelism),
    multi: (operations, metadata) => memory.multi(operations, metadata),
    ping: () => memory.ping(),
    close: () => memory.close()
  }

  const registryDir = mkdtempSync(join(tmpdir(), 'local-daprd-'))
  const sidecar = await startSidecar({
    appId: APP_ID,
    appPort: (app.address() as AddressInfo).port,
    httpPort: 0,
    resourcesPaths: [],
    stores: [store],
    registryDir,
    logger: pino({ level: 'silent' }),
    closeGraceMs: 100
  })
  daprd.url = sidecar.url
  t.teardown(async () => {
    await sidecar.close()
    rmSync(registryDir, { recursive: true, force: true })
  })
  return daprd
}

async function answer (daprd: LocalDaprd, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  const body: unknown = text === '' ? undefined : JSON.parse(text)
  daprd.invocations.push(body)
  const reply = daprd.onInvoke(body)
  res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body))
}
