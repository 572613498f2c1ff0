import t from 'tap'
import { appendHeader, requestHeadersForApp, responseHeadersForCaller, stripHopByHop } from '../../../src/sidecar/invoke/headers.js'

t.test('hop-by-hop and Connection-listed headers', async (t) => {
  t.same(stripHopByHop({ connection: 'X-A, x-b', 'x-a': '1', 'X-B': '2', te: 't', keep: 'k', u: undefined }), { keep: 'k' })
  t.same(stripHopByHop({ connection: ['x-a', 'x-b'], 'x-a': '1', 'x-b': '2', 'x-c': '3' }), { 'x-c': '3' })
})

t.test('request headers for the app', async (t) => {
  t.same(requestHeadersForApp({ host: 'h', expect: '100-continue', 'trace-bin': 'x', 'destination-app-id': 'd', 'grpc-timeout': '1', 'x-local-sidecar-secret': 's', 'x-local-sidecar-error': 'e', foo: 'bar' }), { 'dapr-grpc-timeout': '1', foo: 'bar' })
})

t.test('response headers for the caller', async (t) => {
  t.same(responseHeadersForCaller({ 'content-length': '3', 'x-local-sidecar-error': 'e', 'transfer-encoding': 'chunked', a: 'b' }), { a: 'b' })
})

t.test('appendHeader', async (t) => {
  const h: Record<string, string | string[]> = { a: ['1', '2'], b: '1' }
  appendHeader(h, 'a', '3')
  appendHeader(h, 'b', '2')
  appendHeader(h, 'c', '1')
  t.same(h, { a: '1, 2, 3', b: '1, 2', c: '1' })
})
