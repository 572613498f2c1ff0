// Load for the service cells: `concurrency` callers POSTing new orders (a fresh order id per
// call) to one URL over an undici Pool with one keep-alive connection per caller.
// Argument: JSON { url, concurrency, idPrefix }. Reports the pool's connection count too.
import { Pool } from 'undici'
import { createLoad, serveLoad } from '../lib/loop.js'

interface Config { url: string, concurrency: number, idPrefix: string }
const cfg = JSON.parse(process.argv[2] ?? '{}') as Config
const url = new URL(cfg.url)
const pool = new Pool(url.origin, { connections: cfg.concurrency, keepAliveTimeout: 30_000 })
const headers = { 'content-type': 'application/json' }
let n = 0
let maxConnected = 0

async function call (): Promise<void> {
  const body = `{"data":{"orderId":"${cfg.idPrefix}-${++n}","item":"bench","qty":1}}`
  const res = await pool.request({ path: url.pathname, method: 'POST', headers, body })
  const text = await res.body.text()
  if (pool.stats.connected > maxConnected) maxConnected = pool.stats.connected
  if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${text.slice(0, 200)}`)
}

serveLoad(createLoad(call, cfg.concurrency), () => pool.close(), () => ({ connections: maxConnected }))
