#!/usr/bin/env node
// The full-size reliability run: 10,000 orders of load, 1,000 orders per fault, 500 runs per
// property, then `npm audit --omit=dev`; writes the figures into docs/reliability.md between
// the `figures:start` / `figures:end` markers. CI runs the same files with smaller counts
// (`npm test`). Needs REDIS_URL (or starts a throwaway redis-server like `npm test` does).
//   node scripts/reliability.mjs            full size
//   RELIABILITY_ORDERS=2000 node scripts/reliability.mjs
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
  RELIABILITY_FIGURES_FILE: figuresFile,
  TEST_SKIP_CHECKS: '1'
}

// One file at a time, so the load test has the machine to itself.
const tests = spawnSync(process.execPath, [join(repo, 'scripts/test.mjs'), '--jobs=1', '--timeout=1800', 'test/reliability/'], { cwd: repo, env, stdio: 'inherit' })
const audit = spawnSync('npm', ['audit', '--omit=dev', '--audit-level=high'], { cwd: repo, encoding: 'utf8' })
const auditLine = (audit.stdout.trim().split('\n').at(-1) ?? '').trim() || `npm audit exited ${audit.status}`

const rows = existsSync(figuresFile) ? readFileSync(figuresFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []
const by = (name) => rows.find((r) => r.scenario === name) ?? {}
const orderRows = ['load', 'redis-outage', 'order-service-sigkill', 'sidecar-restart', 'order-service-sigterm'].map((name) => {
  const r = by(name)
  return `| ${name} | ${r.sent ?? '–'} | ${r.acknowledged ?? '–'} | ${r.stored ?? '–'} | ${r.lost ?? '–'} | ${r.writtenTwice ?? '–'} | ${r.retries ?? '–'} | ${r.responses5xx ?? r.responses503 ?? '–'} |`
})
const hostile = by('hostile')
const security = by('security')
const props = rows.filter((r) => r.scenario.startsWith('property-'))
const table = [
  `Run of ${new Date().toISOString().slice(0, 10)}, \`node scripts/reliability.mjs\` (RELIABILITY_ORDERS=${env.RELIABILITY_ORDERS}, RELIABILITY_FAULT_ORDERS=${env.RELIABILITY_FAULT_ORDERS}, RELIABILITY_PROPERTY_RUNS=${env.RELIABILITY_PROPERTY_RUNS}); tests ${tests.status === 0 ? 'passed' : `FAILED (exit ${tests.status})`}.`,
  '',
  '| scenario | sent | acknowledged | stored | lost | written twice | generator retries | 5xx (load) / 503 (faults) |',
  '|---|---|---|---|---|---|---|---|',
  ...orderRows,
  '',
  `- Faults survived: ${['redis-outage', 'order-service-sigkill', 'sidecar-restart', 'order-service-sigterm'].filter((n) => by(n).lost === 0).length} of 4 with nothing lost${by('redis-outage').outageMs === undefined ? '' : ` (Redis down ${by('redis-outage').outageMs} ms)`}.`,
  `- Hostile inputs: ${hostile.cases ?? '–'} (${hostile.orderService ?? '–'} order service, ${hostile.sidecar ?? '–'} sidecar); store unchanged: ${hostile.storeUnchanged ?? '–'}; RSS after (MB): order ${hostile.rssMb?.after?.order ?? '–'}, sidecar ${hostile.rssMb?.after?.sidecar ?? '–'}.`,
  `- Property runs: ${props.map((p) => `${p.scenario.replace('property-', '')} ${p.runs}`).join(', ') || '–'}.`,
  `- Security: ${security.requests ?? '–'} requests, ${security.logLinesScanned ?? '–'} log lines scanned, tokens found in logs: ${security.tokensInLogs ?? '–'}.`,
  `- \`npm audit --omit=dev\`: ${auditLine}`
].join('\n')

const doc = join(repo, 'docs/reliability.md')
const text = readFileSync(doc, 'utf8')
const start = text.indexOf('<!-- figures:start -->')
const end = text.indexOf('<!-- figures:end -->')
if (start < 0 || end < start) throw new Error('docs/reliability.md has no figures markers')
writeFileSync(doc, `${text.slice(0, start)}<!-- figures:start -->\n${table}\n${text.slice(end)}`)
process.stdout.write(`\n${table}\n\nwritten to docs/reliability.md\n`)
process.exit(tests.status === 0 && audit.status === 0 ? 0 : 1)
