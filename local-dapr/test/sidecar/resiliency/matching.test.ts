import t from 'tap'
import { codeNeedsRetry, GRPC_CODES, HTTP_CODES, MatchingError, parseMatching, parsePatterns } from '../../../src/sidecar/resiliency/matching.js'

t.test('patterns as daprd parses them', async (t) => {
  t.equal(parsePatterns(undefined, HTTP_CODES), undefined)
  t.equal(parsePatterns('', HTTP_CODES), undefined)
  t.same(parsePatterns('429,,502-504', HTTP_CODES), [{ start: 429, end: 429 }, { start: 502, end: 504 }])
  t.same(parsePatterns('14', GRPC_CODES), [{ start: 14, end: 14 }])
  const bad: Array<[string, RegExp]> = [
    ['429, 503', /failed to parse start code {2}503 from pattern {2}503 to int, strconv.Atoi: parsing " 503": invalid syntax/],
    ['1-2-3', /invalid pattern 1-2-3, more than one '-' exists/],
    ['99', /invalid pattern 99, start code 99 is not valid/],
    ['500-600', /invalid pattern 500-600, end code 600 is not valid/],
    ['504-502', /start value should not bigger than end value/],
    ['500-x', /failed to parse end code x from pattern 500-x to int/],
    ['99999999999999999999', /value out of range/]
  ]
  for (const [p, message] of bad) t.throws(() => parsePatterns(p, HTTP_CODES), message, p)
  t.throws(() => parsePatterns('17', GRPC_CODES), /start code 17 is not valid/)
  t.equal(new MatchingError('x').code, 'RESILIENCY_ERR_MATCHING')
})

t.test('which codes are retried', async (t) => {
  const all = parseMatching(undefined)
  t.ok(codeNeedsRetry(all, 500) && codeNeedsRetry(all, 404) && codeNeedsRetry(all, 14), 'no matching: every code')
  t.notOk(codeNeedsRetry(all, 700), 'a code outside both ranges never')
  const m = parseMatching({ httpStatusCodes: '502-504', gRPCStatusCodes: '' })
  t.ok(codeNeedsRetry(m, 503))
  t.notOk(codeNeedsRetry(m, 500))
  t.ok(codeNeedsRetry(m, 4), 'an empty gRPC list retries every gRPC code')
  const onlyGrpc = parseMatching({ gRPCStatusCodes: '14' })
  t.ok(codeNeedsRetry(onlyGrpc, 404), 'HTTP codes not listed at all are all retried')
  t.notOk(codeNeedsRetry(onlyGrpc, 4))
})
