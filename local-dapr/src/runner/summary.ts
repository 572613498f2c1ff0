// What `run` prints once every process has stopped: the order counts an app reported as it
// closed (a JSON log line with numeric `sent`, `delivered` and `failed`, as the generator's
// closing line has), and whether every port the runner handed out can be bound again.
import { createServer } from 'node:net'

export interface OrderCounts { sent: number, delivered: number, failed: number }

/** The counts a JSON log line carries, or undefined. */
export function countsOf (line: string): OrderCounts | undefined {
  let entry: unknown
  try {
    entry = JSON.parse(line)
  } catch {
    return undefined
  }
  const { sent, delivered, failed } = (entry ?? {}) as Record<string, unknown>
  if (typeof sent !== 'number' || typeof delivered !== 'number' || typeof failed !== 'number') return undefined
  return { sent, delivered, failed }
}

/** Resolves true when `port` can be bound on 127.0.0.1 (nothing listens there any more). */
export async function portIsFree (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => resolve(false))
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)))
  })
}

export interface Summary {
  /** Give it every app output line (RunOptions.onAppLine). */
  onAppLine (appId: string, line: string): void
  /** The closing lines, after checking `ports`. */
  render (ports: readonly number[]): Promise<string>
}

/**
 * @example
 * const summary = createSummary()
 * const system = await startSystem({ ..., onAppLine: summary.onAppLine })
 * await system.stop()
 * out.write(await summary.render([3000, 50001]))
 */
export function createSummary (isFree: (port: number) => Promise<boolean> = portIsFree): Summary {
  const counts = new Map<string, OrderCounts>()
  return {
    onAppLine: (appId, line) => {
      const found = countsOf(line)
      if (found !== undefined) counts.set(appId, found)
    },
    render: async (ports) => {
      const lines = [...counts].map(([appId, c]) => `${appId}: ${c.sent} ${c.sent === 1 ? 'order' : 'orders'} sent, ${c.delivered} delivered, ${c.failed} failed`)
      if (lines.length === 0) lines.push('No app reported order counts.')
      const unique = [...new Set(ports)].sort((a, b) => a - b)
      const busy = (await Promise.all(unique.map(async (p) => await isFree(p) ? undefined : p))).filter((p) => p !== undefined)
      lines.push(busy.length === 0
        ? `Every port is free again (${unique.join(', ')}).`
        : `Still in use: ${busy.join(', ')} (of ${unique.join(', ')}).`)
      return `${lines.join('\n')}\n`
    }
  }
}
