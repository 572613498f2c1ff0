// One raw HTTP call with node:http, so tests see exactly what went over the wire
// (raw paths are sent verbatim, header case is kept).
import { request } from 'node:http'

export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  rawHeaders: string[]
  body: string
}

export function call (base: string, method: string, path: string, opts: { headers?: Record<string, string | string[]>, body?: string | Buffer } = {}): Promise<RawResponse> {
  const u = new URL(base)
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

export function json (r: RawResponse): any {
  return JSON.parse(r.body)
}
