// The parent side of the window protocol: several load processes (one per contender, each
// fresh) take turns, one window at a time, in an order rotated every round. Only one runs at
// any moment, so each gets the whole client CPU while it runs.
import { rotate } from './context.js'
import type { LoadSummary, WindowResult } from './loop.js'
import type { Child, Message } from './proc.js'

export interface Contender {
  name: string
  child: Child
}

export interface WindowPlan {
  warmupMs: number
  /** The warm-up window lasts until this many calls (at most warmupCapMs). */
  warmupCalls: number
  warmupCapMs: number
  windowMs: number
  /** The start of every measured window that is not counted (the closed loop filling up). */
  leadMs: number
  rounds: number
  /** Around every window: e.g. read the stub's connection counters, sample a server's RSS. */
  before?: (name: string, measured: boolean) => Promise<void>
  after?: (name: string, measured: boolean, ran: WindowResult) => Promise<void>
}

export async function interleave (contenders: readonly Contender[], plan: WindowPlan): Promise<Map<string, LoadSummary & Record<string, unknown>>> {
  await Promise.all(contenders.map(async (c) => await c.child.next('ready', 60_000)))
  const window = async (c: Contender, ms: number, measure: boolean): Promise<void> => {
    await plan.before?.(c.name, measure)
    c.child.send({ type: 'run', ms, measure, minOps: measure ? 0 : plan.warmupCalls, capMs: plan.warmupCapMs, leadMs: plan.leadMs })
    const ran = await c.child.next<Message & WindowResult>('ran', Math.max(ms, plan.warmupCapMs) + 30_000)
    await plan.after?.(c.name, measure, ran)
  }
  for (const c of contenders) await window(c, plan.warmupMs, false)
  for (let round = 0; round < plan.rounds; round++) {
    for (const c of rotate(contenders, round)) await window(c, plan.windowMs, true)
  }
  const out = new Map<string, LoadSummary & Record<string, unknown>>()
  for (const c of contenders) {
    c.child.send({ type: 'finish' })
    const { type: _type, ...summary } = await c.child.next<Message & LoadSummary>('result', 30_000)
    out.set(c.name, summary)
  }
  return out
}
