// Runs a service's server.ts as a real child process (the way `node --import tsx` starts it)
// and collects its JSON log lines, for tests of the process wiring.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { Test } from 'tap'

export interface ChildService {
  child: ChildProcess
  lines: Array<Record<string, unknown>>
  /** Resolves with the first log line matching `match`, including lines already seen. */
  waitForLine: (match: (line: Record<string, unknown>) => boolean) => Promise<Record<string, unknown>>
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  /** The base URL from Fastify's "Server listening at" line. */
  listening: () => Promise<string>
}

// Variables of the developer's shell that would change what the service connects to.
const SCRUB = ['DAPR_HTTP_PORT', 'DAPR_HTTP_ENDPOINT', 'DAPR_API_TOKEN', 'APP_API_TOKEN', 'PORT', 'LOG_LEVEL']

/**
 * The child's environment: the parent's without the shell's Dapr variables, and with tap's
 * coverage recording off. tap's @tapjs/processinfo wraps child_process.spawn and puts its hook
 * back into every child's NODE_OPTIONS whatever env we pass; that hook records V8 coverage
 * unless `_TAPJS_PROCESSINFO_COVERAGE_` is '0' (a missing variable turns it on, for every
 * file). The child compiles server.ts with tsx, whose generated code and source map differ
 * from ts-node's in the test process; merged, the two mappings of one file marked lines that
 * had run as missed, in whichever run a child exited cleanly in time to write its coverage.
 * Coverage of the entry points comes from the in-process tests only.
 */
export function childEnv (parent: NodeJS.ProcessEnv, env: Record<string, string>): Record<string, string | undefined> {
  const base: Record<string, string | undefined> = { ...parent }
  for (const name of SCRUB) delete base[name]
  delete base.NODE_V8_COVERAGE
  return { ...base, _TAPJS_PROCESSINFO_COVERAGE_: '0', ...env }
}

export function startChildService (t: Test, script: string, env: Record<string, string>): ChildService {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { env: childEnv(process.env, env), stdio: ['ignore', 'pipe', 'inherit'] })
  const lines: Array<Record<string, unknown>> = []
  const waiters: Array<{ match: (l: Record<string, unknown>) => boolean, resolve: (l: Record<string, unknown>) => void }> = []
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: Record<string, unknown>
    try { line = JSON.parse(text) as Record<string, unknown> } catch { line = { raw: text } }
    lines.push(line)
    for (const w of [...waiters]) {
      if (w.match(line)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(line)
      }
    }
  })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }))
  })
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  })
  const waitForLine = (match: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> => {
    const seen = lines.find(match)
    if (seen !== undefined) return Promise.resolve(seen)
    return new Promise((resolve) => { waiters.push({ match, resolve }) })
  }
  const listening = async (): Promise<string> => {
    const line = await waitForLine((l) => typeof l.msg === 'string' && l.msg.startsWith('Server listening at'))
    return (line.msg as string).replace('Server listening at ', '')
  }
  return { child, lines, waitForLine, exited, listening }
}
