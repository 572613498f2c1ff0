// Order ids that stay unique across restarts and replicas: each generator reserves a block
// of ids at a time from a counter in its own Dapr state, with an ETag-guarded update, and
// hands them out locally. A restart skips the rest of its block; it never reuses an id.
import type { StateApi } from '../sidecar/index.js'

export interface IdAllocatorOptions {
  sidecar: { state: Pick<StateApi, 'update'> }
  storeName: string
  counterKey: string
  blockSize: number
}

export interface IdAllocator {
  /** The next unused id, as a decimal string (a valid order id). */
  next (): Promise<string>
}

/** The counter key holds something that is not a counter; refusing beats reusing ids. */
export class CounterCorruptError extends Error {
  readonly code = 'GENERATOR_ERR_COUNTER_CORRUPT'
  constructor (key: string, value: unknown) {
    super(`state key ${key} holds ${JSON.stringify(value)}, not a non-negative integer counter; refusing to guess which ids are free`)
    this.name = 'CounterCorruptError'
  }
}

/**
 * @example
 * const ids = createIdAllocator({ sidecar, storeName: 'statestore', counterKey: 'order-id-counter', blockSize: 100 })
 * await ids.next() // '1' on a fresh store, '101' after a restart
 */
export function createIdAllocator (options: IdAllocatorOptions): IdAllocator {
  let next = 1
  let last = 0
  let reserving: Promise<void> | undefined

  async function reserve (): Promise<void> {
    const { value } = await options.sidecar.state.update<number>(options.storeName, options.counterKey, (current) => {
      const base = current ?? 0
      if (!Number.isSafeInteger(base) || base < 0 || !Number.isSafeInteger(base + options.blockSize)) {
        throw new CounterCorruptError(options.counterKey, current)
      }
      return base + options.blockSize
    })
    next = value - options.blockSize + 1
    last = value
  }

  return {
    async next () {
      // Concurrent callers share one reservation instead of each burning a block.
      while (next > last) {
        reserving ??= reserve().finally(() => { reserving = undefined })
        await reserving
      }
      return String(next++)
    }
  }
}
