// One client-cost cell in its own process: one implementation (ours, the @dapr/dapr SDK, or
// a bare undici Pool loop) doing one state/invoke operation at one concurrency against the
// stub daprd. Argument: JSON { impl, op, concurrency, port }. Runs the windows the driver
// asks for (lib/loop.ts's protocol).
import { createLoad, serveLoad } from '../lib/loop.js'

type Impl = 'ours' | 'sdk' | 'undici'
type Op = 'save' | 'get' | 'delete' | 'invoke'
interface Config {
  impl: Impl
  op: Op
  concurrency: number
  port: number
  /** Another build of src/sidecar/index.js for 'ours' (bench/experiment.ts: a proposed change). */
  module?: string
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as Config
const STORE = 'statestore'
const KEY = 'order-1'
const VALUE = { orderId: 1, item: 'bench', qty: 3 }
const INVOKE_BODY = { data: { orderId: 1, item: 'bench', qty: 3 } }
const origin = `http://127.0.0.1:${cfg.port}`

async function setup (): Promise<{ call: () => Promise<unknown>, close: () => Promise<void> }> {
  if (cfg.impl === 'ours') {
    const { createSidecarClient } = await import(cfg.module ?? '../../src/sidecar/index.js') as typeof import('../../src/sidecar/index.js')
    // One socket per concurrent call for every implementation, as the SDK's http.Agent does;
    // the client's default pool size (64) would let undici open spare sockets at c=32.
    const client = createSidecarClient({ endpoint: origin, connections: cfg.concurrency })
    const calls: Record<Op, () => Promise<unknown>> = {
      save: () => client.state.save(STORE, { key: KEY, value: VALUE }),
      get: async () => {
        const entry = await client.state.get(STORE, KEY)
        if (entry?.etag === undefined) throw new Error('no etag')
      },
      delete: () => client.state.delete(STORE, KEY),
      invoke: async () => {
        const res = await client.invoke('nodeapp', 'neworder', { httpMethod: 'POST', body: INVOKE_BODY })
        if (!res.ok) throw new Error(`invoke ${res.statusCode}`)
        res.json()
      }
    }
    return { call: calls[cfg.op], close: () => client.close() }
  }
  if (cfg.impl === 'sdk') {
    const { DaprClient, CommunicationProtocolEnum, HttpMethod, LogLevel } = await import('@dapr/dapr')
    const client = new DaprClient({
      daprHost: '127.0.0.1',
      daprPort: String(cfg.port),
      communicationProtocol: CommunicationProtocolEnum.HTTP,
      logger: { level: LogLevel.Error }
    })
    // The SDK reports save/delete failures as a returned { error } instead of throwing.
    const check = (r: { error?: unknown }): void => { if (r.error !== undefined) throw r.error }
    const calls: Record<Op, () => Promise<unknown>> = {
      save: async () => check(await client.state.save(STORE, [{ key: KEY, value: VALUE }])),
      get: async () => {
        const value = await client.state.get(STORE, KEY)
        if (value === undefined || value === '') throw new Error('no value')
      },
      delete: async () => check(await client.state.delete(STORE, KEY)),
      invoke: () => client.invoker.invoke('nodeapp', 'neworder', HttpMethod.POST, INVOKE_BODY)
    }
    return { call: calls[cfg.op], close: () => client.stop() }
  }
  // The floor: what a hand-written undici loop costs for the same request and the same reading
  // of the answer (status checked, body read; JSON parsed where there is one).
  const { Pool } = await import('undici')
  const pool = new Pool(origin, { connections: cfg.concurrency, keepAliveTimeout: 30_000 })
  const saveBody = JSON.stringify([{ key: KEY, value: VALUE }])
  const invokeBody = JSON.stringify(INVOKE_BODY)
  const json = { 'content-type': 'application/json' }
  const calls: Record<Op, () => Promise<unknown>> = {
    save: async () => {
      const res = await pool.request({ path: `/v1.0/state/${STORE}`, method: 'POST', headers: json, body: saveBody })
      await res.body.dump()
      if (res.statusCode !== 204) throw new Error(`save ${res.statusCode}`)
    },
    get: async () => {
      const res = await pool.request({ path: `/v1.0/state/${STORE}/${KEY}`, method: 'GET' })
      const value: unknown = JSON.parse(await res.body.text())
      if (res.statusCode !== 200 || value === undefined || res.headers.etag === undefined) throw new Error(`get ${res.statusCode}`)
    },
    delete: async () => {
      const res = await pool.request({ path: `/v1.0/state/${STORE}/${KEY}`, method: 'DELETE' })
      await res.body.dump()
      if (res.statusCode !== 204) throw new Error(`delete ${res.statusCode}`)
    },
    invoke: async () => {
      const res = await pool.request({ path: '/v1.0/invoke/nodeapp/method/neworder', method: 'POST', headers: json, body: invokeBody })
      JSON.parse(await res.body.text())
      if (res.statusCode !== 200) throw new Error(`invoke ${res.statusCode}`)
    }
  }
  return { call: calls[cfg.op], close: () => pool.close() }
}

const { call, close } = await setup()
serveLoad(createLoad(call, cfg.concurrency), close)
