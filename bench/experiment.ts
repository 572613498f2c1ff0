// Measures a proposed change to the sidecar client before it is applied: the current build
// of src/sidecar vs a copy whose transport.js is bench/proposals/transport.ts, with the bare
// undici loop as the floor, against the stub daprd, windows interleaved as in the benchmark.
// Usage: node --import tsx bench/experiment.ts [--quick]
import { cp, copyFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { buildForBench } from './lib/build.js'
import { makeContext } from './lib/context.js'
import { interleave } from './lib/interleave.js'
import type { LoadSummary } from './lib/loop.js'
import { planCpus, spawnNode, type Message } from './lib/proc.js'
import { spread } from './lib/stats.js'

const quick = process.argv.includes('--quick')
const root = fileURLToPath(new URL('..', import.meta.url))
const build = await buildForBench(root)
const ctx = makeContext(root, build.outDir, planCpus(), quick
  ? { name: 'quick', reps: 1, warmupMs: 200, warmupCalls: 300, warmupCapMs: 800, windowMs: 200, leadMs: 30, rounds: 2 }
  : { name: 'full', reps: 3, warmupMs: 500, warmupCalls: 2000, warmupCapMs: 1500, windowMs: 180, leadMs: 30, rounds: 6 })

const proposal = join(build.outDir, 'proposal', 'src', 'sidecar')
await mkdir(proposal, { recursive: true })
await cp(ctx.built('src/sidecar'), proposal, { recursive: true })
await copyFile(ctx.built('bench/proposals/transport.js'), join(proposal, 'transport.js'))
const proposalModule = pathToFileURL(join(proposal, 'index.js')).href

const stub = spawnNode(ctx.built('bench/stub-daprd.js'), [], { cpu: ctx.cpus.server, ipc: true })
const { port } = await stub.next<Message & { port: number }>('ready', 20_000)
const contenders = [
  { name: 'current', impl: 'ours', module: undefined },
  { name: 'proposal', impl: 'ours', module: proposalModule },
  { name: 'undici', impl: 'undici', module: undefined }
] as const
const rows: string[] = []
try {
  for (const op of ['save', 'get', 'delete', 'invoke'] as const) {
    for (const concurrency of [1, 32]) {
      const runs = new Map<string, LoadSummary[]>()
      for (let rep = 0; rep < ctx.mode.reps; rep++) {
        const children = contenders.map((c) => ({
          name: c.name,
          child: spawnNode(ctx.built('bench/cells/client.js'), [JSON.stringify({ impl: c.impl, op, concurrency, port, module: c.module })], { cpu: ctx.cpus.client, ipc: true })
        }))
        try {
          const results = await interleave(children, { ...ctx.mode })
          for (const c of contenders) runs.set(c.name, [...(runs.get(c.name) ?? []), results.get(c.name) as LoadSummary])
        } finally {
          await Promise.all(children.map(async ({ child }) => { await Promise.race([child.exited, sleep(5000)]); await child.stop() }))
        }
      }
      const ops = (n: string) => spread((runs.get(n) ?? []).map((r) => r.opsPerSec)).median
      const cpu = (n: string) => spread((runs.get(n) ?? []).map((r) => r.cpuUsPerCall)).median
      const errors = [...runs.values()].flat().reduce((a, r) => a + r.errors, 0)
      const row = `| ${op} | ${concurrency} | ${ops('current').toFixed(0)} | ${ops('proposal').toFixed(0)} | ${ops('undici').toFixed(0)} | ${(ops('current') / ops('undici')).toFixed(2)}× | ${(ops('proposal') / ops('undici')).toFixed(2)}× | ${cpu('current').toFixed(1)} / ${cpu('proposal').toFixed(1)} / ${cpu('undici').toFixed(1)} |${errors > 0 ? ` ${errors} errors` : ''}`
      rows.push(row)
      ctx.log(row)
    }
  }
} finally {
  await stub.stop()
}
process.stdout.write(['', '| op | c | current calls/s | proposal calls/s | bare undici | current / undici | proposal / undici | CPU µs/call current / proposal / undici |', '|---|---:|---:|---:|---:|---:|---:|---:|', ...rows, ''].join('\n'))
