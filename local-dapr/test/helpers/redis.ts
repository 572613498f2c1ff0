// Redis for tests: `REDIS_URL` (CI starts one on a free port). Without it a test skips
// with a visible reason, except under CI, where a missing Redis is a failure.
import type { Test } from 'tap'
import { freePort } from '../../src/runner/runner.js'

/**
 * Returns REDIS_URL, or undefined after skipping (or, with CI set, failing) the test.
 *
 * @example
 * const url = redisUrlOrSkip(t)
 * if (url === undefined) return
 */
export function redisUrlOrSkip (t: Test, env: Record<string, string | undefined> = process.env): string | undefined {
  const url = env.REDIS_URL
  if (url !== undefined && url !== '') return url
  if (env.CI !== undefined && env.CI !== '') {
    t.fail('REDIS_URL is not set, and CI needs the Redis tests to run')
  } else {
    const reason = 'REDIS_URL is not set: start a redis-server and export REDIS_URL=redis://127.0.0.1:<port>'
    t.pass(reason, { skip: reason })
  }
  return undefined
}

/** `host:port` of a redis:// URL, the form `redisHost` metadata takes. */
export function redisHostOf (url: string): string {
  const u = new URL(url)
  return `${u.hostname}:${u.port === '' ? '6379' : u.port}`
}

export interface OwnRedisServer {
  port: number
  /** Starts it (again) on the same port; resolves once it accepts connections. */
  start: () => Promise<void>
  /** Stops it; resolves once the process has exited. */
  stop: () => Promise<void>
}

/**
 * A redis-server of the test's own on a free port (`REDIS_SERVER_BIN`, else `redis-server`
 * on PATH), stopped at teardown. Extra arguments go to the server (e.g. cluster mode).
 */
export async function ownRedisServer (t: Test, extraArgs: string[] = [], env: Record<string, string | undefined> = process.env): Promise<OwnRedisServer> {
  const { spawn } = await import('node:child_process')
  const { mkdtemp, rm } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const port = await freePort()
  const dir = await mkdtemp(join(tmpdir(), 'redis-test-'))
  const bin = env.REDIS_SERVER_BIN ?? 'redis-server'
  let child: import('node:child_process').ChildProcess | undefined

  const stop = async (): Promise<void> => {
    const c = child
    child = undefined
    if (c === undefined || c.exitCode !== null) return
    await new Promise((resolve) => { c.once('exit', resolve); c.kill('SIGKILL') })
  }
  const start = async (): Promise<void> => {
    const c = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extraArgs], { stdio: ['ignore', 'pipe', 'inherit'] })
    child = c
    await new Promise<void>((resolve, reject) => {
      let out = ''
      c.once('error', reject)
      c.once('exit', (code) => reject(new Error(`redis-server exited with ${String(code)}: ${out}`)))
      c.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8')
        if (out.includes('Ready to accept connections')) resolve()
      })
    })
  }
  t.teardown(async () => {
    await stop()
    await rm(dir, { recursive: true, force: true })
  })
  await start()
  return { port, start, stop }
}

/** A port nothing listens on (just released by the OS). */
export { freePort }
