// The command line of `npm run validate:deploy` (bin.ts runs it): validates the deploy tree offline (needs kubectl for `kubectl
// kustomize`, no cluster). Prints one line per issue (`CODE where: message`) and exits 1 when
// there is any. `--fixture <file>` first applies a reject fixture (test/fixtures/manifests/
// reject/) to the loaded tree: the run must then fail with the fixture's code.
import path from 'node:path'
import { loadBundle, repoRoot, ValidateError, type DeployBundle } from './bundle.js'
import { applyFixture, FixtureError, loadFixture } from './fixture.js'
import { CHECKS, validateBundle } from './index.js'

export interface CliIo {
  out: (line: string) => void
  err: (line: string) => void
  load?: () => Promise<DeployBundle>
}

/** Runs the validator; returns the exit code (0 clean, 1 issues or a usage/load error). */
export async function main (args: string[], io: CliIo): Promise<number> {
  const started = Date.now()
  const fixtures: string[] = []
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (a === '--fixture' && args[i + 1] !== undefined) fixtures.push(path.resolve(args[++i] as string))
    else {
      io.err(`USAGE: unknown argument ${a}; usage: validate-deploy [--fixture <file>]`)
      return 1
    }
  }
  try {
    const bundle = await (io.load ?? (() => loadBundle(repoRoot)))()
    for (const f of fixtures) applyFixture(bundle, await loadFixture(f))
    const issues = validateBundle(bundle)
    for (const i of issues) io.err(`${i.check} ${i.where}: ${i.message}`)
    io.out(`${issues.length} issue(s), ${Object.keys(CHECKS).length} checks, ${Date.now() - started} ms`)
    return issues.length === 0 ? 0 : 1
  } catch (err) {
    const code = err instanceof ValidateError || err instanceof FixtureError ? err.code : 'ERROR'
    io.err(`${code}: ${(err as Error).message}`)
    return 1
  }
}
