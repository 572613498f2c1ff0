// Part 4, the local sidecar: state save and get through its Redis store vs the same Redis
// commands sent straight from Node. Redis and the sidecar share the server CPU; both load
// processes run on the client CPU and take turns, window by window.
import { setTimeout as sleep } from 'node:timers/promises'
import { rotate, type Context } from '../lib/context.js'
import { interleave } from '../lib/interleave.js'
import type { LoadSummary } from '../lib/loop.js'
import { spawnNode } from '../lib/proc.js'
import { redisAvailable, resourcesFor, startRedis, startSidecar } from '../lib/servers.js'
import { spread, type Spread } from '../lib/stats.js'

export const SIDECAR_TARGETS = ['sidecar', 'direct'] as const
export const SIDECAR_OPS = ['save', 'get'] as const
type Target = typeof SIDECAR_TARGETS[number]
type Op = typeof SIDECAR_OPS[number]

export interface SidecarCell {
  target: Target
  op: Op
  concurrency: number
  runs: Array<LoadSummary & { rep: number }>
  opsPerSec: Spread
  p50Us: Spread
  p99Us: Spread
}

export interface SidecarSection { cells: SidecarCell[] }

export async function sidecarSection (ctx: Context, skipped: string[]): Promise<SidecarSection | undefined> {
  const missing = redisAvailable()
  if (missing !== undefined) {
    skipped.push(`local sidecar vs Redis: ${missing}`)
    ctx.log(`skipping the local sidecar cells: ${missing}`)
    return undefined
  }
  const redis = await startRedis(ctx)
  const resources = await resourcesFor('redis', redis.port)
  const runs = new Map<string, Array<LoadSummary & { rep: number }>>()
  try {
    for (let rep = 0; rep < ctx.mode.reps; rep++) {
      // A fresh sidecar per repetition, like a fresh client process.
      const sidecar = await startSidecar(ctx, { appId: 'bench', resourcesDir: resources.dir })
      try {
        for (const op of SIDECAR_OPS) {
          for (const concurrency of [1, 32]) {
            const order = rotate(SIDECAR_TARGETS, rep)
            const children = order.map((target) => ({
              name: target,
              child: spawnNode(ctx.built('bench/cells/sidecar-state.js'), [JSON.stringify({ target, op, concurrency, sidecarPort: sidecar.port, redisPort: redis.port })], { cpu: ctx.cpus.client, ipc: true })
            }))
            try {
              const results = await interleave(children, { ...ctx.mode })
              for (const target of order) {
                const r = results.get(target) as LoadSummary
                const key = `${target}/${op}/${concurrency}`
                runs.set(key, [...(runs.get(key) ?? []), { ...r, rep }])
                ctx.log(`sidecar ${op} c=${concurrency} ${target.padEnd(7)} rep ${rep + 1}: ${Math.round(r.opsPerSec)} ops/s, p50 ${r.p50Us.toFixed(0)} µs, p99 ${r.p99Us.toFixed(0)} µs${r.errors > 0 ? `, ${r.errors} errors (${r.firstError})` : ''}`)
              }
            } finally {
              await Promise.all(children.map(async ({ child }) => { await Promise.race([child.exited, sleep(5000)]); await child.stop() }))
            }
          }
        }
      } finally {
        await sidecar.child.stop()
      }
    }
  } finally {
    await redis.stop()
    await resources.remove()
  }
  const cells: SidecarCell[] = []
  for (const op of SIDECAR_OPS) {
    for (const concurrency of [1, 32]) {
      for (const target of SIDECAR_TARGETS) {
        const list = runs.get(`${target}/${op}/${concurrency}`) ?? []
        cells.push({ target, op, concurrency, runs: list, opsPerSec: spread(list.map((r) => r.opsPerSec)), p50Us: spread(list.map((r) => r.p50Us)), p99Us: spread(list.map((r) => r.p99Us)) })
      }
    }
  }
  return { cells }
}
