// The reference for the order service's CPU per new order (issue 14): a bare Fastify route
// (defaults, JSON body parsed, no logger, no schema, no metrics, no trace context) making
// the three state calls the order service made before it dropped the read, with raw undici
// `Pool.request` to the same stub daprd: get the order key, save it first-write, save the
// latest key. Env: STUB_PORT (the stub daprd), PORT (0: any). Sends { type: 'ready', port }.
import Fastify from 'fastify'
import { Pool } from 'undici'

const stub = new Pool(`http://127.0.0.1:${process.env.STUB_PORT ?? ''}`, { connections: 64, keepAliveTimeout: 30_000 })
const json = { 'content-type': 'application/json' }
const app = Fastify({ logger: false })

app.post('/neworder', async (request) => {
  const { data } = request.body as { data: { orderId: string } }
  const key = `order-${data.orderId}`
  const read = await stub.request({ path: `/v1.0/state/statestore/${key}`, method: 'GET' })
  await read.body.dump()
  const save = await stub.request({ path: '/v1.0/state/statestore', method: 'POST', headers: json, body: JSON.stringify([{ key, value: { data }, options: { concurrency: 'first-write' } }]) })
  await save.body.dump()
  const latest = await stub.request({ path: '/v1.0/state/statestore', method: 'POST', headers: json, body: JSON.stringify([{ key: 'order', value: data }]) })
  await latest.body.dump()
  if (save.statusCode !== 204 || latest.statusCode !== 204) throw new Error(`stub answered ${save.statusCode}/${latest.statusCode}`)
  return { orderId: data.orderId }
})
app.get('/healthz', async () => ({ status: 'ok' }))

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) })
const address = app.server.address() as { port: number }
process.send?.({ type: 'ready', port: address.port })
process.on('SIGTERM', () => { app.close().then(() => stub.close()).finally(() => process.exit(0)) })
