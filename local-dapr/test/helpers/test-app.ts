// The app behind a sidecar in invocation tests ("app B" of dapr-http-api.md §10):
// records every request it gets and answers a few fixed routes.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface SeenRequest { method: string, url: string, headers: IncomingHttpHeaders, rawHeaders: string[], body: string }

export interface TestApp {
  port: number
  requests: SeenRequest[]
  /** The last request whose path (without query) is `path`. */
  last (path: string): SeenRequest | undefined
  setHealthy (ok: boolean): void
  close (): Promise<void>
}

const STATUS_BY_METHOD: Record<string, number> = { GET: 200, POST: 201, PUT: 202, DELETE: 409, PATCH: 502 }

export async function startTestApp (port = 0): Promise<TestApp> {
  const requests: SeenRequest[] = []
  let healthy = true
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const url = req.url ?? '/'
      const method = req.method ?? 'GET'
      requests.push({ method, url, headers: req.headers, rawHeaders: req.rawHeaders, body })
      const path = url.split('?')[0] as string
      switch (path) {
        case '/healthz':
          res.writeHead(healthy ? 200 : 500)
          return res.end()
        case '/status':
          res.writeHead(STATUS_BY_METHOD[method] ?? 200, { 'content-type': 'text/plain' })
          return res.end(method)
        case '/echo':
          res.writeHead(200, { 'x-method': method, 'content-type': req.headers['content-type'] ?? 'application/octet-stream' })
          return res.end(body)
        case '/nope':
          res.writeHead(404)
          return res.end('nope')
        case '/redirect':
          res.writeHead(301, { location: '/x' })
          return res.end()
        case '/hop':
          res.writeHead(200, { connection: 'X-Custom', 'x-custom': '1', 'keep-alive': 'timeout=5', 'x-custom-response': 'yes', 'content-type': 'text/plain' })
          return res.end('hop')
        case '/stream':
          res.writeHead(200, { 'content-type': 'text/plain' })
          res.write('part1,')
          setTimeout(() => res.end('part2'), 20)
          return
        default:
          res.writeHead(200, { 'content-type': 'text/plain' })
          return res.end(method === 'HEAD' ? undefined : method)
      }
    })
  })
  server.keepAliveTimeout = 1000
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    last: (p) => [...requests].reverse().find((r) => r.url.split('?')[0] === p),
    setHealthy: (ok) => { healthy = ok },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()) })
  }
}
