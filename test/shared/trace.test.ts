import t from 'tap'
import type { IncomingMessage } from 'node:http'
import { MAX_TRACESTATE_LENGTH, newTrace, parseTraceparent, requestTrace, traceFromHeaders } from '../../src/shared/trace.js'

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/

t.test('parseTraceparent accepts the spec example and later versions with extra fields', async (t) => {
  t.same(parseTraceparent(VALID), { version: '00', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', parentId: '00f067aa0ba902b7', flags: '01' })
  t.same(parseTraceparent('cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-what-comes-next'),
    { version: 'cc', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', parentId: '00f067aa0ba902b7', flags: '00' })
})

t.test('parseTraceparent refuses what the spec says to ignore', async (t) => {
  const bad = [
    undefined,
    ['a', 'b'],
    '',
    VALID.toUpperCase(),
    `ff${VALID.slice(2)}`,
    `${VALID}-extra`,
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
    '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01',
    `${VALID}, ${VALID}`,
    ` ${VALID}`
  ]
  for (const value of bad) t.equal(parseTraceparent(value), undefined, JSON.stringify(value))
})

t.test('newTrace: random ids, sampled, never all zero', async (t) => {
  const a = newTrace()
  const b = newTrace()
  t.match(a.traceparent, TRACEPARENT)
  t.equal(a.traceparent.slice(3, 35), a.traceId)
  t.not(a.traceId, b.traceId)
  t.same(parseTraceparent(a.traceparent)?.traceId, a.traceId, 'what we send, we also accept')
  const sizes: number[] = []
  let call = 0
  const zeroFirst = (size: number): Buffer => { sizes.push(size); return Buffer.alloc(size, call++ < 1 || call === 3 ? 0 : 0xab) }
  t.same(newTrace(zeroFirst), { traceId: 'ab'.repeat(16), traceparent: `00-${'ab'.repeat(16)}-${'ab'.repeat(8)}-01` })
  t.same(sizes, [16, 16, 8, 8], 'an all-zero draw is drawn again')
})

t.test('traceFromHeaders keeps a valid context, replaces an invalid one and drops its tracestate', async (t) => {
  t.same(traceFromHeaders({ traceparent: VALID, tracestate: 'congo=t61rcWkgMzE' }),
    { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', traceparent: VALID, tracestate: 'congo=t61rcWkgMzE' })
  t.same(traceFromHeaders({ traceparent: VALID, tracestate: ['a=1', 'b=2'] as unknown as string }).tracestate, 'a=1,b=2', 'several tracestate headers are one list')
  t.same(traceFromHeaders({ traceparent: VALID }), { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', traceparent: VALID })
  t.same(traceFromHeaders({ traceparent: VALID, tracestate: '' }), { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', traceparent: VALID })
  t.notOk('tracestate' in traceFromHeaders({ traceparent: VALID, tracestate: `a=${'x'.repeat(MAX_TRACESTATE_LENGTH)}` }), 'an oversized tracestate is dropped')
  const fresh = traceFromHeaders({ traceparent: 'garbage', tracestate: 'congo=t61rcWkgMzE' })
  t.match(fresh.traceparent, TRACEPARENT)
  t.equal(fresh.traceparent.slice(3, 35), fresh.traceId)
  t.notOk('tracestate' in fresh, 'the tracestate of an invalid traceparent is not passed on')
  t.match(traceFromHeaders({}).traceparent, TRACEPARENT, 'no traceparent starts a trace')
})

t.test('requestTrace decides once per raw request', async (t) => {
  const raw = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage
  const req = raw({})
  const first = requestTrace(req)
  t.equal(requestTrace(req), first, 'a generated trace is the same on every call')
  t.not(requestTrace(raw({})).traceId, first.traceId)
  t.equal(requestTrace(raw({ traceparent: VALID })).traceparent, VALID)
})
