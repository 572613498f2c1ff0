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

export function startChildService (t: Test, script: string, env: Record<string, string>): ChildService {
  const base: Record<string, string | undefined> = { ...process.env }
  for (const name of SCRUB) delete base[name]
  // The child runs through tsx, whose source maps do not line up with ts-node's: its V8
  // coverage, merged into this file's, marked covered lines as missed at random (whenever the
  // child lived long enough to write it). Coverage comes from the in-process tests only.
  for (const name of Object.keys(base)) if (name === 'NODE_V8_COVERAGE' || name.startsWith('_TAPJS_PROCESSINFO')) delete base[name]
  const child = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
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
