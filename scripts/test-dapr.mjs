#!/usr/bin/env node
// `npm run test:dapr`: the end-to-end tests on real Dapr (`dapr run -f`), when the Dapr CLI
// and daprd are installed (`dapr init` puts daprd in ~/.dapr/bin). Otherwise it says why it skipped.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

const cli = spawnSync('dapr', ['--version'], { encoding: 'utf8' })
const daprd = process.env.DAPR_RUNTIME_PATH ? join(process.env.DAPR_RUNTIME_PATH, 'daprd') : join(homedir(), '.dapr', 'bin', 'daprd')
let reason
if (cli.error !== undefined || cli.status !== 0) reason = 'the Dapr CLI (`dapr`) is not on PATH'
else if (!existsSync(daprd)) reason = `daprd is not installed at ${daprd} (run \`dapr init\`)`
if (reason !== undefined) {
  process.stdout.write(`test:dapr skipped: ${reason}. The same tests run on the local sidecar in \`npm test\`.\n0 passed, 0 failed, 1 skipped\n`)
  process.exit(0)
}
process.stdout.write(`Running the end-to-end tests on real Dapr (${cli.stdout.trim().split('\n').join(', ')})\n`)
const run = spawnSync('npx', ['tap', '--allow-incomplete-coverage', 'test/e2e/pipeline.test.ts'], {
  stdio: 'inherit',
  env: { ...process.env, E2E_RUNTIME: 'dapr' }
})
process.exit(run.status ?? 1)
