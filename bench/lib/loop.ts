// The closed-loop load every measuring child uses: `concurrency` workers each awaiting one
// call at a time, run in windows the driver asks for. Windows of the contenders of one
// comparison alternate (see interleave.ts), so a change in the shared machine's load hits
// all of them alike. Latency (ns histogram), completed calls and this process's CPU time
// (all threads, user + system) are summed over the measured windows only.
import { createHistogram } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Message } from './proc.js'

export interface LoadSummary {
  ops: number
  errors: number
  firstError: string | undefined
  windows: number
  windowMs: number
  opsPerSec: number
  p50Us: number
  p99Us: number
  /** User + system CPU of the load process per completed call, over the measured windows. */
  cpuUsPerCall: number
}

/** One window: `ops` recorded (after the lead-in), `calls` every call that completed in it. */
export interface WindowResult { ops: number, calls: number, ms: number, errors: number }

export interface Load {
  /**
   * Runs for `ms`. A measured run records the calls that complete after `leadMs`; an
   * unmeasured (warm-up) run goes on until `minOps` calls or `capMs`.
   */
  run (ms: number, measure: boolean, minOps?: number, capMs?: number, leadMs?: number): Promise<WindowResult>
  summary (): LoadSummary
}

export function createLoad (call: () => Promise<unknown>, concurrency: number): Load {
  const hist = createHistogram()
  let ops = 0
  let errors = 0
  let firstError: string | undefined
  let windows = 0
  let windowMs = 0
  let cpuUs = 0

  async function run (ms: number, measure: boolean, minOps = 0, capMs = ms, leadMs = 0): Promise<WindowResult> {
    // One object for the window's state: the workers read flags that the timers below set.
    const w = { stopping: false, recording: false, done: 0, calls: 0, failed: 0 }
    async function worker (): Promise<void> {
      while (!w.stopping) {
        const t0 = process.hrtime.bigint()
        try {
          await call()
        } catch (err) {
          w.failed++
          firstError ??= err instanceof Error ? `${err.name}: ${err.message}` : String(err)
          // A failing call must not turn into a tight loop that hides the failure in the numbers.
          await new Promise((resolve) => setTimeout(resolve, 1))
          continue
        }
        w.calls++
        if (w.recording) {
          hist.record(Math.max(1, Number(process.hrtime.bigint() - t0)))
          w.done++
        }
      }
    }
    const started = performance.now()
    const workers = Array.from({ length: concurrency }, worker)
    let recorded = 0
    let cpu: NodeJS.CpuUsage = { user: 0, system: 0 }
    if (measure) {
      // Count only calls that complete after the lead-in, when every worker has a call in
      // flight: the pipeline is full, and a slow target is not charged for the ramp-up.
      await sleep(leadMs)
      const cpu0 = process.cpuUsage()
      const from = performance.now()
      w.recording = true
      await sleep(ms - leadMs)
      w.recording = false
      recorded = performance.now() - from
      cpu = process.cpuUsage(cpu0)
    } else {
      await sleep(ms)
      // Warm up by calls, not by time: on a busy machine a fixed time may leave the JIT cold.
      while (w.calls < minOps && performance.now() - started < capMs) await sleep(50)
    }
    w.stopping = true
    // Calls in flight finish unrecorded before the next contender's window starts.
    await Promise.all(workers)
    if (measure) {
      ops += w.done
      errors += w.failed
      windows++
      windowMs += recorded
      cpuUs += cpu.user + cpu.system
    }
    return { ops: measure ? w.done : w.calls, calls: w.calls, ms: measure ? recorded : performance.now() - started, errors: w.failed }
  }

  function summary (): LoadSummary {
    return {
      ops,
      errors,
      firstError,
      windows,
      windowMs,
      opsPerSec: windowMs > 0 ? ops / (windowMs / 1000) : NaN,
      p50Us: ops > 0 ? hist.percentile(50) / 1000 : NaN,
      p99Us: ops > 0 ? hist.percentile(99) / 1000 : NaN,
      cpuUsPerCall: ops > 0 ? cpuUs / ops : NaN
    }
  }

  return { run, summary }
}

/**
 * The child side of the window protocol: answers { type: 'run', ms, measure } with
 * { type: 'ran', ... }, and { type: 'finish' } with { type: 'result', ...summary, ...extra() }
 * before closing and leaving. Sends { type: 'ready' } first.
 */
export function serveLoad (load: Load, close: () => Promise<void>, extra: () => Record<string, unknown> = () => ({})): void {
  process.on('message', (msg: Message) => {
    if (msg.type === 'run') {
      load.run(msg.ms as number, msg.measure === true, msg.minOps as number | undefined, msg.capMs as number | undefined, msg.leadMs as number | undefined)
        .then((r) => process.send?.({ type: 'ran', ...r }))
    } else if (msg.type === 'finish') {
      const result = { type: 'result', ...load.summary(), ...extra() }
      close().finally(() => {
        process.send?.(result, () => process.disconnect?.())
      })
    }
  })
  // The driver is gone (killed, crashed): stop at once instead of idling forever.
  process.once('disconnect', () => process.exit(0))
  process.send?.({ type: 'ready' })
}
