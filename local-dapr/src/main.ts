#!/usr/bin/env node
// The `local-dapr` bin: everything but the process's exit code is in cli.ts.
import { main } from './cli.js'

const code = await main(process.argv.slice(2))
if (code !== 0) process.exitCode = code
