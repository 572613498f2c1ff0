// What every section of the driver gets: where the built files are, the CPU plan, the
// durations of this mode, and a logger that writes progress to stderr.
import { join } from 'node:path'
import type { CpuPlan } from './proc.js'

export interface Mode {
  name: 'full' | 'quick'
  /** Fresh sets of processes per comparison. */
  reps: number
  /** One unmeasured window per process first: at least warmupMs and warmupCalls calls (at most warmupCapMs). */
  warmupMs: number
  warmupCalls: number
  warmupCapMs: number
  /** Measured windows: `rounds` per process per repetition, `windowMs` each, contenders alternating. */
  windowMs: number
  /** Not counted at the start of each measured window: the loop fills up first. */
  leadMs: number
  rounds: number
}

/**
 * Windows for targets whose latency is tens of milliseconds (the services): long enough that
 * the lead-in covers a full round trip at concurrency 32.
 */
export function slowWindows (mode: Mode): Mode {
  return mode.name === 'quick'
    ? { ...mode, windowMs: 600, leadMs: 200, rounds: 2 }
    : { ...mode, windowMs: 800, leadMs: 250, rounds: 3 }
}

export interface Context {
  root: string
  buildDir: string
  cpus: CpuPlan
  mode: Mode
  log (line: string): void
  /** A path inside the built tree, e.g. built('bench/cells/client.js'). */
  built (path: string): string
  /** The production build's entry point of a service (scripts/build.mjs: bundle + main.js). */
  bundled (service: 'order' | 'generator', file?: 'main.js' | 'server.js'): string
}

export function makeContext (root: string, buildDir: string, cpus: CpuPlan, mode: Mode): Context {
  const start = Date.now()
  return {
    root,
    buildDir,
    cpus,
    mode,
    log: (line) => { process.stderr.write(`[bench +${((Date.now() - start) / 1000).toFixed(0).padStart(3)}s] ${line}\n`) },
    built: (path) => join(buildDir, path),
    bundled: (service, file = 'main.js') => join(buildDir, 'dist', service, file)
  }
}

/** The order of A/B/C in repetition `rep`: rotated so no implementation always runs first. */
export function rotate<T> (items: readonly T[], rep: number): T[] {
  const k = rep % items.length
  return [...items.slice(k), ...items.slice(0, k)]
}
