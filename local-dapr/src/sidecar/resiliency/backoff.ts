// Retry back-off as daprd builds it (dapr/kit retry.Config.NewBackOff over cenkalti/backoff v4).
// constant: `duration` between attempts (default 5 s). exponential: starts at 500 ms, x1.5 per
// retry, ±50 % jitter, the interval (not the jittered delay) capped at `maxInterval` (default
// 60 s), and no retry once 15 minutes have passed. `maxRetries`: -1 (the default) = no limit,
// 0 = no retry at all.

export interface RetryConfig {
  policy: 'constant' | 'exponential'
  durationNs: bigint
  initialIntervalNs: bigint
  randomizationFactor: number
  multiplier: number
  maxIntervalNs: bigint
  /** 0 = no limit. */
  maxElapsedNs: bigint
  maxRetries: number
}

/** dapr/kit `retry.DefaultConfig()`. */
export function defaultRetryConfig (): RetryConfig {
  return {
    policy: 'constant',
    durationNs: 5_000_000_000n,
    initialIntervalNs: 500_000_000n,
    randomizationFactor: 0.5,
    multiplier: 1.5,
    maxIntervalNs: 60_000_000_000n,
    maxElapsedNs: 900_000_000_000n,
    maxRetries: -1
  }
}

export interface BackOff {
  /** The wait before the next attempt in nanoseconds, or undefined to stop retrying. */
  next (): bigint | undefined
}

/**
 * A fresh back-off for one operation (they keep state; daprd builds one per call).
 * @example
 * const b = newBackOff({ ...defaultRetryConfig(), maxRetries: 2 })
 * b.next() // 5_000_000_000n
 */
export function newBackOff (c: RetryConfig, random: () => number = Math.random, now: () => number = Date.now): BackOff {
  let inner: () => bigint | undefined
  if (c.policy === 'constant') {
    inner = () => c.durationNs
  } else {
    let current = c.initialIntervalNs
    const start = now()
    inner = () => {
      const elapsedNs = BigInt(Math.round((now() - start) * 1e6))
      let next = current
      if (c.randomizationFactor !== 0) {
        const cur = Number(current)
        const delta = c.randomizationFactor * cur
        const min = cur - delta
        next = BigInt(Math.trunc(min + random() * (cur + delta - min + 1)))
      }
      current = Number(current) >= Number(c.maxIntervalNs) / c.multiplier ? c.maxIntervalNs : BigInt(Math.trunc(Number(current) * c.multiplier))
      if (c.maxElapsedNs !== 0n && elapsedNs + next > c.maxElapsedNs) return undefined
      return next
    }
  }
  if (c.maxRetries < 0) return { next: inner }
  let tries = 0
  return {
    next () {
      if (tries >= c.maxRetries) return undefined
      tries++
      return inner()
    }
  }
}
