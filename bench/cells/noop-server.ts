// The ceiling for POST /neworder, and the start-up reference: Fastify with its defaults (JSON
// body parsed) and a route that answers at once, no logger, no schema. Env PORT (default 0:
// any). Sends { type: 'ready', port } over IPC when it has one.
import Fastify from 'fastify'

const app = Fastify({ logger: false })
app.post('/neworder', async (request) => {
  const { data } = request.body as { data: { orderId: string } }
  return { orderId: data.orderId }
})
app.get('/healthz', async () => ({ status: 'ok' }))
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) })
const address = app.server.address() as { port: number }
process.send?.({ type: 'ready', port: address.port })
process.on('SIGTERM', () => { app.close().finally(() => process.exit(0)) })
