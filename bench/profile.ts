// Where a client's time goes: runs one client cell under `node --cpu-prof` against the stub
// daprd (pinned like the benchmark) and prints the functions with the most self time.
// Usage: node --import tsx bench/profile.ts <ours|sdk|undici> <save|get|delete|invoke> <concurrency> [seconds]
// The .cpuprofile is kept under node_modules/.cache/orders-on-dapr-bench/profiles/ for DevTools or speedscope.
import { mkdir, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildForBench } from './lib/build.js'
import { planCpus, spawnNode, type Message } from './lib/proc.js'

const [impl = 'ours', op = 'save', conc = '32', secs = '4'] = process.argv.slice(2)
const root = fileURLToPath(new URL('..', import.meta.url))
const { outDir } = await buildForBench(root)
const cpus = planCpus()
const dir = join(outDir, 'profiles', `${impl}-${op}-c${conc}-${Date.now()}`)
await mkdir(dir, { recursive: true })

const stub = spawnNode(join(outDir, 'bench/stub-daprd.js'), [], { cpu: cpus.server, ipc: true })
const { port } = await stub.next<Message & { port: number }>('ready', 20_000)
const child = spawnNode(join(outDir, 'bench/cells/client.js'), [JSON.stringify({ impl, op, concurrency: Number(conc), port })], {
  cpu: cpus.client, ipc: true, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=100']
})
await child.next('ready', 30_000)
child.send({ type: 'run', ms: Number(secs) * 1000, measure: true })
const ran = await child.next<Message & { ops: number, ms: number }>('ran', Number(secs) * 1000 + 30_000)
child.send({ type: 'finish' })
const result = await child.next<Message & { cpuUsPerCall: number }>('result', 30_000)
await child.exited
await stub.stop()

interface Node { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, hitCount?: number }
const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'))
if (file === undefined) throw new Error(`no profile written in ${dir}`)
const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as { nodes: Node[] }
const self = new Map<string, number>()
const byPackage = new Map<string, number>()
let total = 0
for (const n of profile.nodes) {
  const hits = n.hitCount ?? 0
  if (hits === 0) continue
  total += hits
  const url = n.callFrame.url.replace(`file://${root}`, '')
  const where = url === '' ? '' : ` ${url.replace(/^.*node_modules\//, '')}:${n.callFrame.lineNumber + 1}`
  const name = `${n.callFrame.functionName || '(anonymous)'}${where}`
  self.set(name, (self.get(name) ?? 0) + hits)
  const pkg = url === '' ? n.callFrame.functionName : url.startsWith('node:') ? 'node internals' : /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? url.replace(/\/[^/]*$/, '')
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits)
}
const pct = (h: number): string => `${(h / total * 100).toFixed(1).padStart(5)}%`
process.stdout.write(`${impl} ${op} c=${conc}: ${Math.round(ran.ops / (ran.ms / 1000))} ops/s, ${result.cpuUsPerCall.toFixed(1)} CPU µs/call (profiler on)\n\nself time by package / directory:\n`)
for (const [k, v] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 12)) process.stdout.write(`${pct(v)}  ${k}\n`)
process.stdout.write('\nfunctions with the most self time:\n')
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) process.stdout.write(`${pct(v)}  ${k}\n`)
process.stdout.write(`\nprofile: ${join(dir, file)}\n`)
