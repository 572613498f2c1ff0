// The closing summary: order counts from an app's closing line, and the port check.
import { createServer } from 'node:net'
import t from 'tap'
import { countsOf, createSummary, portIsFree } from '../../src/runner/summary.js'

t.test('countsOf reads numeric sent, delivered and failed from a JSON line', async (t) => {
  t.same(countsOf('{"sent":3,"delivered":2,"failed":1,"msg":"Generator stopped"}'), { sent: 3, delivered: 2, failed: 1 })
  t.equal(countsOf('{"sent":"3","delivered":2,"failed":1}'), undefined)
  t.equal(countsOf('null'), undefined)
  t.equal(countsOf('not json'), undefined)
})

t.test('portIsFree binds the port to find out', async (t) => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  t.equal(await portIsFree(port), false)
  await new Promise<void>((resolve) => server.close(() => resolve()))
  t.equal(await portIsFree(port), true)
})

t.test('render: the last counts of each app, then which ports are free', async (t) => {
  const summary = createSummary(async (port) => port !== 3000)
  t.equal(await summary.render([3001]), 'No app reported order counts.\nEvery port is free again (3001).\n')
  summary.onAppLine('generator', '{"sent":1,"delivered":1,"failed":0}')
  summary.onAppLine('generator', '{"sent":5,"delivered":4,"failed":1}')
  summary.onAppLine('nodeapp', 'plain text')
  t.equal(await summary.render([3001, 3000, 3001]), 'generator: 5 orders sent, 4 delivered, 1 failed\nStill in use: 3000 (of 3000, 3001).\n')
  const one = createSummary(async () => true)
  one.onAppLine('generator', '{"sent":1,"delivered":1,"failed":0}')
  t.equal(await one.render([3001]), 'generator: 1 order sent, 1 delivered, 0 failed\nEvery port is free again (3001).\n')
})
