// HTTP/1.1 over a bare socket, for requests no well-behaved client would send: control
// characters in the request line, lying Content-Length, bodies that stall half-way.
import { connect } from 'node:net'

export interface RawAnswer {
  /** 0 when the connection closed without a status line. */
  status: number
  headers: Record<string, string>
  body: string
  /** True when the server closed the connection (always, with `Connection: close`). */
  closed: boolean
}

/**
 * Writes `head` (request line and headers, without the blank line) and `body`, then reads
 * until the server closes the connection, or `timeoutMs` passes (then `closed` is false).
 */
export async function rawRequest (port: number, head: string, body: Buffer | string = '', timeoutMs = 15_000, endHead = true): Promise<RawAnswer> {
  return await new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const timer = setTimeout(() => { socket.destroy(); resolve(parse(Buffer.concat(chunks), false)) }, timeoutMs)
    socket.on('data', (c: Buffer) => chunks.push(c))
    // A reset after the answer was sent (the server closed with unread bytes) is still an answer.
    socket.on('error', (err) => { if (chunks.length === 0 && (err as NodeJS.ErrnoException).code !== 'ECONNRESET') { clearTimeout(timer); reject(err) } })
    socket.on('close', () => { clearTimeout(timer); resolve(parse(Buffer.concat(chunks), true)) })
    socket.on('connect', () => {
      socket.write(Buffer.concat([Buffer.from(endHead ? `${head}\r\n\r\n` : head, 'latin1'), Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8')]))
    })
  })
}

/**
 * Sends `raw` (a request cut off anywhere: in the headers or in the body), then nothing.
 * Resolves with the time the server took to close the connection, or undefined after `timeoutMs`.
 */
export async function stalledRequest (port: number, raw: string, timeoutMs: number): Promise<{ closedAfterMs: number | undefined, answer: RawAnswer }> {
  const started = Date.now()
  const answer = await rawRequest(port, raw, '', timeoutMs, false)
  return { closedAfterMs: answer.closed ? Date.now() - started : undefined, answer }
}

function parse (raw: Buffer, closed: boolean): RawAnswer {
  const text = raw.toString('utf8')
  const end = text.indexOf('\r\n\r\n')
  const headText = end < 0 ? text : text.slice(0, end)
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(headText)?.[1] ?? 0)
  const headers: Record<string, string> = {}
  for (const line of headText.split('\r\n').slice(1)) {
    const i = line.indexOf(':')
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim()
  }
  let body = end < 0 ? '' : text.slice(end + 4)
  if (headers['transfer-encoding'] === 'chunked') body = unchunk(body)
  return { status, headers, body, closed }
}

function unchunk (body: string): string {
  let out = ''
  let rest = body
  for (;;) {
    const i = rest.indexOf('\r\n')
    if (i < 0) return out
    const size = parseInt(rest.slice(0, i), 16)
    if (!(size > 0)) return out
    out += rest.slice(i + 2, i + 2 + size)
    rest = rest.slice(i + 2 + size + 2)
  }
}
