// The benchmark driver: `npm run bench` (full, ~12-15 min; first-order alone ~4) or `npm run bench -- --quick`
// (~1.5 min, one repetition of short windows: a smoke test, not numbers to publish).
// Flags: --only=client,services,startup,first-order,sidecar,pipeline  run some sections only
//        --update-docs                             splice the tables into docs/benchmarks.md (every section only)
//        --pipeline-redis                          also run the pipeline on the Redis store
// Every cell runs in a fresh child process on plain node (sources transpiled by lib/build.ts), A/B/C interleaved
// and rotated per repetition, clients and servers pinned to different CPUs when possible.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { cpus as osCpus, totalmem, release } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execFileSync } from 'node:child_process'
import { buildForBench } from './lib/build.js'
import { makeContext, slowWindows, type Mode } from './lib/context.js'
import { loadAverage, planCpus } from './lib/proc.js'
import { renderMarkdown, type Results } from './lib/report.js'
import { clientSection } from './sections/client.js'
import { servicesSection } from './sections/services.js'
import { sidecarSection } from './sections/sidecar.js'
import { pipelineSection } from './sections/pipeline.js'
import { startupSection } from './sections/startup.js'
import { firstOrderSection } from './sections/first-order.js'

const SECTIONS = ['client', 'services', 'startup', 'first-order', 'sidecar', 'pipeline'] as const
type Section = typeof SECTIONS[number]

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const updateDocs = args.includes('--update-docs')
const pipelineRedis = args.includes('--pipeline-redis')
const onlyArg = args.find((a) => a.startsWith('--only='))?.slice('--only='.length)
const unknown = args.filter((a) => !['--quick', '--update-docs', '--pipeline-redis'].includes(a) && !a.startsWith('--only='))
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown argument(s) ${unknown.join(' ')}\nusage: npm run bench [-- --quick] [--only=${SECTIONS.join(',')}] [--update-docs] [--pipeline-redis]\n`)
  process.exit(2)
}
const only = new Set<Section>(onlyArg === undefined ? SECTIONS : onlyArg.split(',') as Section[])
for (const s of only) {
  if (!SECTIONS.includes(s)) {
    process.stderr.write(`bench: unknown section ${s} (sections: ${SECTIONS.join(', ')})\n`)
    process.exit(2)
  }
}
// The page's tables are one block: a run of some sections would drop the others' from it.
const everySection = SECTIONS.every((s) => only.has(s))
if (updateDocs && !everySection) {
  process.stderr.write('bench: --update-docs replaces every table on docs/benchmarks.md; run it without --only (or paste the section\'s table by hand)\n')
  process.exit(2)
}

const mode: Mode = quick
  ? { name: 'quick', reps: 1, warmupMs: 200, warmupCalls: 300, warmupCapMs: 800, windowMs: 200, leadMs: 30, rounds: 2 }
  : { name: 'full', reps: 3, warmupMs: 500, warmupCalls: 2000, warmupCapMs: 1500, windowMs: 180, leadMs: 30, rounds: 6 }

const root = fileURLToPath(new URL('..', import.meta.url))
const started = Date.now()
const cpus = planCpus()
const build = await buildForBench(root)
const ctx = makeContext(root, build.outDir, cpus, mode)
ctx.log(`mode ${mode.name}: ${mode.reps} repetition(s); per process a warm-up of ${mode.warmupMs} ms and ${mode.warmupCalls} calls (at most ${mode.warmupCapMs} ms), then ${mode.rounds} measured windows of ${mode.windowMs} ms (${mode.leadMs} ms lead-in) alternating with its contenders; ${cpus.note}`)
ctx.log(`built ${build.transpiled} file(s) (${build.upToDate} up to date) in ${build.ms.toFixed(0)} ms; load ${loadAverage()}`)

const results: Results = {
  meta: {
    mode: mode.name,
    startedAt: new Date(started).toISOString(),
    durationS: 0,
    node: process.version,
    os: `${process.platform} ${release()}`,
    cpuModel: osCpus()[0]?.model ?? 'unknown',
    cpuCount: osCpus().length,
    cpusAllowed: cpus.allowed,
    memoryGiB: Math.round(totalmem() / 2 ** 30 * 10) / 10,
    pinning: cpus.note,
    loadBefore: loadAverage(),
    loadAfter: '',
    commit: gitCommit(),
    reps: mode.reps,
    warmupMs: mode.warmupMs,
    warmupCalls: mode.warmupCalls,
    windowMs: mode.windowMs,
    leadMs: mode.leadMs,
    rounds: mode.rounds,
    slowWindowMs: slowWindows(mode).windowMs,
    slowLeadMs: slowWindows(mode).leadMs,
    slowRounds: slowWindows(mode).rounds,
    skipped: []
  },
  sections: {}
}

async function section<T> (name: Section, fn: () => Promise<T>): Promise<T | undefined> {
  if (!only.has(name)) return undefined
  const load = loadAverage()
  ctx.log(`section ${name} (load ${load})`)
  try {
    return await fn()
  } catch (err) {
    const reason = `section ${name} failed: ${(err as Error).stack ?? String(err)}`
    ctx.log(reason)
    results.meta.skipped.push(reason)
    return undefined
  }
}

results.sections.client = await section('client', () => clientSection(ctx))
results.sections.sidecar = await section('sidecar', () => sidecarSection(ctx, results.meta.skipped))
results.sections.services = await section('services', () => servicesSection(ctx, results.meta.skipped))
results.sections.startup = await section('startup', () => startupSection(ctx, results.meta.skipped))
results.sections.firstOrder = await section('first-order', () => firstOrderSection(ctx, results.meta.skipped))
results.sections.pipeline = await section('pipeline', () => pipelineSection(ctx, results.meta.skipped, pipelineRedis))
results.meta.loadAfter = loadAverage()
results.meta.durationS = Math.round((Date.now() - started) / 1000)

const resultsDir = join(root, 'bench', 'results')
await mkdir(resultsDir, { recursive: true })
const stamp = results.meta.startedAt.replace(/[:.]/g, '-')
const markdown = renderMarkdown(results)
const base = mode.name === 'full' ? `${stamp}-full` : 'latest-quick'
await writeFile(join(resultsDir, `${base}.json`), JSON.stringify(results, null, 2) + '\n')
await writeFile(join(resultsDir, `${base}.md`), markdown)
// latest-full.* is the last full run of every section: the source of the page's tables.
if (mode.name === 'full' && everySection) {
  await writeFile(join(resultsDir, 'latest-full.json'), JSON.stringify(results, null, 2) + '\n')
  await writeFile(join(resultsDir, 'latest-full.md'), markdown)
}
if (updateDocs) await spliceDocs(join(root, 'docs', 'benchmarks.md'), markdown)
process.stdout.write(markdown)
ctx.log(`done in ${results.meta.durationS} s; results in bench/results/${base}.json${results.meta.skipped.length > 0 ? `; ${results.meta.skipped.length} part(s) skipped (see meta.skipped)` : ''}`)

function gitCommit (): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim()
  } catch {
    return 'unknown'
  }
}

async function spliceDocs (path: string, tables: string): Promise<void> {
  const START = '<!-- bench:results:start -->'
  const END = '<!-- bench:results:end -->'
  const doc = await readFile(path, 'utf8')
  const a = doc.indexOf(START)
  const b = doc.indexOf(END)
  if (a < 0 || b < a) throw new Error(`${path} has no ${START} … ${END} markers`)
  await writeFile(path, doc.slice(0, a + START.length) + '\n' + tables + '\n' + doc.slice(b))
  ctx.log(`updated ${path}`)
}
