// Markdown tables from a results object: what `npm run bench` prints, writes next to the
// JSON, and (with --update-docs) splices into docs/benchmarks.md.
import type { ClientSection, Impl, Op } from '../sections/client.js'
import { BEFORE_COMMIT, type FirstOrderSection, type FirstOrderWhat, type Milestone } from '../sections/first-order.js'
import { PROCESSES, type PipelineSection } from '../sections/pipeline.js'
import type { ServicesSection } from '../sections/services.js'
import type { SidecarSection } from '../sections/sidecar.js'
import type { StartupSection, StartupWhat } from '../sections/startup.js'
import { fmtNum, fmtRatio, fmtSpread, ratio, type Spread } from './stats.js'

export interface Results {
  meta: {
    mode: string
    startedAt: string
    durationS: number
    node: string
    os: string
    cpuModel: string
    cpuCount: number
    cpusAllowed: string
    memoryGiB: number
    pinning: string
    loadBefore: string
    loadAfter: string
    commit: string
    reps: number
    warmupMs: number
    warmupCalls: number
    windowMs: number
    leadMs: number
    rounds: number
    slowWindowMs: number
    slowLeadMs: number
    slowRounds: number
    skipped: string[]
  }
  sections: {
    client?: ClientSection | undefined
    services?: ServicesSection | undefined
    sidecar?: SidecarSection | undefined
    pipeline?: PipelineSection | undefined
    startup?: StartupSection | undefined
    firstOrder?: FirstOrderSection | undefined
  }
}

const OP_NAMES: Record<Op, string> = { save: 'state save', get: 'state get (ETag)', delete: 'state delete', invoke: 'invoke POST' }

export function renderMarkdown (r: Results): string {
  const m = r.meta
  const out: string[] = []
  out.push(`Run of ${m.startedAt} (${m.mode}, commit ${m.commit}, ${m.durationS} s). Each cell: ${m.reps} repetition(s), each in a fresh process warmed up for ${m.warmupMs} ms and at least ${m.warmupCalls} calls, then ${m.rounds} windows of ${m.windowMs} ms (the first ${m.leadMs} ms not counted) taking turns with the other contenders of its comparison; the services use ${m.slowRounds} windows of ${m.slowWindowMs} ms (${m.slowLeadMs} ms not counted). Medians of the repetitions with (min–max).`)
  out.push(`Machine: ${m.cpuModel}, ${m.cpuCount} CPU(s) (allowed ${m.cpusAllowed}), ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}; ${m.pinning}. Load average (1/5/15 min) ${m.loadBefore} before, ${m.loadAfter} after: the machine was shared with other work.`)
  out.push('')
  out.push(...renderTargets(r))
  if (r.sections.client !== undefined) out.push(...renderClient(r.sections.client))
  if (r.sections.services !== undefined) out.push(...renderServices(r.sections.services))
  if (r.sections.startup !== undefined) out.push(...renderStartup(r.sections.startup))
  if (r.sections.firstOrder !== undefined) out.push(...renderFirstOrder(r.sections.firstOrder))
  if (r.sections.sidecar !== undefined) out.push(...renderSidecar(r.sections.sidecar))
  if (r.sections.pipeline !== undefined) out.push(...renderPipeline(r.sections.pipeline))
  for (const s of m.skipped) out.push(`- Skipped: ${s.split('\n')[0] ?? s}`)
  return out.join('\n') + '\n'
}

function renderClient (s: ClientSection): string[] {
  const out: string[] = []
  const cell = (impl: Impl, op: Op, c: number) => s.cells.find((x) => x.impl === impl && x.op === op && x.concurrency === c)
  const ops = [...new Set(s.cells.map((x) => x.op))]
  for (const c of [1, 32]) {
    out.push(`#### Client cost, concurrency ${c} (calls/s)`, '')
    out.push('| operation | ours | @dapr/dapr SDK | bare undici | ours / SDK | ours / undici |')
    out.push('|---|---:|---:|---:|---:|---:|')
    for (const op of ops) {
      const [o, d, u] = (['ours', 'sdk', 'undici'] as const).map((i) => cell(i, op, c)?.opsPerSec)
      out.push(`| ${OP_NAMES[op]} | ${fmtSpread(o)} | ${fmtSpread(d)} | ${fmtSpread(u)} | ${fmtRatio(ratio(o, d))} | ${fmtRatio(ratio(o, u))} |`)
    }
    out.push('')
    out.push(`#### Client latency and CPU, concurrency ${c} (µs; ours / SDK / undici)`, '')
    out.push('| operation | p50 | p99 | client CPU per call |')
    out.push('|---|---:|---:|---:|')
    const three = (pick: (x: NonNullable<ReturnType<typeof cell>>) => Spread, op: Op, digits: number) =>
      (['ours', 'sdk', 'undici'] as const).map((i) => { const x = cell(i, op, c); return x === undefined ? 'n/a' : fmtNum(pick(x).median, digits) }).join(' / ')
    for (const op of ops) {
      out.push(`| ${OP_NAMES[op]} | ${three((x) => x.p50Us, op, 0)} | ${three((x) => x.p99Us, op, 0)} | ${three((x) => x.cpuUsPerCall, op, 1)} |`)
    }
    out.push('')
  }
  const bad = s.cells.flatMap((x) => x.runs.filter((r) => !r.connsOk || r.errors > 0).map((r) => `${x.impl} ${x.op} c=${x.concurrency} rep ${r.rep + 1}: ${r.connsOpened} connection(s), ${r.connsOpenedInWindows} opened in measured windows, ${r.errors} error(s)${r.firstError ? ` (${r.firstError})` : ''}`))
  const conns = (impl: Impl, c: number) => [...new Set(s.cells.filter((x) => x.impl === impl && x.concurrency === c).flatMap((x) => x.runs.map((r) => r.connsOpened)))].join('/')
  out.push(`Connections the stub accepted per cell (c=1 | c=32): ours ${conns('ours', 1)} | ${conns('ours', 32)}, SDK ${conns('sdk', 1)} | ${conns('sdk', 32)}, undici ${conns('undici', 1)} | ${conns('undici', 32)}; ${bad.length === 0 ? 'none opened during a measured window (keep-alive held) and no errors.' : `exceptions: ${bad.join('; ')}`}`)
  out.push('')
  out.push('#### Import cost (fresh process, `await import(...)`, heap after a full GC)', '')
  out.push('| module | import ms | heap after import MB | heap added MB | RSS MB |')
  out.push('|---|---:|---:|---:|---:|')
  const names: Record<string, string> = { baseline: '(nothing)', ours: 'our client (src/sidecar, built)', sdk: '@dapr/dapr', undici: 'undici alone' }
  for (const i of s.imports) {
    out.push(`| ${names[i.impl] ?? i.impl} | ${fmtSpread(i.importMs, 1)} | ${fmtNum(i.heapBytes.median / 1e6, 1)} | ${fmtNum(i.heapDeltaBytes.median / 1e6, 1)} | ${fmtNum(i.rssBytes.median / 1e6, 1)} |`)
  }
  const ours = s.imports.find((i) => i.impl === 'ours')?.importMs
  const sdk = s.imports.find((i) => i.impl === 'sdk')?.importMs
  out.push('', `Import time ours / SDK: ${fmtRatio(ratio(ours, sdk))}.`, '')
  return out
}

function renderSidecar (s: SidecarSection): string[] {
  const out: string[] = ['#### Local sidecar, Redis store: through the sidecar vs the same commands straight from Node', '']
  out.push('| operation | concurrency | through the sidecar (calls/s) | Node → Redis (calls/s) | sidecar / direct | p99 µs sidecar / direct |')
  out.push('|---|---:|---:|---:|---:|---:|')
  for (const op of ['save', 'get'] as const) {
    for (const c of [1, 32]) {
      const a = s.cells.find((x) => x.target === 'sidecar' && x.op === op && x.concurrency === c)
      const b = s.cells.find((x) => x.target === 'direct' && x.op === op && x.concurrency === c)
      out.push(`| state ${op} | ${c} | ${fmtSpread(a?.opsPerSec)} | ${fmtSpread(b?.opsPerSec)} | ${fmtRatio(ratio(a?.opsPerSec, b?.opsPerSec))} | ${fmtNum(a?.p99Us.median ?? NaN)} / ${fmtNum(b?.p99Us.median ?? NaN)} |`)
    }
  }
  out.push('')
  return out
}

const TARGET_NAMES: Record<string, string> = {
  noop: 'no-op Fastify route (ceiling)',
  'thin-stub': 'thin route: bare Fastify + 3 raw undici state calls, stub daprd',
  'order-stub': 'POST /neworder on the order service, stub daprd',
  inmem: 'POST /neworder via local sidecar, in-memory',
  redis: 'POST /neworder via local sidecar, Redis',
  'inmem-direct': 'POST /neworder straight to the order service, in-memory'
}

function renderServices (s: ServicesSection): string[] {
  const out: string[] = ['#### Services: requests/s, server CPU per request and latency (µs)', '']
  out.push('| target | concurrency | requests/s | / ceiling | server CPU per request (by process) | p50 | p99 | RSS idle → loaded MB |')
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|')
  for (const c of [1, 32]) {
    const noop = s.cells.find((x) => x.target === 'noop' && x.concurrency === c)
    for (const x of s.cells.filter((y) => y.concurrency === c)) {
      const byProcess = x.processes.length > 1 ? ` (${x.processes.map((p, i) => `${p} ${fmtNum(x.serverCpuUsPerRequestByProcess[i]?.median ?? NaN)}`).join(' + ')})` : ''
      out.push(`| ${TARGET_NAMES[x.target] ?? x.target} | ${c} | ${fmtSpread(x.opsPerSec)} | ${x.target === 'noop' ? '1.00×' : fmtRatio(ratio(x.opsPerSec, noop?.opsPerSec))} | ${fmtSpread(x.serverCpuUsPerRequest)}${byProcess} | ${fmtNum(x.p50Us.median)} | ${fmtNum(x.p99Us.median)} | ${fmtNum(x.rssIdleBytes.median / 1e6)} → ${fmtNum(x.rssLoadedBytes.median / 1e6)} |`)
    }
  }
  out.push('', 'RSS is summed over the target\'s server processes (sidecar + order service; the no-op app alone); "loaded" is the highest sample at the end of a measured window. Idle RSS by process: ' +
    Object.entries(s.rssIdleByProcess).map(([k, v]) => `${k} ${fmtNum(v.median / 1e6)} MB`).join(', ') + '.', '')
  for (const n of s.notes) out.push(`- ${n}`)
  out.push('')
  return out
}

const STARTUP_NAMES: Record<StartupWhat, string> = {
  floor: "`node -e ''` (spawn to exit)",
  noop: 'no-op Fastify app (the target)',
  'order-files': 'order service, one file per module (tsc output)',
  'order-bundle': 'order service, esbuild bundle',
  'order-main': 'order service, production build: bundle + compile cache (main.js)'
}

function renderStartup (s: StartupSection): string[] {
  const out: string[] = ['#### Start-up: spawn to the first 200 on /healthz (ms, server CPU)', '']
  const names = s.runtimes.map((r) => `${r.name === 'node20' ? 'Node 20' : 'Node 24'} (${r.version})`)
  out.push(`| what | ${names.map((n) => `${n} ms | × no-op app`).join(' | ')} |`)
  out.push(`|---|${s.runtimes.map(() => '---:|---:').join('|')}|`)
  for (const what of Object.keys(STARTUP_NAMES) as StartupWhat[]) {
    const cols = s.runtimes.map((r) => {
      const x = s.cells.find((c) => c.runtime === r.name && c.what === what)
      const noop = s.cells.find((c) => c.runtime === r.name && c.what === 'noop')
      return `${fmtSpread(x?.ms)} | ${fmtRatio(ratio(x?.ms, noop?.ms))}`
    })
    out.push(`| ${STARTUP_NAMES[what]} | ${cols.join(' | ')} |`)
  }
  out.push('')
  for (const n of s.notes) out.push(`- ${n}`)
  out.push('')
  return out
}

const FIRST_ORDER_NAMES: Record<FirstOrderWhat, string> = {
  'npm-start': '`npm start` (the command a user types)',
  launcher: '`node scripts/local-dapr.mjs run --bundle-dependencies` (npm\'s part removed)',
  'external-deps': 'the same without `--bundle-dependencies` (apps load packages from node_modules)',
  'tsx-runner': '`node --import tsx local-dapr/src/main.ts run` (the runner through tsx, as before)',
  cold: '`launcher` with both caches removed (no `prepare` yet)',
  before: `\`npm start\` at ${BEFORE_COMMIT} (before the launcher and the caches)`
}

const MILESTONE_NAMES: Array<[Milestone, string]> = [
  ['runner', '"Starting"'],
  ['sidecar', 'first sidecar line'],
  ['orderListening', 'order service listening'],
  ['allStarted', '"All apps started"'],
  ['generatorReady', 'generator ready']
]

function renderFirstOrder (s: FirstOrderSection): string[] {
  const out: string[] = ['#### npm start: spawn to the first persisted order (issue 16; seconds)', '']
  out.push(`| contender | first order s | × npm start | ${MILESTONE_NAMES.map(([, n]) => `${n} s`).join(' | ')} | tree CPU at first order s | failed runs |`)
  out.push(`|---|---:|---:|${MILESTONE_NAMES.map(() => '---:').join('|')}|---:|---:|`)
  const npm = s.cells.find((c) => c.what === 'npm-start')?.milestones.firstOrder
  const sec = (x: Spread | undefined): Spread | undefined => x === undefined ? undefined : { ...x, median: x.median / 1000, min: x.min / 1000, max: x.max / 1000 }
  for (const c of s.cells) {
    out.push(`| ${FIRST_ORDER_NAMES[c.what]} | ${fmtSpread(sec(c.milestones.firstOrder), 2)} | ${fmtRatio(ratio(c.milestones.firstOrder, npm))} | ${MILESTONE_NAMES.map(([m]) => fmtNum(c.milestones[m].median / 1000, 2)).join(' | ')} | ${fmtNum(c.cpuMs.median / 1000, 2)} | ${c.failures.length} / ${c.runs.length} |`)
  }
  const reached = npm === undefined || npm.n === 0 ? 'not measured' : npm.median <= s.targetMs ? 'reached' : '**not reached**'
  out.push('', `Issue 16's target, the first order within ${fmtNum(s.targetMs / 1000, 1)} s of \`npm start\`: median ${fmtNum((npm?.median ?? NaN) / 1000, 2)} s, ${reached}${npm !== undefined && npm.n > 0 ? ` (${npm.n} runs, ${fmtNum(npm.min / 1000, 2)}–${fmtNum(npm.max / 1000, 2)} s)` : ''}.`, '')
  for (const n of s.notes) out.push(`- ${n}`)
  out.push('')
  return out
}

/** Issue 14's targets, each with its measured ratio: the first table of the page. */
function renderTargets (r: Results): string[] {
  const rows: Array<[string, string, string]> = []
  const verdict = (ok: boolean | undefined): string => ok === undefined ? 'not measured' : ok ? 'reached' : '**not reached**'
  const sv = r.sections.services
  if (sv !== undefined) {
    for (const c of [1, 32]) {
      const ours = sv.cells.find((x) => x.target === 'order-stub' && x.concurrency === c)?.serverCpuUsPerRequest
      const thin = sv.cells.find((x) => x.target === 'thin-stub' && x.concurrency === c)?.serverCpuUsPerRequest
      const q = ratio(ours, thin)
      rows.push([`1. order service CPU per new order ≤ 1.0× the thin route (c=${c})`, `${fmtNum(ours?.median ?? NaN)} vs ${fmtNum(thin?.median ?? NaN)} µs: **${fmtRatio(q)}**`, verdict(Number.isFinite(q) ? q <= 1 : undefined)])
    }
  }
  const st = r.sections.startup
  if (st !== undefined) {
    for (const rt of st.runtimes) {
      const ours = st.cells.find((x) => x.runtime === rt.name && x.what === 'order-main')?.ms
      const noop = st.cells.find((x) => x.runtime === rt.name && x.what === 'noop')?.ms
      const q = ratio(ours, noop)
      rows.push([`2. cold start ≤ 1.0× a no-op Fastify app (${rt.version})`, `${fmtNum(ours?.median ?? NaN)} vs ${fmtNum(noop?.median ?? NaN)} ms: **${fmtRatio(q)}**`, verdict(Number.isFinite(q) ? q <= 1 : undefined)])
    }
  }
  const cl = r.sections.client
  if (cl !== undefined) {
    for (const c of [1, 32]) {
      const qs = (['save', 'get', 'delete', 'invoke'] as const).map((op) => {
        const o = cl.cells.find((x) => x.impl === 'ours' && x.op === op && x.concurrency === c)?.opsPerSec
        const u = cl.cells.find((x) => x.impl === 'undici' && x.op === op && x.concurrency === c)?.opsPerSec
        return [op, ratio(o, u)] as const
      })
      const finite = qs.filter(([, q]) => Number.isFinite(q))
      rows.push([`3. client ≥ 1.0× a bare undici Pool.request loop, every operation (c=${c})`, qs.map(([op, q]) => `${op} ${fmtRatio(q)}`).join(', '), verdict(finite.length === 0 ? undefined : finite.every(([, q]) => q >= 1))])
    }
    const ours = cl.imports.find((i) => i.impl === 'ours')?.importMs
    const und = cl.imports.find((i) => i.impl === 'undici')?.importMs
    const q = ratio(ours, und)
    rows.push(['3. client import ≤ 1.1× undici\'s own import', `${fmtNum(ours?.median ?? NaN, 1)} vs ${fmtNum(und?.median ?? NaN, 1)} ms: **${fmtRatio(q)}**`, verdict(Number.isFinite(q) ? q <= 1.1 : undefined)])
  }
  const pl = r.sections.pipeline
  if (pl !== undefined && sv !== undefined) {
    const orders = pl.cells.find((x) => x.store === 'in-memory' && x.concurrency === 32)?.ordersPerSec
    const noop = sv.cells.find((x) => x.target === 'noop' && x.concurrency === 32)?.opsPerSec
    const q = ratio(orders, noop)
    rows.push(['4. pipeline ≥ 1/15 (0.067×) of the no-op route\'s requests/s, generator c=32', `${fmtNum(orders?.median ?? NaN)} orders/s vs ${fmtNum(noop?.median ?? NaN)} req/s: **${fmtRatio(q)}** (1/${fmtNum(1 / q)})`, verdict(Number.isFinite(q) ? q >= 1 / 15 : undefined)])
  }
  if (rows.length === 0) return []
  return ['#### Targets of issue 14 (this run)', '', '| target | measured | |', '|---|---|---|', ...rows.map((row) => `| ${row.join(' | ')} |`), '']
}

function renderPipeline (s: PipelineSection): string[] {
  const out: string[] = ['#### Pipeline: generator → sidecar → sidecar → order service → sidecar → store', '']
  out.push('| store | generator concurrency | orders/s | stored / sent |')
  out.push('|---|---:|---:|---:|')
  for (const x of s.cells) {
    const stored = x.runs.reduce((a, r) => a + r.stored, 0)
    const sent = x.runs.reduce((a, r) => a + r.count, 0)
    out.push(`| ${x.store} | ${x.concurrency} | ${fmtSpread(x.ordersPerSec)} | ${stored} / ${sent} (${fmtNum(stored / sent * 100, 1)} %) |`)
  }
  out.push('', '#### Pipeline: where an order goes, hop by hop (medians of the repetitions)', '')
  out.push(`| store | generator concurrency | wall time per order (1 / rate) ms | inside the order service ms | of which state saves ms (saves per order) | CPU per order µs: ${PROCESSES.join(' / ')} | CPU per order, all four µs |`)
  out.push('|---|---:|---:|---:|---:|---:|---:|')
  for (const x of s.cells) {
    const cpu = x.cpuUsPerOrder.map((c) => c.median)
    const total = cpu.reduce((a, b) => a + b, 0)
    out.push(`| ${x.store} | ${x.concurrency} | ${fmtNum(1000 / x.ordersPerSec.median, 2)} | ${fmtNum(x.appRequestMs.median, 2)} | ${fmtNum(x.stateSaveMs.median * x.stateSavesPerOrder.median, 2)} (${fmtNum(x.stateSavesPerOrder.median, 2)}) | ${cpu.map((c) => fmtNum(c)).join(' / ')} | ${fmtNum(total)} |`)
  }
  out.push('')
  for (const n of s.notes) out.push(`- ${n}`)
  out.push('')
  return out
}
