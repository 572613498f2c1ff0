// One order's trace, end to end: generator → its local sidecar → nodeapp's local sidecar →
// order service → nodeapp's sidecar (state). Everything runs in this process on loopback; the
// order service's sidecar client goes through a recording dispatcher, so the assertions are
// about the headers that really left the service, not about what our code meant to send.
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { Agent, type Dispatcher } from 'undici'
import { createGeneratorMetrics } from '../../src/generator/metrics.js'
import { runGenerator } from '../../src/generator/loop.js'
import { startSidecar } from '../../local-dapr/src/sidecar/sidecar.js'
import { buildApp } from '../../src/order/app.js'
import { parseTraceparent } from '../../src/shared/trace.js'
import { createSidecarClient } from '../../src/sidecar/index.js'
import { captureLogs } from '../helpers/log-capture.js'
import { sampleValue } from '../helpers/prom-text.js'

interface SentCall { method: string, path: string, traceparent: string | undefined, body: string | undefined }

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** An undici Agent that records every request before sending it. */
function recordingAgent (calls: SentCall[]): { dispatcher: Dispatcher, agent: Agent } {
  const agent = new Agent()
  const dispatcher = agent.compose((dispatch) => (opts, handler) => {
    const headers = (opts.headers ?? {}) as Record<string, string>
    calls.push({ method: opts.method, path: opts.path, traceparent: headers.traceparent, body: typeof opts.body === 'string' ? opts.body : undefined })
    return dispatch(opts, handler)
  })
  return { dispatcher, agent }
}

t.test('every state call the order service makes for an order carries the trace the generator started for it', async (t) => {
  const registryDir = t.testdir()
  const quiet = pino({ level: 'silent' })
  const resourcesPaths = ['components/local']

  // The order service, with its sidecar client recording what it sends.
  const sent: SentCall[] = []
  const { dispatcher, agent } = recordingAgent(sent)
  const nodeappDaprPort = await freePort()
  const orderSidecar = createSidecarClient({ endpoint: `http://127.0.0.1:${nodeappDaprPort}`, env: {}, dispatcher })
  const orderLogs = captureLogs('debug') // access lines are at debug since the seed's two lines took their place at info
  const orderRegistry = new Registry()
  const orders = buildApp({ sidecar: orderSidecar, stateStoreName: 'statestore', logger: orderLogs.logger, registry: orderRegistry })
  await orders.listen({ host: '127.0.0.1', port: 0 })
  const appPort = (orders.server.address() as AddressInfo).port

  const nodeappDaprd = await startSidecar({ appId: 'nodeapp', appPort, httpPort: nodeappDaprPort, resourcesPaths, registryDir, logger: quiet })
  const generatorDaprd = await startSidecar({ appId: 'generator', httpPort: 0, resourcesPaths, registryDir, logger: quiet })
  const generatorSidecar = createSidecarClient({ endpoint: generatorDaprd.url, env: {} })
  t.teardown(async () => {
    await generatorSidecar.close()
    await generatorDaprd.close()
    await nodeappDaprd.close()
    await orders.close()
    await orderSidecar.close()
    await agent.close()
  })

  const genLogs = captureLogs('info')
  const genRegistry = new Registry()
  const summary = await runGenerator({
    sidecar: generatorSidecar,
    targetAppId: 'nodeapp',
    storeName: 'statestore',
    counterKey: 'order-id-counter',
    blockSize: 10,
    intervalMs: 0,
    count: 3,
    concurrency: 1,
    retryBaseMs: 10,
    retryMaxMs: 50,
    requestTimeoutMs: 10_000,
    logger: genLogs.logger,
    signal: new AbortController().signal,
    observer: createGeneratorMetrics(genRegistry)
  })
  t.match(summary, { sent: 3, delivered: 3, failed: 0, unacknowledged: [] })

  // The trace id the generator started for each order, from its own log line.
  const traceOf = new Map<string, string>()
  for (const l of genLogs.lines) if (typeof l.msg === 'string' && l.msg.endsWith('delivered')) traceOf.set(String(l.orderId), String(l.traceId))
  t.equal(new Set(traceOf.values()).size, 3, 'three orders, three traces')

  const stateCalls = sent.filter((c) => c.path.startsWith('/v1.0/state/'))
  t.equal(stateCalls.length, 6, 'per order: write its key (first-write), write the latest key; no read')
  for (const [orderId, traceId] of traceOf) {
    const mine = stateCalls.filter((c) =>
      c.path === `/v1.0/state/statestore/order-${orderId}` ||
      (c.body !== undefined && (JSON.parse(c.body) as Array<{ key: string, value: { orderId?: string, data?: { orderId: string } } }>)
        .some((i) => i.value.orderId === orderId || i.value.data?.orderId === orderId)))
    t.same(mine.map((c) => `${c.method} ${c.path}`), ['POST /v1.0/state/statestore', 'POST /v1.0/state/statestore'], `order ${orderId}'s calls`)
    t.same(mine.map((c) => parseTraceparent(c.traceparent)?.traceId), [traceId, traceId], `order ${orderId}: every state call in trace ${traceId}`)
    const lines = orderLogs.lines.filter((l) => l.orderId === orderId)
    t.equal(lines.length, 2, `order ${orderId}: received and persisted`)
    t.ok(lines.every((l) => l.traceId === traceId), `order ${orderId}: the order service logs the generator's trace id`)
  }
  const incoming = orderLogs.lines.filter((l) => l.msg === 'incoming request')
  t.same(incoming.map((l) => l.traceId), [...traceOf.values()], 'the request lines too')

  // The same three orders, counted on both sides.
  const served = (await orders.inject('/metrics')).body
  t.equal(sampleValue(served, 'orders_received_total'), 3)
  t.equal(sampleValue(served, 'orders_persisted_total'), 3)
  t.equal(sampleValue(served, 'sidecar_call_duration_seconds_count', { operation: 'state.get' }), undefined, 'no read for a new order')
  t.equal(sampleValue(served, 'sidecar_call_duration_seconds_count', { operation: 'state.save' }), 6)
  t.equal(sampleValue(served, 'http_request_duration_seconds_count', { method: 'POST', route: '/neworder', status_code: '200' }), 3)
  const generated = await genRegistry.metrics()
  t.equal(sampleValue(generated, 'generator_orders_sent_total'), 3)
  t.equal(sampleValue(generated, 'generator_orders_delivered_total'), 3)
  t.equal(sampleValue(generated, 'generator_retries_total'), 0)
})
