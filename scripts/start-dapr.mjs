#!/usr/bin/env node
// `npm run start:dapr`: the same dapr.yaml on real Dapr (`dapr run -f .`).
import { spawn, spawnSync } from 'node:child_process'

const probe = spawnSync('dapr', ['--version'], { encoding: 'utf8' })
if (probe.error !== undefined || probe.status !== 0) {
  process.stderr.write([
    'The Dapr CLI (`dapr`) is not installed or not on PATH.',
    'Install it, then initialise Dapr once (this starts daprd, Redis, placement and scheduler in Docker):',
    '  https://docs.dapr.io/getting-started/install-dapr-cli/',
    '  dapr init',
    'Then run `npm run start:dapr` again. Without Dapr, `npm start` runs the same apps with local sidecars.',
    ''
  ].join('\n'))
  process.exit(1)
}
const child = spawn('dapr', ['run', '-f', '.'], { stdio: 'inherit' })
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
