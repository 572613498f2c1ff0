// Part 2, client cost: our sidecar client vs @dapr/dapr's DaprClient (HTTP) vs a bare undici
// Pool loop, against one zero-work stub daprd in its own process on the other CPU. Then the
// import cost of each, in fresh processes.
import { setTimeout as sleep } from 'node:timers/promises'
import { rotate, type Context } from '../lib/context.js'
import { interleave } from '../lib/interleave.js'
import type { LoadSummary } from '../lib/loop.js'
import { spawnNode, type Message } from '../lib/proc.js'
import { spread, type Spread } from '../lib/stats.js'

export const IMPLS = ['ours', 'sdk', 'undici'] as const
export const OPS = ['save', 'get', 'delete', 'invoke'] as const
export const CONCURRENCIES = [1, 32] as const
export type Impl = typeof IMPLS[number]
export type Op = typeof OPS[number]

interface StubStats extends Message { accepted: number, open: number, requests: number }

export interface ClientRun extends LoadSummary {
  rep: number
  /** Connections the stub accepted from this process: during its warm-up, and during its measured windows. */
  connsOpened: number
  connsOpenedInWindows: number
  connsOk: boolean
}

export interface ClientCell {
  impl: Impl
  op: Op
  concurrency: number
  runs: ClientRun[]
  opsPerSec: Spread
  p50Us: Spread
  p99Us: Spread
  cpuUsPerCall: Spread
}

export interface ImportCell {
  impl: Impl | 'baseline'
  spec: string
  runs: Array<{ importMs: number, heapBytes: number, heapDeltaBytes: number, rssBytes: number }>
  importMs: Spread
  heapBytes: Spread
  heapDeltaBytes: Spread
  rssBytes: Spread
}

export interface ClientSection {
  stub: string
  cells: ClientCell[]
  imports: ImportCell[]
}

export async function clientSection (ctx: Context): Promise<ClientSection> {
  const stub = spawnNode(ctx.built('bench/stub-daprd.js'), [], { cpu: ctx.cpus.server, ipc: true })
  try {
    const { port } = await stub.next<Message & { port: number }>('ready', 20_000)
    const stats = async (): Promise<StubStats> => {
      stub.send({ type: 'stats' })
      return await stub.next<StubStats>('stats', 5000)
    }
    const runs = new Map<string, ClientRun[]>()
    for (let rep = 0; rep < ctx.mode.reps; rep++) {
      for (const op of OPS) {
        for (const concurrency of CONCURRENCIES) {
          for (const run of await comparison(ctx, stats, { op, concurrency, port, rep })) {
            const key = `${run.impl}/${op}/${concurrency}`
            runs.set(key, [...(runs.get(key) ?? []), run])
          }
        }
      }
    }
    const cells: ClientCell[] = []
    for (const op of OPS) {
      for (const concurrency of CONCURRENCIES) {
        for (const impl of IMPLS) {
          const list = runs.get(`${impl}/${op}/${concurrency}`) ?? []
          cells.push({
            impl,
            op,
            concurrency,
            runs: list,
            opsPerSec: spread(list.map((r) => r.opsPerSec)),
            p50Us: spread(list.map((r) => r.p50Us)),
            p99Us: spread(list.map((r) => r.p99Us)),
            cpuUsPerCall: spread(list.map((r) => r.cpuUsPerCall))
          })
        }
      }
    }
    const imports = await importSection(ctx)
    return { stub: 'bench/stub-daprd.ts (node:http, constant answers, keepAliveTimeout 65 s)', cells, imports }
  } finally {
    await stub.stop()
  }
}

/** One repetition of one operation at one concurrency: a fresh process per implementation, windows interleaved. */
async function comparison (
  ctx: Context,
  stats: () => Promise<StubStats>,
  cell: { op: Op, concurrency: number, port: number, rep: number }
): Promise<Array<ClientRun & { impl: Impl }>> {
  // Start from a stub with no connections left over from the previous comparison.
  for (let i = 0; i < 100 && (await stats()).open > 0; i++) await sleep(20)
  const order = rotate(IMPLS, cell.rep)
  const children = order.map((impl) => ({
    name: impl,
    child: spawnNode(ctx.built('bench/cells/client.js'), [JSON.stringify({ impl, op: cell.op, concurrency: cell.concurrency, port: cell.port })], { cpu: ctx.cpus.client, ipc: true })
  }))
  const conns = new Map<string, { warm: number, windows: number }>(order.map((i) => [i, { warm: 0, windows: 0 }]))
  let mark = 0
  try {
    const results = await interleave(children, {
      warmupMs: ctx.mode.warmupMs,
      warmupCalls: ctx.mode.warmupCalls,
      warmupCapMs: ctx.mode.warmupCapMs,
      windowMs: ctx.mode.windowMs,
      leadMs: ctx.mode.leadMs,
      rounds: ctx.mode.rounds,
      before: async () => { mark = (await stats()).accepted },
      after: async (name, measured) => {
        const opened = (await stats()).accepted - mark
        const c = conns.get(name) as { warm: number, windows: number }
        if (measured) c.windows += opened
        else c.warm += opened
      }
    })
    return order.map((impl) => {
      const r = results.get(impl) as LoadSummary
      const c = conns.get(impl) as { warm: number, windows: number }
      const run = {
        ...r,
        impl,
        rep: cell.rep,
        connsOpened: c.warm + c.windows,
        connsOpenedInWindows: c.windows,
        // Keep-alive held: at most one connection per concurrent call, none opened while measuring.
        connsOk: c.warm >= 1 && c.warm + c.windows <= cell.concurrency && c.windows === 0
      }
      ctx.log(`client ${cell.op} c=${cell.concurrency} ${impl.padEnd(6)} rep ${cell.rep + 1}: ${Math.round(run.opsPerSec)} ops/s, p50 ${run.p50Us.toFixed(0)} µs, p99 ${run.p99Us.toFixed(0)} µs, ${run.cpuUsPerCall.toFixed(1)} CPU µs/call, ${run.connsOpened} conn(s), ${run.connsOpenedInWindows} in windows${run.errors > 0 ? `, ${run.errors} errors (${run.firstError})` : ''}`)
      return run
    })
  } finally {
    await Promise.all(children.map(async ({ child }) => {
      await Promise.race([child.exited, sleep(5000)])
      await child.stop()
    }))
  }
}

const IMPORT_SPECS: Array<{ impl: ImportCell['impl'], spec: string }> = [
  { impl: 'baseline', spec: '-' },
  { impl: 'ours', spec: '../../src/sidecar/index.js' },
  { impl: 'sdk', spec: '@dapr/dapr' },
  { impl: 'undici', spec: 'undici' }
]

async function importSection (ctx: Context): Promise<ImportCell[]> {
  const reps = ctx.mode.name === 'quick' ? 1 : 5
  const runs = new Map<string, ImportCell['runs']>()
  // One discarded round first, so every module is in the page cache for all of them alike.
  for (let rep = -1; rep < reps; rep++) {
    for (const { spec } of rotate(IMPORT_SPECS, rep + 1)) {
      const child = spawnNode(ctx.built('bench/cells/import.js'), [spec], { cpu: ctx.cpus.client, ipc: true, nodeArgs: ['--expose-gc'] })
      try {
        const r = await child.next<Message & ImportCell['runs'][number]>('result', 30_000)
        if (rep >= 0) runs.set(spec, [...(runs.get(spec) ?? []), { importMs: r.importMs, heapBytes: r.heapBytes, heapDeltaBytes: r.heapDeltaBytes, rssBytes: r.rssBytes }])
      } finally {
        await Promise.race([child.exited, sleep(3000)])
        await child.stop()
      }
    }
  }
  const cells = IMPORT_SPECS.map(({ impl, spec }): ImportCell => {
    const list = runs.get(spec) ?? []
    return {
      impl,
      spec,
      runs: list,
      importMs: spread(list.map((r) => r.importMs)),
      heapBytes: spread(list.map((r) => r.heapBytes)),
      heapDeltaBytes: spread(list.map((r) => r.heapDeltaBytes)),
      rssBytes: spread(list.map((r) => r.rssBytes))
    }
  })
  for (const c of cells) ctx.log(`import ${c.impl}: ${c.importMs.median.toFixed(1)} ms, heap +${(c.heapDeltaBytes.median / 1e6).toFixed(1)} MB`)
  return cells
}
