// Property tests (fast-check): any key and any JSON value saved through the sidecar client
// come back identical through get, bulk get and a transaction, on the in-memory store and on
// Redis; any string posted as an order id is either refused with a 400 or stored and read
// back unchanged. RELIABILITY_PROPERTY_RUNS sets the runs per property (100 by default).
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import t, { type Test } from 'tap'
import { pino } from 'pino'
import { buildApp } from '../../src/order/app.js'
import { startSidecar } from '../../local-dapr/src/sidecar/sidecar.js'
import { createSidecarClient, SidecarError, type SidecarClient } from '../../src/sidecar/index.js'
import { canonicalDecimal } from '../../src/order/exact-json.js'
import { envCount, flushDb, recordFigures, redisResources } from '../helpers/reliability.js'
import { redisHostOf, redisUrlOrSkip } from '../../local-dapr/test/helpers/redis.js'

const RUNS = envCount('RELIABILITY_PROPERTY_RUNS', 100)
const DB = 11

async function sidecarWith (t: Test, resourcesPaths: string[]): Promise<SidecarClient> {
  const registryDir = await mkdtemp(join(tmpdir(), 'properties-registry-'))
  // nodeapp: the Redis component is scoped to the pipeline's app ids.
  const sidecar = await startSidecar({ appId: 'nodeapp', httpPort: 0, resourcesPaths, registryDir, logger: pino({ level: 'silent' }) })
  const client = createSidecarClient({ endpoint: sidecar.url, env: {} })
  t.teardown(async () => { await client.close(); await sidecar.close() })
  return client
}

async function inMemoryResources (): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'properties-memory-'))
  await mkdir(join(dir, 'local'))
  await writeFile(join(dir, 'local/statestore.yaml'), 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: statestore\nspec:\n  type: state.in-memory\n  version: v1\n')
  return [join(dir, 'local')]
}

/** What a JSON value is once it has been JSON: `-0` is `0`, nothing else changes. */
const asJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v))

/** Keys: any Unicode text, plus the characters URLs, Redis and Dapr treat specially. */
const keys = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('/', '.', '%', '|', '?', '#', ' ', '\\', '\u0000', '\n', 'é', '😀', 'a', '+'), minLength: 1, maxLength: 12 })
)

let counter = 0

async function roundTrip (client: SidecarClient, key: string, value: unknown): Promise<'stored' | 'refused'> {
  const unique = `${counter++}-${key}`
  try {
    await client.state.save('statestore', { key: unique, value })
  } catch (err) {
    // Only Dapr's own refusal of `||` in keys is acceptable, and then as a 400 with a code.
    if (!(err instanceof SidecarError) || !unique.includes('||')) throw err
    if ((err as { statusCode?: number }).statusCode !== 400) throw err
    return 'refused'
  }
  const expected = asJson(value)
  const got = await client.state.get('statestore', unique)
  if (!isDeepStrictEqual(got?.value, expected)) throw new Error(`get: ${JSON.stringify(got?.value)} !== ${JSON.stringify(expected)}`)
  const [bulk] = await client.state.getBulk('statestore', [unique])
  if (bulk?.found !== true || !isDeepStrictEqual(bulk.value, expected)) throw new Error(`bulk get: ${JSON.stringify(bulk)}`)
  const viaTx = `${unique}-tx`
  await client.state.transaction('statestore', [{ operation: 'upsert', request: { key: viaTx, value } }, { operation: 'delete', request: { key: unique } }])
  const afterTx = await client.state.get('statestore', viaTx)
  if (!isDeepStrictEqual(afterTx?.value, expected)) throw new Error(`transaction: ${JSON.stringify(afterTx?.value)}`)
  if (await client.state.get('statestore', unique) !== undefined) throw new Error('the transaction\'s delete did not apply')
  return 'stored'
}

const { isDeepStrictEqual } = await import('node:util')

const stores: Array<{ name: string, resources: (t: Test) => Promise<string[] | undefined> }> = [
  { name: 'in-memory', resources: async () => await inMemoryResources() },
  {
    name: 'Redis',
    resources: async (t) => {
      const url = redisUrlOrSkip(t)
      if (url === undefined) return undefined
      await flushDb(url, DB)
      t.teardown(() => flushDb(url, DB))
      return (await redisResources(redisHostOf(url), DB)).slice(1)
    }
  }
]

for (const store of stores) {
  t.test(`any key and JSON value round-trip through get, bulk get and a transaction (${store.name})`, async (t) => {
    const resources = await store.resources(t)
    if (resources === undefined) return
    const client = await sidecarWith(t, resources)
    let stored = 0
    let refused = 0
    await fc.assert(fc.asyncProperty(keys, fc.jsonValue({ maxDepth: 6 }), async (key, value) => {
      if (await roundTrip(client, key, value) === 'stored') stored++
      else refused++
    }), { numRuns: RUNS })
    t.pass(`${RUNS} runs: ${stored} stored and read back identical, ${refused} refused with 400 (keys with ||)`)
    await recordFigures(t, `property-state-${store.name}`, { runs: RUNS, stored, refused })
  })
}

t.test('any string posted as an order id is refused with a 400 or stored and read back unchanged', async (t) => {
  const client = await sidecarWith(t, await inMemoryResources())
  const app = buildApp({ sidecar: client, stateStoreName: 'statestore' })
  t.teardown(() => app.close())
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  let accepted = 0
  let refused = 0
  const ids = fc.oneof(
    fc.string({ unit: 'grapheme', minLength: 0, maxLength: 70 }),
    fc.string({ unit: fc.constantFrom('.', '-', '_', 'a', 'Z', '9', '/', '%', ' '), minLength: 0, maxLength: 8 }),
    fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/)
  )
  await fc.assert(fc.asyncProperty(ids, async (orderId) => {
    const res = await fetch(`${base}/neworder`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: { orderId } }) })
    const body = await res.json() as { code?: string, orderId?: string }
    if (res.status === 400) {
      if (typeof body.code !== 'string') throw new Error(`400 without a code for ${JSON.stringify(orderId)}`)
      refused++
      return
    }
    if (res.status !== 200 || body.orderId !== orderId) throw new Error(`${res.status} ${JSON.stringify(body)} for ${JSON.stringify(orderId)}`)
    const read = await fetch(`${base}/orders/${encodeURIComponent(orderId)}`)
    const data = await read.json() as { orderId?: string }
    if (read.status !== 200 || data.orderId !== orderId) throw new Error(`read back ${read.status} ${JSON.stringify(data)} for ${JSON.stringify(orderId)}`)
    accepted++
  }), { numRuns: RUNS * 3 })
  t.pass(`${RUNS * 3} ids: ${accepted} stored and read back unchanged, ${refused} refused with 400`)
  t.ok(accepted > 0 && refused > 0, 'both outcomes were exercised')
  await recordFigures(t, 'property-order-id', { runs: RUNS * 3, accepted, refused })
})

/** JSON number literals of every kind: doubles as JS writes them, long integers, and hand-built decimals with exponents. */
const numberLiterals = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }).map(String),
  fc.tuple(fc.boolean(), fc.stringMatching(/^(0|[1-9]\d{0,24})$/), fc.option(fc.stringMatching(/^\d{1,24}$/)), fc.option(fc.integer({ min: -420, max: 420 })))
    .map(([neg, int, frac, exp]) => `${neg ? '-' : ''}${int}${frac === null ? '' : `.${frac}`}${exp === null ? '' : `e${exp}`}`)
)

t.test('any JSON number in an order is refused with 400 ORDER_ERR_INEXACT_NUMBER, or stored and read back as the same value', async (t) => {
  const client = await sidecarWith(t, await inMemoryResources())
  const app = buildApp({ sidecar: client, stateStoreName: 'statestore' })
  t.teardown(() => app.close())
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  let accepted = 0
  let refused = 0
  let n = 0
  await fc.assert(fc.asyncProperty(numberLiterals, async (literal) => {
    const orderId = `num-${n++}`
    const res = await fetch(`${base}/neworder`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"data":{"orderId":"${orderId}","n":${literal},"in":[${literal}]}}` })
    const body = await res.json() as { code?: string }
    const read = await fetch(`${base}/orders/${orderId}`)
    if (res.status === 400) {
      if (body.code !== 'ORDER_ERR_INEXACT_NUMBER') throw new Error(`400 ${JSON.stringify(body)} for ${literal}`)
      if (read.status !== 404) throw new Error(`refused ${literal} but something was stored: ${read.status}`)
      refused++
      return
    }
    if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(body)} for ${literal}`)
    const data = await read.json() as { n?: unknown, in?: unknown[] }
    // Compared as text: the exact decimal sent must be the exact decimal stored.
    const back = [data.n, data.in?.[0]].map((v) => typeof v === 'number' ? canonicalDecimal(JSON.stringify(v)) : `not a number: ${JSON.stringify(v)}`)
    const sent = canonicalDecimal(literal)
    if (back[0] !== sent || back[1] !== sent) throw new Error(`sent ${literal}, stored ${JSON.stringify(data)}`)
    accepted++
  }), { numRuns: RUNS * 3 })
  t.pass(`${RUNS * 3} numbers: ${accepted} stored and read back as sent, ${refused} refused with 400 ORDER_ERR_INEXACT_NUMBER`)
  t.ok(accepted > 0 && refused > 0, 'both outcomes were exercised')
  await recordFigures(t, 'property-order-number', { runs: RUNS * 3, accepted, refused })
})
