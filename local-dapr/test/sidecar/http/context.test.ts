import t from 'tap'
import { PassThrough } from 'node:stream'
import type { IncomingMessage } from 'node:http'
import { BodyTooLargeError, metadataFromQuery, readBody } from '../../../src/sidecar/http/context.js'

t.test('readBody collects and limits', async (t) => {
  const ok = new PassThrough()
  ok.end('hello')
  t.equal((await readBody(ok as unknown as IncomingMessage)).toString(), 'hello')
  const big = new PassThrough()
  const p = readBody(big as unknown as IncomingMessage, 4)
  big.write('abc')
  big.write('def')
  big.write('more after the failure is drained')
  big.end()
  await t.rejects(p, new BodyTooLargeError())
  const broken = new PassThrough()
  const q = readBody(broken as unknown as IncomingMessage)
  broken.destroy(new Error('reset'))
  await t.rejects(q, { message: 'reset' })
  const late = new PassThrough()
  const r = readBody(late as unknown as IncomingMessage, 1)
  late.write('xy')
  late.destroy(new Error('after'))
  await t.rejects(r, { code: 'ERR_BODY_TOO_LARGE' })
})

t.test('metadataFromQuery keeps the first value of metadata.* keys', async (t) => {
  t.same(metadataFromQuery(new Map([['metadata.a', ['1', '2']], ['other', ['x']], ['metadata.', ['e']]])), { a: '1', '': 'e' })
})
