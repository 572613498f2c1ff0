#!/usr/bin/env node
// `npm test`: type-check, lint, then run every test file with tap, and end with
// the one plain line CI reads: `N passed, N failed` (plus skipped, when any).
// Extra arguments go to tap, so `npm test -- test/sidecar/client.test.ts` runs one file.
import { spawn, spawnSync } from 'node:child_process'
import { createInterface } from 'node:readline'

const tapArgs = process.argv.slice(2)
const onlySomeFiles = tapArgs.some((a) => !a.startsWith('-'))

function step (name, cmd, args) {
  process.stdout.write(`> ${name}\n`)
  const r = spawnSync(cmd, args, { stdio: 'inherit' })
  if (r.status !== 0) {
    process.stdout.write(`${name} failed\n0 passed, 1 failed\n`)
    process.exit(r.status ?? 1)
  }
}

if (!onlySomeFiles && process.env.TEST_SKIP_CHECKS !== '1') {
  step('typecheck', 'npx', ['tsc', '--noEmit', '-p', 'tsconfig.json'])
  step('lint', 'npx', ['eslint', '.'])
}

// The tap reporter prints a final `# { total: N, pass: N, fail: N, skip: N }` summary.
const args = ['tap', '--reporter=tap', ...(onlySomeFiles ? ['--allow-incomplete-coverage'] : []), ...tapArgs]
const child = spawn('npx', args, { stdio: ['ignore', 'pipe', 'inherit'] })
let summary = ''
const rl = createInterface({ input: child.stdout })
rl.on('line', (line) => {
  process.stdout.write(line + '\n')
  if (/^# \{ total: \d+/.test(line)) summary = line
})
child.on('close', (code) => {
  const count = (key) => Number(new RegExp(`${key}: (\\d+)`).exec(summary)?.[1] ?? 0)
  const passed = count('pass')
  let failed = count('fail')
  const skipped = count('skip') + count('todo')
  if (code !== 0 && failed === 0) {
    // tap also fails the run on incomplete coverage or a crashed file: count that as a failure.
    process.stdout.write('tap exited non-zero with no failed assertion (coverage below 100 % or a file that crashed)\n')
    failed = 1
  }
  process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`)
  process.exit(code ?? 1)
})
