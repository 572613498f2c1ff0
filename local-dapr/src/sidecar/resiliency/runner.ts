// Runs one operation under a policy the way daprd's NewRunnerWithOptions does
// (pkg/resiliency/policy.go): each attempt gets the timeout, the circuit breaker sees every
// attempt (timeouts included), and the retry loop around both decides what happens next.
// Errors carrying a status code (CodeError) are retried only when `matching` allows it;
// every other error is retried unless marked permanent.
import type { Logger } from 'pino'
import { newBackOff, type RetryConfig } from './backoff.js'
import { BreakerOpenError, BreakerTooManyRequestsError, type CircuitBreaker } from './breaker.js'
import { formatGoDuration, nsToMs } from './duration.js'
import { codeNeedsRetry, type RetryMatching } from './matching.js'

export interface RetryPolicy {
  name: string
  config: RetryConfig
  matching: RetryMatching
}

export interface PolicyDefinition {
  /** daprd's operation name: `endpoint[nodeapp, nodeapp:neworder]`, `component[statestore] output`. */
  name: string
  /** 0 = no timeout. */
  timeoutNs: bigint
  retry: RetryPolicy | undefined
  breaker: CircuitBreaker | undefined
}

export type PolicyLogger = Pick<Logger, 'debug' | 'info' | 'warn'>

/** `HasRetries`: a retry policy whose maxRetries is not 0 (the request body must be kept to replay it). */
export function hasRetries (def: PolicyDefinition | undefined): boolean {
  return def?.retry !== undefined && def.retry.config.maxRetries !== 0
}

/** An error with an HTTP (100-599) or gRPC (0-16) status code, for `matching`. */
export class CodeError<D = unknown> extends Error {
  readonly code = 'RESILIENCY_ERR_CODE'
  readonly status: number
  readonly detail: D
  constructor (status: number, message: string, detail: D) {
    super(message)
    this.name = 'CodeError'
    this.status = status
    this.detail = detail
  }
}

/** `backoff.Permanent`: stops the retry loop; the runner rejects with `cause`. */
export class PermanentError extends Error {
  readonly code = 'RESILIENCY_ERR_PERMANENT'
  constructor (readonly reason: unknown) {
    super((reason as Error).message)
    this.name = 'PermanentError'
  }
}

/** A policy timeout (Go's context.DeadlineExceeded). */
export class DeadlineExceededError extends Error {
  readonly code = 'RESILIENCY_ERR_TIMEOUT'
  constructor () {
    super('context deadline exceeded')
    this.name = 'DeadlineExceededError'
  }
}

/** The caller went away (Go's context.Canceled). */
export class CanceledError extends Error {
  readonly code = 'RESILIENCY_ERR_CANCELED'
  constructor () {
    super('context canceled')
    this.name = 'CanceledError'
  }
}

export type Operation<T> = (signal: AbortSignal, attempt: number) => Promise<T>

export interface RunOptions<T> {
  logger: PolicyLogger
  /** The caller's signal (daprd: the request context). */
  signal?: AbortSignal | undefined
  /** Gets a result that arrived after its attempt timed out (to release it). */
  dispose?: ((value: T) => void) | undefined
}

const NEVER = new AbortController().signal

/** Resolves false as soon as `signal` aborts (callers check it is not aborted yet). */
function sleep (ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const onAbort = (): void => { clearTimeout(timer); resolve(false) }
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(true) }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

function withTimeout<T> (op: Operation<T>, def: PolicyDefinition, opts: RunOptions<T>): Operation<T> {
  const ms = nsToMs(def.timeoutNs)
  return (parent, attempt) => new Promise<T>((resolve, reject) => {
    const ac = new AbortController()
    const onAbort = (): void => ac.abort(parent.reason)
    parent.addEventListener('abort', onAbort, { once: true })
    if (parent.aborted) ac.abort(parent.reason)
    let settled = false
    const finish = (): void => { settled = true; clearTimeout(timer); parent.removeEventListener('abort', onAbort) }
    const timer = setTimeout(() => {
      finish()
      opts.logger.debug({ policy: 'timeout', operation: def.name, timeout: formatGoDuration(def.timeoutNs), attempt }, `Operation ${def.name} timed out after ${formatGoDuration(def.timeoutNs)}`)
      const err = new DeadlineExceededError()
      ac.abort(err)
      reject(err)
    }, ms)
    op(ac.signal, attempt).then((v) => {
      if (settled) return opts.dispose?.(v)
      finish()
      resolve(v)
    }, (err: unknown) => {
      if (settled) return
      finish()
      reject(err)
    })
  })
}

function withBreaker<T> (op: Operation<T>, breaker: CircuitBreaker, def: PolicyDefinition, logger: PolicyLogger): Operation<T> {
  return async (signal, attempt) => {
    try {
      return await breaker.execute(() => op(signal, attempt))
    } catch (err) {
      if (err instanceof BreakerOpenError || err instanceof BreakerTooManyRequestsError) {
        logger.debug({ policy: 'circuitBreaker', operation: def.name, breaker: breaker.name, state: breaker.state() }, `Circuit breaker "${breaker.name}" rejected operation ${def.name}: ${err.message}`)
        // Break out of the retry loop: a short-circuited call is not retried.
        throw new PermanentError(err)
      }
      throw err
    }
  }
}

async function withRetry<T> (op: Operation<T>, def: PolicyDefinition, retry: RetryPolicy, parent: AbortSignal, logger: PolicyLogger): Promise<T> {
  const backoff = newBackOff(retry.config)
  let notified = false
  const attemptAt = async (attempt: number): Promise<T> => {
    try {
      const value = await op(parent, attempt)
      if (notified) logger.info({ policy: 'retry', operation: def.name, attempts: attempt }, `Recovered processing operation ${def.name} after ${attempt} attempts`)
      return value
    } catch (err) {
      if (err instanceof PermanentError) throw err
      if (err instanceof CodeError && !codeNeedsRetry(retry.matching, err.status)) throw err
      const next = parent.aborted ? undefined : backoff.next()
      if (next === undefined) {
        if (parent.aborted) throw new CanceledError()
        logger.debug({ policy: 'retry', operation: def.name, attempts: attempt }, `Operation ${def.name} failed after ${attempt} attempts, retry policy ${retry.name} exhausted`)
        throw err
      }
      const wait = formatGoDuration(next)
      if (!notified) {
        // daprd (dapr/kit NotifyRecover) logs the first retry of an operation only.
        notified = true
        logger.warn({ policy: 'retry', operation: def.name }, `Error processing operation ${def.name}. Retrying in ${wait}…`)
        logger.debug(`Error for operation ${def.name} was: ${(err as Error).message}`)
      }
      logger.debug({ policy: 'retry', operation: def.name, attempt, retryIn: wait, err: (err as Error).message }, `Retrying operation ${def.name} in ${wait} (attempt ${attempt} failed, policy ${retry.name})`)
      if (!await sleep(nsToMs(next), parent)) throw new CanceledError()
      return await attemptAt(attempt + 1)
    }
  }
  return await attemptAt(1)
}

/**
 * Runs `op` with the policy's timeout, circuit breaker and retries; with no policy, once.
 * Rejects with the last error (a PermanentError's reason, unwrapped).
 * @example
 * const value = await runPolicy(provider.componentOutboundPolicy('statestore'), (signal) => store.get(key, meta), { logger })
 */
export async function runPolicy<T> (def: PolicyDefinition | undefined, op: Operation<T>, opts: RunOptions<T>): Promise<T> {
  const parent = opts.signal ?? NEVER
  try {
    if (def === undefined) return await op(parent, 0)
    let operation = op
    if (def.timeoutNs > 0n) operation = withTimeout(operation, def, opts)
    if (def.breaker !== undefined) operation = withBreaker(operation, def.breaker, def, opts.logger)
    if (def.retry === undefined) return await operation(parent, 0)
    return await withRetry(operation, def, def.retry, parent, opts.logger)
  } catch (err) {
    throw err instanceof PermanentError ? err.reason : err
  }
}
