// A zero-work daprd, kept apart from the local sidecar on purpose: the client-cost cells must
// measure the client alone, and the local sidecar parses, stores and logs. The state, invoke,
// metadata and health routes of daprd's HTTP API are answered from constant buffers. Counts accepted and open connections (keep-alive is checked on this side) and
// reports them over IPC. Run: node stub-daprd.js (port chosen by the OS, sent as 'ready').
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'

const STATE_VALUE = Buffer.from(JSON.stringify({ orderId: 1, item: 'bench', qty: 3 }))
const INVOKE_REPLY = Buffer.from(JSON.stringify({ orderId: 1, status: 'accepted' }))
const METADATA = Buffer.from(JSON.stringify({ id: 'bench-stub', runtimeVersion: 'stub', enabledFeatures: [], components: [{ name: 'statestore', type: 'state.in-memory', version: 'v1', capabilities: ['ETAG', 'TRANSACTIONAL'] }], extended: {} }))
const NOT_FOUND = Buffer.from(JSON.stringify({ errorCode: 'ERR_BENCH_STUB', message: 'route not served by the stub' }))

let accepted = 0
let open = 0
let requests = 0

function reply (res: ServerResponse, status: number, body?: Buffer, etag?: string): void {
  if (body === undefined) {
    res.writeHead(status)
    res.end()
    return
  }
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': body.length }
  if (etag !== undefined) headers.etag = etag
  res.writeHead(status, headers)
  res.end(body)
}

function route (req: IncomingMessage, res: ServerResponse): void {
  requests++
  const url = req.url ?? '/'
  const method = req.method
  if (url.startsWith('/v1.0/state/')) {
    if (method === 'GET') return reply(res, 200, STATE_VALUE, '1')
    return reply(res, 204) // save (POST) and delete (DELETE)
  }
  if (url.startsWith('/v1.0/invoke/')) return reply(res, 200, INVOKE_REPLY)
  if (url.startsWith('/v1.0/healthz')) return reply(res, 204)
  if (url === '/v1.0/metadata') return reply(res, 200, METADATA)
  reply(res, 404, NOT_FOUND)
}

const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
  // Drain the body before answering, as daprd reads it fully.
  if (req.method === 'GET' || req.method === 'DELETE') {
    req.resume()
    route(req, res)
    return
  }
  req.on('data', noop)
  req.on('end', () => route(req, res))
})
function noop (): void {}

server.on('connection', (socket) => {
  accepted++
  open++
  socket.once('close', () => { open-- })
})

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number }
  process.send?.({ type: 'ready', port })
})

process.on('message', (msg: { type?: string, id?: number }) => {
  if (msg.type === 'stats') process.send?.({ type: 'stats', id: msg.id, accepted, open, requests })
})
process.on('disconnect', () => { server.close(); server.closeAllConnections() })
process.on('SIGTERM', () => { server.close(); server.closeAllConnections(); process.exit(0) })
