// Part 4, start-up: spawn (on the server CPU) to the first 200 on /healthz, polled every 2 ms
// on a fresh connection, on Node 20 (this machine's) and Node 24 (the image's, installed from
// npm into the bench cache), side by side, the contenders rotated every round:
//   floor         `node -e ''`, spawn to exit
//   noop          the no-op Fastify app (bench/cells/noop-server.ts): the target (issue 14)
//   order-files   the order service as one JavaScript file per module (what `tsc` emits)
//   order-bundle  the esbuild bundle alone (dist/order/server.js)
//   order-main    the production build: the bundle through main.js, which turns on Node's
//                 compile cache where the runtime has it (Node >= 22.1)
// What each step buys is the difference between neighbours. The compile cache lives in a
// directory of its own per runtime (TMPDIR, as os.tmpdir() in the pods is an emptyDir);
// the discarded first round fills it, as the first start of a pod would.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { rotate, type Context } from '../lib/context.js'
import { spawnCommand } from '../lib/proc.js'
import { freePort } from '../lib/servers.js'
import { spread, type Spread } from '../lib/stats.js'

export const STARTUP_WHATS = ['floor', 'noop', 'order-files', 'order-bundle', 'order-main'] as const
export type StartupWhat = typeof STARTUP_WHATS[number]

export interface StartupCell {
  runtime: string
  what: StartupWhat
  runsMs: number[]
  ms: Spread
}

export interface StartupSection {
  runtimes: Array<{ name: string, version: string }>
  cells: StartupCell[]
  notes: string[]
}

export async function startupSection (ctx: Context, skipped: string[]): Promise<StartupSection> {
  const runtimes: Array<{ name: string, version: string, bin: string }> = [{ name: 'node20', version: process.version, bin: process.execPath }]
  try {
    const bin = await ensureNode24(ctx)
    const version = (await promisify(execFile)(bin, ['--version'])).stdout.trim()
    runtimes.push({ name: 'node24', version, bin })
  } catch (err) {
    const reason = `start-up on Node 24: could not install node@24 from npm (${(err as Error).message.split('\n')[0] ?? ''})`
    skipped.push(reason)
    ctx.log(reason)
  }
  const reps = ctx.mode.name === 'quick' ? 2 : 7
  const cells: StartupCell[] = []
  for (const runtime of runtimes) {
    const cacheDir = await mkdtemp(join(tmpdir(), `orders-bench-compile-cache-${runtime.name}-`))
    const runs = new Map<StartupWhat, number[]>(STARTUP_WHATS.map((w) => [w, []]))
    try {
      for (let rep = -1; rep < reps; rep++) {
        for (const what of rotate(STARTUP_WHATS, rep + 1)) {
          const ms = await timeOne(ctx, runtime.bin, what, cacheDir)
          if (rep >= 0) runs.get(what)?.push(ms)
        }
      }
    } finally {
      await rm(cacheDir, { recursive: true, force: true })
    }
    for (const what of STARTUP_WHATS) {
      const list = runs.get(what) ?? []
      cells.push({ runtime: runtime.name, what, runsMs: list, ms: spread(list) })
    }
    ctx.log(`startup ${runtime.name} (${runtime.version}): ${STARTUP_WHATS.map((w) => `${w} ${spread(runs.get(w) ?? []).median.toFixed(0)} ms`).join(', ')}`)
  }
  return {
    runtimes: runtimes.map(({ name, version }) => ({ name, version })),
    cells,
    notes: [
      `${reps} rounds per runtime after one discarded round (page cache, compile cache), the contenders rotated every round; median with (min–max).`,
      'Spawned with taskset on the server CPU; LOG_LEVEL=warn; no sidecar (liveness does not need one). The compile cache is Node\'s own (module.enableCompileCache, Node >= 22.1): on Node 20 main.js is the bundle plus one more module.'
    ]
  }
}

/** Node 24 from the npm registry (the `node` package), cached next to the bench build. */
async function ensureNode24 (ctx: Context): Promise<string> {
  const dir = join(ctx.buildDir, 'node24')
  const bin = join(dir, 'node_modules', 'node', 'bin', 'node')
  if (existsSync(bin)) return bin
  await mkdir(dir, { recursive: true })
  ctx.log('installing node@24 from npm into the bench cache (once)')
  await promisify(execFile)('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--no-save', 'node@24'], { timeout: 600_000 })
  if (!existsSync(bin)) throw new Error(`npm installed node@24 but ${bin} is missing`)
  return bin
}

async function timeOne (ctx: Context, node: string, what: StartupWhat, cacheDir: string): Promise<number> {
  const env: Record<string, string | undefined> = { ...process.env, NODE_COMPILE_CACHE: undefined, NODE_OPTIONS: undefined, LOG_LEVEL: 'warn', HOST: '127.0.0.1', APP_API_TOKEN: undefined, DAPR_API_TOKEN: undefined }
  if (what === 'floor') {
    const t0 = performance.now()
    const child = spawnCommand([node, '-e', ''], { cpu: ctx.cpus.server, env })
    await child.exited
    return performance.now() - t0
  }
  const port = await freePort()
  env.PORT = String(port)
  env.DAPR_HTTP_PORT = String(await freePort())
  if (what === 'order-main') env.TMPDIR = cacheDir
  const script = what === 'noop'
    ? ctx.built('bench/cells/noop-server.js')
    : what === 'order-files' ? ctx.built('src/order/server.js') : ctx.bundled('order', what === 'order-bundle' ? 'server.js' : 'main.js')
  const { request } = await import('undici')
  const t0 = performance.now()
  const child = spawnCommand([node, script], { cpu: ctx.cpus.server, env, cwd: ctx.root })
  try {
    const deadline = t0 + 20_000
    while (performance.now() < deadline) {
      if (child.proc.exitCode !== null) throw new Error(`${what} exited (${child.proc.exitCode})\n${child.tail()}`)
      try {
        const res = await request(`http://127.0.0.1:${port}/healthz`, { reset: true })
        await res.body.dump()
        if (res.statusCode === 200) return performance.now() - t0
      } catch {}
      await sleep(2)
    }
    throw new Error(`${what} did not answer /healthz within 20 s\n${child.tail()}`)
  } finally {
    await child.stop()
  }
}
