// One cell of part 4: state save or get with `concurrency` callers, either through the local
// sidecar's Redis store (our client → sidecar HTTP → ioredis → Redis) or with the sidecar's
// own Redis commands sent straight from Node (ioredis → Redis): the ceiling of a Node sidecar.
// Argument: JSON { target: 'sidecar' | 'direct', op: 'save' | 'get', concurrency, sidecarPort, redisPort }.
import { createLoad, serveLoad } from '../lib/loop.js'

interface Config { target: 'sidecar' | 'direct', op: 'save' | 'get', concurrency: number, sidecarPort: number, redisPort: number }
const cfg = JSON.parse(process.argv[2] ?? '{}') as Config
const VALUE = { orderId: 1, item: 'bench', qty: 3 }

async function setup (): Promise<{ call: () => Promise<unknown>, close: () => Promise<void> }> {
  if (cfg.target === 'sidecar') {
    const { createSidecarClient } = await import('../../src/sidecar/index.js')
    const client = createSidecarClient({ endpoint: `http://127.0.0.1:${cfg.sidecarPort}`, connections: cfg.concurrency })
    await client.state.save('statestore', { key: 'order-1', value: VALUE })
    const call = cfg.op === 'save'
      ? () => client.state.save('statestore', { key: 'order-1', value: VALUE })
      : async () => { if ((await client.state.get('statestore', 'order-1'))?.etag === undefined) throw new Error('missing') }
    return { call, close: () => client.close() }
  }
  // Exactly what the sidecar's store sends for these calls (local-dapr/src/sidecar/store/redis.ts):
  // EVAL of daprd's SET script with version '0' (last-write) and the JSON value; HGETALL.
  const { Redis } = await import('ioredis')
  const { SET_SCRIPT } = await import('../../local-dapr/src/sidecar/store/redis.js')
  const redis = new Redis({ host: '127.0.0.1', port: cfg.redisPort, maxRetriesPerRequest: 1 })
  const key = 'bench||order-1'
  await redis.eval(SET_SCRIPT, 1, key, '0', JSON.stringify(VALUE), 1)
  const call = cfg.op === 'save'
    ? () => redis.eval(SET_SCRIPT, 1, key, '0', JSON.stringify(VALUE), 1)
    : async () => {
      const fields = await redis.hgetallBuffer(key)
      if (fields.data === undefined || fields.version === undefined) throw new Error('missing')
      JSON.parse(fields.data.toString('utf8'))
    }
  return { call, close: async () => { redis.disconnect() } }
}

const { call, close } = await setup()
serveLoad(createLoad(call, cfg.concurrency), close)
