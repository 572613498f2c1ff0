#!/usr/bin/env node
// `npm run validate:deploy [-- --fixture <file>]`: the process entry; everything else is in cli.ts.
import { main } from './cli.js'

process.exitCode = await main(process.argv.slice(2), {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n')
})
