// Child processes with prefixed output and a graceful-then-forced stop.
import t from 'tap'
import { startProcess } from '../../src/runner/process.js'
import { Collect } from '../helpers/collect.js'

const node = process.execPath

t.test('every line of stdout and stderr gets the prefix; exit code is reported', async (t) => {
  const output = new Collect()
  const p = startProcess({ name: 'a', prefix: '== APP - a ==', command: node, args: ['-e', 'console.log("one\\ntwo"); console.error("err"); process.exit(4)'], cwd: process.cwd(), env: process.env, output })
  t.equal(await p.exited, 4)
  t.ok(p.hasExited())
  t.match(output.text, '== APP - a == one\n')
  t.match(output.text, '== APP - a == two\n')
  t.match(output.text, '== APP - a == err\n')
  t.equal(await p.stop(100), 4, 'stopping an exited process just reports its exit')
})

t.test('stop sends SIGTERM and waits for a graceful exit', async (t) => {
  const output = new Collect()
  const script = 'process.on("SIGTERM", () => { console.log("bye"); process.exit(0) }); console.log("up"); setInterval(() => {}, 1000)'
  const p = startProcess({ name: 'b', prefix: '[b]', command: node, args: ['-e', script], cwd: process.cwd(), env: process.env, output })
  await output.waitFor(/\[b\] up/)
  t.equal(await p.stop(10_000), 0)
  t.match(output.text, '[b] bye')
})

t.test('two stops at once send one SIGTERM and share its outcome', async (t) => {
  const output = new Collect()
  const script = 'let n = 0; process.on("SIGTERM", () => { console.log("term " + ++n); setTimeout(() => process.exit(0), 300) }); console.log("up"); setInterval(() => {}, 1000)'
  const p = startProcess({ name: 'e', prefix: '[e]', command: node, args: ['-e', script], cwd: process.cwd(), env: process.env, output })
  await output.waitFor(/\[e\] up/)
  const first = p.stop(10_000)
  await output.waitFor(/\[e\] term 1/)
  t.same(await Promise.all([first, p.stop(10_000)]), [0, 0])
  t.notMatch(output.text, 'term 2')
})

t.test('stop escalates to SIGKILL when SIGTERM is ignored', async (t) => {
  const output = new Collect()
  const script = 'process.on("SIGTERM", () => {}); console.log("up"); setInterval(() => {}, 1000)'
  const p = startProcess({ name: 'c', prefix: '[c]', command: node, args: ['-e', script], cwd: process.cwd(), env: process.env, output })
  await output.waitFor(/\[c\] up/)
  t.equal(await p.stop(100), 'SIGKILL')
})

t.test('a command that cannot start is reported', async (t) => {
  const output = new Collect()
  const p = startProcess({ name: 'd', prefix: '[d]', command: '/nonexistent/program', args: [], cwd: process.cwd(), env: process.env, output })
  t.equal(await p.exited, -2)
  t.match(output.text, '[d] failed to start: spawn /nonexistent/program ENOENT')
})

t.test('format rewrites each line after the prefix; onLine sees it as written', async (t) => {
  const output = new Collect()
  const seen: string[] = []
  const p = startProcess({ name: 'e', prefix: '[e]', command: node, args: ['-e', 'console.log("raw")'], cwd: process.cwd(), env: process.env, output, format: (l) => l.toUpperCase(), onLine: (l) => seen.push(l) })
  t.equal(await p.exited, 0)
  t.equal(output.text, '[e] RAW\n')
  t.same(seen, ['raw'])
})
