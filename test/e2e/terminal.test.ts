// `npm start` as a person sees it: readable lines under a pseudo-terminal (util-linux
// `script`), the exact JSON when piped, a summary on Ctrl-C, and no process left behind when
// the terminal closes, under `npm start` and under one service started by hand.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { freePort } from '../../local-dapr/src/runner/runner.js'

const repo = resolve(import.meta.dirname, '../..')
const hasScript = spawnSync('script', ['--version']).status === 0
// eslint-disable-next-line no-control-regex
const plain = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, '').replace(/\r/g, '')

/** Collects a child's stdout; `waitFor` resolves once the text matches. */
function watch (child: ChildProcess): { text: () => string, waitFor: (re: RegExp, ms?: number) => Promise<string> } {
  let text = ''
  child.stdout?.on('data', (chunk: Buffer) => { text += chunk.toString('utf8') })
  return {
    text: () => text,
    waitFor: async (re, ms = 90_000) => {
      const deadline = Date.now() + ms
      while (Date.now() < deadline) {
        const found = re.exec(plain(text))
        if (found !== null) return found[0]
        if (child.exitCode !== null || child.signalCode !== null) break
        await sleep(100)
      }
      throw new Error(`no ${String(re)} in:\n${plain(text).slice(-3000)}`)
    }
  }
}

/** Every live (not zombie) descendant of `pid`, from /proc. */
function descendants (pid: number): number[] {
  const parents = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (state === 'Z') continue
      parents.set(Number(ppid), [...(parents.get(Number(ppid)) ?? []), Number(entry)])
    } catch {}
  }
  const found: number[] = []
  const queue = [pid]
  while (queue.length > 0) {
    for (const child of parents.get(queue.shift() as number) ?? []) {
      found.push(child)
      queue.push(child)
    }
  }
  return found
}

function alive (pids: readonly number[]): number[] {
  return pids.filter((pid) => {
    try {
      return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z')
    } catch {
      return false
    }
  })
}

/** Polls until none of `pids` lives (zombies count as gone: nobody may reap them here) or 30 s pass. */
async function gone (pids: readonly number[]): Promise<number[]> {
  const deadline = Date.now() + 30_000
  while (alive(pids).length > 0 && Date.now() < deadline) await sleep(200)
  return alive(pids)
}

function underTerminal (command: string, env: NodeJS.ProcessEnv = process.env): ChildProcess {
  // tap runs tests with NO_COLOR set; a person's terminal has colours.
  const { NO_COLOR: _noColor, ...rest } = env
  return spawn('script', ['-qfec', command, '/dev/null'], { cwd: repo, env: { ...rest, TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'inherit'] })
}

t.test('npm start in a terminal: the seed\'s lines, readable; closing the terminal leaves no process', { skip: !hasScript && 'util-linux script is not installed' }, async (t) => {
  const term = underTerminal('npm start')
  t.teardown(() => { for (const pid of alive(descendants(term.pid as number))) process.kill(pid, 'SIGKILL') })
  const out = watch(term)
  const persisted = await out.waitFor(/== APP - nodeapp == .*Successfully persisted state for Order ID: \d+/)
  t.match(persisted, /== APP - nodeapp == \[\d\d:\d\d:\d\d\.\d{3}\] INFO: Successfully persisted state for Order ID: \d+$/)
  await out.waitFor(/== APP - generator == .*INFO: Order \d+ delivered .*"latencyMs":\d+/)
  t.match(plain(out.text()), /== APP - nodeapp == .*INFO: Got a new order! Order ID: \d+/)
  t.notMatch(plain(out.text()), /== APP - \w+ == \{"level"/, 'no raw JSON in a terminal')
  t.notMatch(plain(out.text()), /incoming request|request completed/, 'access lines are at debug')
  t.match(out.text(), '\u001b[36m== APP - nodeapp ==', 'the first app\'s colour')
  t.match(out.text(), '\u001b[35m== APP - generator ==', 'the second app\'s colour')

  const ours = descendants(term.pid as number)
  t.ok(ours.length >= 5, `npm, the runner, two sidecars and two apps at least (${ours.length})`)
  term.kill('SIGKILL')
  t.same(await gone(ours), [], 'every process exited after the terminal closed')
})

t.test('npm start piped: the exact JSON lines after the prefixes, and a summary on Ctrl-C', async (t) => {
  const npm = spawn('npm', ['start'], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'], detached: true })
  t.teardown(() => { for (const pid of alive(descendants(npm.pid as number))) process.kill(pid, 'SIGKILL') })
  const out = watch(npm)
  await out.waitFor(/== APP - generator == .*Order \d+ delivered/)
  const prefixed = out.text().split('\n').filter((l) => l.startsWith('== '))
  t.ok(prefixed.length > 5)
  for (const line of prefixed) {
    const json = line.replace(/^== (APP|DAPR) - \w+ == /, '')
    t.doesNotThrow(() => JSON.parse(json), line)
  }
  t.notMatch(out.text(), '\u001b[', 'no colour in a pipe')
  process.kill(-(npm.pid as number), 'SIGINT')
  await out.waitFor(/SIGINT: stopping every app, then every sidecar/)
  await out.waitFor(/generator: \d+ orders? sent, \d+ delivered, 0 failed/)
  await out.waitFor(/Every port is free again \(3000, /)
})

t.test('a service started in a terminal exits when the terminal closes', { skip: !hasScript && 'util-linux script is not installed' }, async (t) => {
  for (const service of ['src/order/server.ts', 'src/generator/server.ts']) {
    const env = { ...process.env, PORT: String(await freePort()), DAPR_HTTP_PORT: String(await freePort()), GENERATOR_SIDECAR_WAIT_MS: '600000' }
    const term = underTerminal(`node --import tsx ${service}`, env)
    t.teardown(() => { for (const pid of alive(descendants(term.pid as number))) process.kill(pid, 'SIGKILL') })
    const out = watch(term)
    await out.waitFor(/Server listening at/)
    const ours = descendants(term.pid as number)
    term.kill('SIGKILL')
    t.same(await gone(ours), [], `${service}: no process left after the terminal closed`)
  }
})
