// Hostile input against the order service and its local sidecar, both started through the
// runner with Redis: every case must get a 4xx JSON error with a code (or, for a body that
// stalls, a closed connection within a bound), leave the store exactly as it was, and leave
// both processes healthy with bounded memory. No answer may carry a stack trace.
import { readFile } from 'node:fs/promises'
import t from 'tap'
import { Redis } from 'ioredis'
import { bounded, flushDb, launchPipeline, recordFigures, redisResources } from '../helpers/reliability.js'
import { rawRequest, stalledRequest, type RawAnswer } from '../helpers/raw-http.js'
import { redisHostOf, redisUrlOrSkip } from '../../local-dapr/test/helpers/redis.js'

const DB = 10
const ORDER_BODY_LIMIT = 64 * 1024
const SIDECAR_BODY_LIMIT = 4 << 20
/** A stack frame as V8 prints it, or a source path with a line number. */
const STACK = /\bat [^\s]+ \(|\.(?:ts|js|mjs):\d+|node:internal|\/work\/|node_modules/

interface Case {
  name: string
  target: 'order' | 'sidecar'
  method?: string
  path?: string
  /** Extra header lines, as sent; `content-type: application/json` unless given. */
  headers?: string[]
  body?: string | Buffer
  /** Sent as chunked instead of with Content-Length. */
  chunked?: boolean
  /** Accepted statuses; default any 4xx. */
  status?: number[]
  /** The answer comes from node:http itself, before any handler: no JSON body to expect. */
  bareNodeAnswer?: boolean
  /** The error code expected, when one in particular is. */
  code?: string
}

const order = (orderId: unknown): string => JSON.stringify({ data: { orderId } })
const deep = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth)

const cases: Case[] = [
  // Not JSON, or JSON of the wrong shape.
  { name: 'invalid JSON', target: 'order', body: '{', status: [400] },
  { name: 'truncated JSON', target: 'order', body: '{"data":{"orderId":"1"', status: [400] },
  { name: 'trailing garbage', target: 'order', body: '{"data":{"orderId":"1"}}x', status: [400] },
  { name: 'empty body', target: 'order', body: '', status: [400] },
  { name: 'null', target: 'order', body: 'null', status: [400] },
  { name: 'an array', target: 'order', body: '[]', status: [400] },
  { name: 'a string', target: 'order', body: '"order"', status: [400] },
  { name: 'a number', target: 'order', body: '42', status: [400] },
  { name: 'missing data', target: 'order', body: '{}', status: [400] },
  { name: 'data null', target: 'order', body: '{"data":null}', status: [400] },
  { name: 'data an array', target: 'order', body: '{"data":[]}', status: [400] },
  { name: 'data a string', target: 'order', body: '{"data":"1"}', status: [400] },
  { name: 'missing orderId', target: 'order', body: '{"data":{}}', status: [400] },
  { name: 'orderId null', target: 'order', body: order(null), status: [400] },
  { name: 'orderId true', target: 'order', body: order(true), status: [400] },
  { name: 'orderId 1.5', target: 'order', body: order(1.5), status: [400] },
  { name: 'orderId -1', target: 'order', body: order(-1), status: [400] },
  { name: 'orderId 2^53', target: 'order', body: '{"data":{"orderId":9007199254740992}}', status: [400] },
  { name: 'orderId 1e400', target: 'order', body: '{"data":{"orderId":1e400}}', status: [400], code: 'ORDER_ERR_INEXACT_NUMBER' },
  // Numbers JSON.parse would change: Infinity is stored as null, 2^53 + 1 as 2^53.
  { name: 'a field 1e400', target: 'order', body: '{"data":{"orderId":"n1","qty":1e400}}', status: [400], code: 'ORDER_ERR_INEXACT_NUMBER' },
  { name: 'a field -1e400', target: 'order', body: '{"data":{"orderId":"n2","qty":-1e400}}', status: [400], code: 'ORDER_ERR_INEXACT_NUMBER' },
  { name: 'a field 2^53 + 1', target: 'order', body: '{"data":{"orderId":"n3","qty":9007199254740993}}', status: [400], code: 'ORDER_ERR_INEXACT_NUMBER' },
  { name: 'a field 2^64 - 1 in an array', target: 'order', body: '{"data":{"orderId":"n4","qty":[1,18446744073709551615]}}', status: [400], code: 'ORDER_ERR_INEXACT_NUMBER' },
  { name: 'orderId 2^53 + 1', target: 'order', body: '{"data":{"orderId":9007199254740993}}', status: [400], code: 'ORDER_ERR_INEXACT_NUMBER' },
  { name: 'a field 1e-400 (underflows to 0)', target: 'order', body: '{"data":{"orderId":"n5","qty":1e-400}}', status: [400], code: 'ORDER_ERR_INEXACT_NUMBER' },
  { name: 'orderId an object', target: 'order', body: order({}), status: [400] },
  { name: 'orderId an array', target: 'order', body: order(['1']), status: [400] },
  { name: 'orderId empty', target: 'order', body: order(''), status: [400] },
  { name: 'orderId 65 characters', target: 'order', body: order('a'.repeat(65)), status: [400] },
  { name: 'orderId with a leading space', target: 'order', body: order(' 1'), status: [400] },
  { name: 'orderId +1', target: 'order', body: order('+1'), status: [400] },
  // Ids that would be dangerous as paths or in logs.
  { name: 'orderId ../etc/passwd', target: 'order', body: order('../etc/passwd'), status: [400] },
  { name: 'orderId ..', target: 'order', body: order('..'), status: [400] },
  { name: 'orderId .', target: 'order', body: order('.'), status: [400] },
  { name: 'orderId a..b', target: 'order', body: order('a..b'), status: [400] },
  { name: 'orderId a/b', target: 'order', body: order('a/b'), status: [400] },
  { name: 'orderId %2e%2e', target: 'order', body: order('%2e%2e'), status: [400] },
  { name: 'orderId NUL', target: 'order', body: order('\u0000'), status: [400] },
  { name: 'orderId with a newline (log forging)', target: 'order', body: order('1\n{"level":60}'), status: [400] },
  { name: 'orderId with an ANSI escape', target: 'order', body: order('\u001b[31m1'), status: [400] },
  { name: 'orderId with DEL', target: 'order', body: order('1\u007f'), status: [400] },
  { name: 'orderId non-ASCII (café)', target: 'order', body: order('café'), status: [400] },
  { name: 'orderId CJK', target: 'order', body: order('注文'), status: [400] },
  { name: 'orderId emoji', target: 'order', body: order('😀'), status: [400] },
  { name: 'orderId right-to-left override', target: 'order', body: order('\u202e1'), status: [400] },
  { name: 'orderId lone surrogate', target: 'order', body: '{"data":{"orderId":"\\ud800"}}', status: [400] },
  { name: 'orderId invalid UTF-8', target: 'order', body: Buffer.concat([Buffer.from('{"data":{"orderId":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}}')]), status: [400] },
  // Prototype pollution.
  { name: '__proto__ at the top', target: 'order', body: '{"__proto__":{"orderId":"x"},"data":{"orderId":"p1"}}', status: [400] },
  { name: '__proto__ in data', target: 'order', body: '{"data":{"orderId":"p2","__proto__":{"admin":true}}}', status: [400] },
  { name: 'constructor.prototype in data', target: 'order', body: '{"data":{"orderId":"p3","constructor":{"prototype":{"admin":true}}}}', status: [400] },
  // Sizes and nesting.
  { name: 'body one byte over the limit', target: 'order', body: `{"data":{"orderId":"big","pad":"${'x'.repeat(ORDER_BODY_LIMIT)}"}}`, status: [413] },
  { name: 'chunked body over the limit', target: 'order', body: `{"data":{"orderId":"big","pad":"${'x'.repeat(ORDER_BODY_LIMIT)}"}}`, chunked: true, status: [413] },
  { name: 'Content-Length of 10 GB', target: 'order', headers: ['content-type: application/json', 'content-length: 10000000000'], body: '{}', status: [413] },
  { name: 'deeply nested data field', target: 'order', body: `{"data":{"orderId":"deep1","x":${deep(20_000)}}}`, status: [400] },
  { name: 'deeply nested body', target: 'order', body: deep(30_000), status: [400] },
  { name: 'deeply nested objects', target: 'order', body: `{"data":{"orderId":"deep2","x":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}}`, status: [400] },
  // Content types.
  { name: 'text/plain', target: 'order', headers: ['content-type: text/plain'], body: order('ct1'), status: [415] },
  { name: 'no content type', target: 'order', headers: [], body: order('ct2'), status: [415] },
  { name: 'application/xml', target: 'order', headers: ['content-type: application/xml'], body: '<order id="1"/>', status: [415] },
  { name: 'multipart/form-data', target: 'order', headers: ['content-type: multipart/form-data; boundary=x'], body: '--x\r\n\r\n1\r\n--x--', status: [415] },
  { name: 'form-urlencoded', target: 'order', headers: ['content-type: application/x-www-form-urlencoded'], body: 'data[orderId]=1', status: [415] },
  { name: 'JSON in UTF-16', target: 'order', headers: ['content-type: application/json; charset=utf-16'], body: Buffer.from(order('ct3'), 'utf16le'), status: [400, 415] },
  // Reads, URLs and headers.
  { name: 'GET /orders/%00', target: 'order', method: 'GET', path: '/orders/%00', body: undefined, status: [400] },
  { name: 'GET /orders/..%2F..%2Fetc%2Fpasswd', target: 'order', method: 'GET', path: '/orders/..%2F..%2Fetc%2Fpasswd', status: [400] },
  { name: 'GET /orders/caf%C3%A9', target: 'order', method: 'GET', path: '/orders/caf%C3%A9', status: [400] },
  { name: 'GET /orders/ with a broken escape', target: 'order', method: 'GET', path: '/orders/%E0%A4%A', status: [400] },
  { name: 'GET /orders/<65 characters>', target: 'order', method: 'GET', path: `/orders/${'a'.repeat(65)}`, status: [400] },
  { name: 'a control character in the request line', target: 'order', method: 'GET', path: '/orders/1\u0001', status: [400] },
  { name: 'URL of 20,000 characters', target: 'order', method: 'GET', path: `/orders/${'a'.repeat(20_000)}`, status: [431] },
  { name: 'header of 20,000 characters', target: 'order', method: 'GET', path: '/orders/1', headers: [`x-big: ${'a'.repeat(20_000)}`], status: [431] },
  // About 20 KB of headers: Node 20's parser keeps the first 2,000 (maxHeadersCount) and reads
  // a missing order; Node 24's counts them against maxHeaderSize (16 KB) and answers 431.
  { name: '2,000 headers', target: 'order', method: 'GET', path: '/orders/1', headers: Array.from({ length: 2_000 }, (_, i) => `x-h${i}: 1`), status: [404, 431] },
  { name: 'PUT /neworder', target: 'order', method: 'PUT', body: order('m1'), status: [404] },
  { name: 'the seeded id with other data', target: 'order', body: JSON.stringify({ data: { orderId: 'seed-1', changed: true } }), status: [409] },

  // The local sidecar's state API.
  { name: 'save: invalid JSON', target: 'sidecar', path: '/v1.0/state/statestore', body: '{', status: [400] },
  { name: 'save: an object, not an array', target: 'sidecar', path: '/v1.0/state/statestore', body: '{}', status: [400] },
  { name: 'save: an array of numbers', target: 'sidecar', path: '/v1.0/state/statestore', body: '[1]', status: [400] },
  { name: 'save: missing key', target: 'sidecar', path: '/v1.0/state/statestore', body: '[{"value":1}]', status: [400] },
  { name: 'save: key a number', target: 'sidecar', path: '/v1.0/state/statestore', body: '[{"key":1,"value":1}]', status: [400] },
  { name: 'save: key with ||', target: 'sidecar', path: '/v1.0/state/statestore', body: '[{"key":"a||b","value":1}]', status: [400] },
  { name: 'save: etag a number', target: 'sidecar', path: '/v1.0/state/statestore', body: '[{"key":"k","value":1,"etag":5}]', status: [400] },
  { name: 'save: etag not an integer', target: 'sidecar', path: '/v1.0/state/statestore', body: '[{"key":"k","value":1,"etag":"abc"}]', status: [400] },
  { name: 'save: metadata a string', target: 'sidecar', path: '/v1.0/state/statestore', body: '[{"key":"k","value":1,"metadata":"x"}]', status: [400] },
  { name: 'save: unknown store', target: 'sidecar', path: '/v1.0/state/nostore', body: '[{"key":"k","value":1}]', status: [400] },
  { name: 'save: __proto__ instead of key', target: 'sidecar', path: '/v1.0/state/statestore', body: '[{"__proto__":{"key":"k"},"value":1}]', status: [400] },
  { name: 'save: deeply nested body', target: 'sidecar', path: '/v1.0/state/statestore', body: deep(100_000), status: [400] },
  { name: 'save: body over 4 MiB', target: 'sidecar', path: '/v1.0/state/statestore', body: `[{"key":"k","value":"${'x'.repeat(SIDECAR_BODY_LIMIT)}"}]`, status: [400, 413] },
  { name: 'get: unknown store', target: 'sidecar', method: 'GET', path: '/v1.0/state/nostore/k', status: [400] },
  { name: 'get: key with ||', target: 'sidecar', method: 'GET', path: '/v1.0/state/statestore/a%7C%7Cb', status: [400] },
  { name: 'bulk: invalid JSON', target: 'sidecar', path: '/v1.0/state/statestore/bulk', body: '{', status: [400] },
  { name: 'bulk: keys a string', target: 'sidecar', path: '/v1.0/state/statestore/bulk', body: '{"keys":"k"}', status: [400] },
  { name: 'bulk: keys numbers', target: 'sidecar', path: '/v1.0/state/statestore/bulk', body: '{"keys":[1,2]}', status: [400] },
  { name: 'transaction: invalid JSON', target: 'sidecar', path: '/v1.0/state/statestore/transaction', body: '{', status: [400] },
  { name: 'transaction: operations not an array', target: 'sidecar', path: '/v1.0/state/statestore/transaction', body: '{"operations":{}}', status: [400] },
  { name: 'transaction: unknown operation', target: 'sidecar', path: '/v1.0/state/statestore/transaction', body: '{"operations":[{"operation":"drop","request":{"key":"k"}}]}', status: [400] },
  { name: 'transaction: missing request', target: 'sidecar', path: '/v1.0/state/statestore/transaction', body: '{"operations":[{"operation":"upsert"}]}', status: [400] },
  { name: 'transaction: key with ||', target: 'sidecar', path: '/v1.0/state/statestore/transaction', body: '{"operations":[{"operation":"upsert","request":{"key":"a||b","value":1}}]}', status: [400] },
  { name: 'URL of 20,000 characters', target: 'sidecar', method: 'GET', path: `/v1.0/state/statestore/${'a'.repeat(20_000)}`, status: [431], bareNodeAnswer: true },
  { name: 'header of 20,000 characters', target: 'sidecar', method: 'GET', path: '/v1.0/state/statestore/k', headers: [`x-big: ${'a'.repeat(20_000)}`], status: [431], bareNodeAnswer: true }
]

function head (c: Case, body: Buffer): string {
  const method = c.method ?? 'POST'
  const path = c.path ?? '/neworder'
  const lines = [`${method} ${path} HTTP/1.1`, 'host: 127.0.0.1', 'connection: close']
  const headers = c.headers ?? (c.body === undefined ? [] : ['content-type: application/json'])
  lines.push(...headers)
  if (!headers.some((h) => h.startsWith('content-length:')) && c.body !== undefined) {
    lines.push(c.chunked ? 'transfer-encoding: chunked' : `content-length: ${body.length}`)
  }
  return lines.join('\r\n')
}

function encode (c: Case): Buffer {
  if (c.body === undefined) return Buffer.alloc(0)
  const body = Buffer.isBuffer(c.body) ? c.body : Buffer.from(c.body, 'utf8')
  if (!c.chunked) return body
  return Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')])
}

async function snapshot (redis: Redis): Promise<Record<string, Record<string, string>>> {
  const keys = (await redis.keys('*')).sort()
  const out: Record<string, Record<string, string>> = {}
  for (const key of keys) out[key] = await redis.hgetall(key)
  return out
}

async function rssMb (pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid ?? 0}/status`, 'utf8').catch(() => '')
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024)
}

t.test(`${cases.length} hostile requests and a stalled one: 4xx with a code, store untouched, services healthy`, async (t) => {
  const url = redisUrlOrSkip(t)
  if (url === undefined) return
  await flushDb(url, DB)
  t.teardown(() => flushDb(url, DB))
  const pipeline = await launchPipeline(t, { resourcesPaths: await redisResources(redisHostOf(url), DB) })
  const sidecarPort = Number(new URL(pipeline.sidecarUrl).port)
  const nodeapp = pipeline.system.apps[0]
  const seeded = await fetch(`${pipeline.base}/neworder`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: order('seed-1') })
  t.equal(seeded.status, 200, 'one order seeded, so an unchanged store is not an empty one')
  const redis = new Redis(url, { db: DB })
  t.teardown(() => redis.quit())
  const before = await snapshot(redis)
  const rssBefore = { order: await rssMb(nodeapp?.app.child.pid), sidecar: await rssMb(nodeapp?.sidecar.child.pid) }

  // The stall first, so its wait overlaps the other cases: node:http checks the sidecar's
  // headersTimeout (10 s, daprd's ReadHeaderTimeout) every 30 s.
  // A body stalled mid-way at the order service: Node's requestTimeout stops watching once the
  // headers are in, so the services close a socket whose body is idle for 10 s (src/shared/http.ts).
  const stall = stalledRequest(sidecarPort, 'GET /v1.0/state/statestore/k HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: 1', 75_000)
  const bodyStall = stalledRequest(pipeline.orderPort, 'POST /neworder HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"data":', 75_000)

  const answers: RawAnswer[] = []
  for (const c of cases) {
    const port = c.target === 'order' ? pipeline.orderPort : sidecarPort
    const payload = encode(c)
    const answer = await rawRequest(port, head(c, payload), payload)
    answers.push(answer)
    const label = `${c.target}: ${c.name}`
    const okStatus = c.status === undefined ? answer.status >= 400 && answer.status < 500 : c.status.includes(answer.status)
    t.ok(okStatus, `${label}: ${answer.status}`, okStatus ? {} : { body: answer.body.slice(0, 300) })
    t.notMatch(answer.body, STACK, `${label}: no stack trace or path in the answer`)
    if (c.bareNodeAnswer === true) {
      t.ok(answer.closed, `${label}: refused by node:http before any handler, connection closed`)
      continue
    }
    let parsed: Record<string, unknown> | undefined
    try { parsed = JSON.parse(answer.body) as Record<string, unknown> } catch {}
    const code = c.target === 'order' ? parsed?.code : parsed?.errorCode
    t.ok(typeof code === 'string' && code.length > 0, `${label}: a JSON error with a code (${String(code)})`, typeof code === 'string' ? {} : { body: answer.body.slice(0, 300) })
    if (c.code !== undefined) t.equal(code, c.code, `${label}: ${c.code}`)
  }

  // 50 oversized bodies more, for the memory bound.
  const big = `{"data":{"orderId":"big","pad":"${'x'.repeat(ORDER_BODY_LIMIT * 4)}"}}`
  for (let i = 0; i < 50; i++) await rawRequest(pipeline.orderPort, head({ name: 'big', target: 'order', body: big }, Buffer.from(big)), big)

  const sidecarStall = await bounded(stall, 90_000, 'the stalled request was not closed')
  const orderStall = await bounded(bodyStall, 90_000, 'the stalled body was not closed')
  t.ok(orderStall.closedAfterMs !== undefined, `order service: a body stalled half-way is cut off (closed after ${String(orderStall.closedAfterMs)} ms)`)
  t.ok(sidecarStall.closedAfterMs !== undefined, `sidecar: headers stalled half-way are cut off (closed after ${String(sidecarStall.closedAfterMs)} ms)`)

  t.same(await snapshot(redis), before, 'nothing stored changed')
  for (const path of ['/healthz', '/readyz']) t.equal((await fetch(pipeline.base + path)).status, 200, `order service ${path} is 200 afterwards`)
  t.equal((await fetch(`${pipeline.sidecarUrl}/v1.0/healthz`)).status, 204, 'the sidecar is healthy afterwards')
  const after = await fetch(`${pipeline.base}/orders/seed-1`)
  t.equal(after.status, 200, 'the seeded order is still served')
  const rssAfter = { order: await rssMb(nodeapp?.app.child.pid), sidecar: await rssMb(nodeapp?.sidecar.child.pid) }
  t.ok(rssAfter.order > 0 && rssAfter.order < 400, `order service memory bounded: ${rssBefore.order} MB before, ${rssAfter.order} MB after`)
  t.ok(rssAfter.sidecar > 0 && rssAfter.sidecar < 400, `sidecar memory bounded: ${rssBefore.sidecar} MB before, ${rssAfter.sidecar} MB after`)
  t.notOk(nodeapp?.app.hasExited() === true || nodeapp?.sidecar.hasExited() === true, 'neither process exited')

  await recordFigures(t, 'hostile', {
    cases: cases.length + 1,
    orderService: cases.filter((c) => c.target === 'order').length,
    sidecar: cases.filter((c) => c.target === 'sidecar').length + 1,
    answered4xx: answers.filter((a) => a.status >= 400 && a.status < 500).length,
    stalledHeadersClosedAfterMs: sidecarStall.closedAfterMs,
    stalledBodyClosedAfterMs: orderStall.closedAfterMs,
    rssMb: { before: rssBefore, after: rssAfter },
    storeUnchanged: true
  })
})
