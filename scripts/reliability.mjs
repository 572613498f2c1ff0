#!/usr/bin/env node
// The full-size reliability run: 10,000 orders of load, 1,000 orders per fault, 60 s outages
// (Redis, the order service frozen, the order service killed), 500 runs per property, then
// `npm audit --omit=dev`; writes the figures into docs/reliability.md between
// the `figures:start` / `figures:end` markers. CI runs the same files with smaller counts
// (`npm test`). Needs REDIS_URL (or starts a throwaway redis-server like `npm test` does).
//   node scripts/reliability.mjs            full size
//   RELIABILITY_ORDERS=2000 node scripts/reliability.mjs
//   RELIABILITY_OUTAGE_MS=20000 node scripts/reliability.mjs
//   node scripts/reliability.mjs test/reliability/outages.test.ts   those files only
// Each block of figures in the doc is rewritten only when its scenarios ran.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const repo = resolve(import.meta.dirname, '..')
const figuresFile = join(mkdtempSync(join(tmpdir(), 'reliability-figures-')), 'figures.jsonl')
const env = {
  ...process.env,
  RELIABILITY_ORDERS: process.env.RELIABILITY_ORDERS ?? '10000',
  RELIABILITY_FAULT_ORDERS: process.env.RELIABILITY_FAULT_ORDERS ?? '1000',
  RELIABILITY_PROPERTY_RUNS: process.env.RELIABILITY_PROPERTY_RUNS ?? '500',
  RELIABILITY_OUTAGE_MS: process.env.RELIABILITY_OUTAGE_MS ?? '60000',
  RELIABILITY_OUTAGE_ORDERS: process.env.RELIABILITY_OUTAGE_ORDERS ?? '200',
  RELIABILITY_FIGURES_FILE: figuresFile,
  TEST_SKIP_CHECKS: '1'
}

// One file at a time, so the load test has the machine to itself.
const files = process.argv.slice(2)
// These files map to no source, so coverage is off: tap would otherwise fail a run of some of
// them with "No coverage generated".
const tests = spawnSync(process.execPath, [join(repo, 'scripts/test.mjs'), '--jobs=1', '--timeout=1800', '--disable-coverage', ...(files.length > 0 ? files : ['test/reliability/'])], { cwd: repo, env, stdio: 'inherit' })
const audit = files.length > 0 ? { status: 0, stdout: 'not run (only some files)' } : spawnSync('npm', ['audit', '--omit=dev', '--audit-level=high'], { cwd: repo, encoding: 'utf8' })
const auditLine = (audit.stdout.trim().split('\n').at(-1) ?? '').trim() || `npm audit exited ${audit.status}`

const rows = existsSync(figuresFile) ? readFileSync(figuresFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []
const by = (name) => rows.find((r) => r.scenario === name) ?? {}
const orderRows = ['load', 'redis-outage', 'order-service-sigkill', 'sidecar-restart', 'order-service-sigterm'].map((name) => {
  const r = by(name)
  return `| ${name} | ${r.sent ?? '–'} | ${r.acknowledged ?? '–'} | ${r.stored ?? '–'} | ${r.lost ?? '–'} | ${r.writtenTwice ?? '–'} | ${r.retries ?? '–'} | ${r.responses5xx ?? r.responses503 ?? '–'} |`
})
const outageRows = [
  ['outage-redis', 'Redis stopped, started again'],
  ['outage-order-service-sigstop', 'order service SIGSTOP, then SIGCONT'],
  ['outage-order-service-killed', 'order service SIGKILL, started again later']
].map(([name, what]) => {
  const r = by(name)
  const mem = r.rssMb === undefined ? '–' : `${r.rssMb.before} / ${r.rssMb.most} / ${r.rssMb.end}`
  return `| ${what} | ${r.outageMs === undefined ? '–' : `${r.outageMs / 1000} s`} | ${r.sent ?? '–'} | ${r.acknowledged ?? '–'} | ${r.stored ?? '–'} | ${r.lost ?? '–'} | ${r.givenUp ?? '–'} | ${r.writtenTwice ?? '–'} | ${r.createdWhilePaused ?? '–'} | ${r.mostPending ?? '–'} | ${r.oldestPendingAgeS ?? '–'} | ${r.pauseLines ?? '–'} / ${r.resumeLines ?? '–'} | ${r.retries ?? '–'} | ${mem} |`
})
const sigterm = by('outage-generator-sigterm')
const hostile = by('hostile')
const security = by('security')
const props = rows.filter((r) => r.scenario.startsWith('property-'))
const table = [
  `Run of ${new Date().toISOString().slice(0, 10)}, \`node scripts/reliability.mjs\` (RELIABILITY_ORDERS=${env.RELIABILITY_ORDERS}, RELIABILITY_FAULT_ORDERS=${env.RELIABILITY_FAULT_ORDERS}, RELIABILITY_OUTAGE_MS=${env.RELIABILITY_OUTAGE_MS}, RELIABILITY_OUTAGE_ORDERS=${env.RELIABILITY_OUTAGE_ORDERS}, RELIABILITY_PROPERTY_RUNS=${env.RELIABILITY_PROPERTY_RUNS}); tests ${tests.status === 0 ? 'passed' : `FAILED (exit ${tests.status})`}.`,
  '',
  '| scenario | sent | acknowledged | stored | lost | written twice | generator retries | 5xx (load) / 503 (faults) |',
  '|---|---|---|---|---|---|---|---|',
  ...orderRows,
  '',
  `- Faults survived: ${['redis-outage', 'order-service-sigkill', 'sidecar-restart', 'order-service-sigterm'].filter((n) => by(n).lost === 0).length} of 4 with nothing lost${by('redis-outage').outageMs === undefined ? '' : ` (Redis down ${by('redis-outage').outageMs} ms)`}.`,
  `- Hostile inputs: ${hostile.cases ?? '–'} (${hostile.orderService ?? '–'} order service, ${hostile.sidecar ?? '–'} sidecar); store unchanged: ${hostile.storeUnchanged ?? '–'}; RSS after (MB): order ${hostile.rssMb?.after?.order ?? '–'}, sidecar ${hostile.rssMb?.after?.sidecar ?? '–'}.`,
  `- Property runs: ${props.map((p) => `${p.scenario.replace('property-', '')} ${p.runs}`).join(', ') || '–'}${by('property-order-number').runs === undefined ? '' : ` (numbers: ${by('property-order-number').accepted} stored exactly, ${by('property-order-number').refused} refused with ORDER_ERR_INEXACT_NUMBER)`}.`,
  `- Security: ${security.requests ?? '–'} requests, ${security.logLinesScanned ?? '–'} log lines scanned, tokens found in logs: ${security.tokensInLogs ?? '–'}.`,
  `- \`npm audit --omit=dev\`: ${auditLine}`
].join('\n')

const outageTable = [
  `Run of ${new Date().toISOString().slice(0, 10)}, \`node scripts/reliability.mjs\` (RELIABILITY_OUTAGE_MS=${env.RELIABILITY_OUTAGE_MS}, RELIABILITY_OUTAGE_ORDERS=${env.RELIABILITY_OUTAGE_ORDERS}); tests ${tests.status === 0 ? 'passed' : `FAILED (exit ${tests.status})`}.`,
  '',
  'Generator at concurrency 4, an order every 50 ms until paused; memory from its own `/metrics`.',
  '',
  '| outage | length | created | acknowledged | stored | lost | given up | written twice | created while paused | most pending | oldest pending (s) | pause / resume lines | retries | generator RSS MB before / most / end |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...outageRows,
  '',
  `- SIGTERM to the generator during a Redis outage: exited after ${sigterm.exitMs ?? '–'} ms (grace 10 s), naming the ${sigterm.unacknowledged ?? '–'} ids created and never acknowledged.`
].join('\n')

const doc = join(repo, 'docs/reliability.md')
let text = readFileSync(doc, 'utf8')
function replaceBlock (marker, content) {
  const start = text.indexOf(`<!-- ${marker}:start -->`)
  const end = text.indexOf(`<!-- ${marker}:end -->`)
  if (start < 0 || end < start) throw new Error(`docs/reliability.md has no ${marker} markers`)
  text = `${text.slice(0, start)}<!-- ${marker}:start -->\n${content}\n${text.slice(end)}`
  process.stdout.write(`\n${content}\n`)
}
const ran = (prefixes) => rows.some((r) => prefixes.some((p) => r.scenario.startsWith(p)))
if (ran(['load', 'redis-outage', 'order-service-', 'sidecar-', 'hostile', 'property-', 'security'])) replaceBlock('figures', table)
if (ran(['outage-'])) replaceBlock('outage-figures', outageTable)
writeFileSync(doc, text)
process.stdout.write('\nwritten to docs/reliability.md\n')
process.exit(tests.status === 0 && audit.status === 0 ? 0 : 1)
