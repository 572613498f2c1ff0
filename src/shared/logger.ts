// One pino setup for both services: JSON lines (what log collectors want), pino-pretty's
// readable lines when stdout is a terminal and pino-pretty is installed (a development
// dependency: the image never has it, and never needs it), level from config, and tokens
// censored wherever a headers object or the environment is logged.
import { createRequire } from 'node:module'
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino'
import type { PrettyOptions } from 'pino-pretty'

/** Where a token can appear in a log object: Fastify's `req`, a headers object, or config/env. */
export const REDACT_PATHS = [
  'req.headers["dapr-api-token"]',
  'req.headers.authorization',
  'request.headers["dapr-api-token"]',
  'headers["dapr-api-token"]',
  'headers.authorization',
  'APP_API_TOKEN',
  'DAPR_API_TOKEN',
  '*.APP_API_TOKEN',
  '*.DAPR_API_TOKEN'
]

export function loggerOptions (level: string): LoggerOptions {
  return { level, redact: { paths: REDACT_PATHS, censor: '[Redacted]' } }
}

/**
 * Creates the process logger; tests pass a `destination` to capture the lines.
 * @example
 * const log = createLogger('info')
 * log.info({ orderId: '42' }, 'Got a new order! Order ID: 42')
 */
export function createLogger (level: string, destination?: DestinationStream): Logger {
  return destination === undefined ? pino(loggerOptions(level)) : pino(loggerOptions(level), destination)
}

/**
 * What a person reading a terminal needs of a line: the time, the level, the message and the
 * fields that are not bookkeeping (ids that repeat the message, the host, the process).
 */
export const PRETTY_OPTIONS: PrettyOptions = {
  translateTime: 'SYS:HH:MM:ss.l',
  ignore: 'pid,hostname,reqId,traceId,orderId',
  singleLine: true
}

/** Output streams a process logger can write to; `process.stdout` by default. */
export type ProcessOutput = NodeJS.WritableStream & { isTTY?: boolean }

export interface ProcessLoggerOptions {
  out?: ProcessOutput | undefined
  /**
   * Called once when a write to the output fails for good (EPIPE: the reader is gone; EIO: the
   * terminal is). Default: raise SIGHUP at this process, so it closes the way a hang-up does.
   */
  onOutputLost?: ((err: NodeJS.ErrnoException) => void) | undefined
  /** Loads pino-pretty; tests replace it to see the fallback when it is not installed. */
  loadPretty?: (() => typeof import('pino-pretty')) | undefined
}

const requireHere = createRequire(import.meta.url)

/**
 * The servers' logger: JSON lines, or pino-pretty's lines when `out` is a terminal and
 * pino-pretty can be loaded. A write that fails because the output went away ends the process
 * through `onOutputLost` instead of leaving it running deaf or crashing it.
 * @example
 * const logger = createProcessLogger(config.LOG_LEVEL)
 */
export function createProcessLogger (level: string, options: ProcessLoggerOptions = {}): Logger {
  const out = options.out ?? process.stdout
  const lost = onceOutputLost(options.onOutputLost ?? raiseHangup)
  // process.stdout goes through pino's SonicBoom on fd 1, asynchronous as pino's default
  // except on a terminal. There it writes synchronously: an asynchronous SonicBoom flushes
  // at exit with a loop that retries every error but EAGAIN for ever (sonic-boom 4.2), so a
  // process whose terminal went away with a line pending would hang in exit. Any other
  // stream (a test's) is written to directly.
  const sink: DestinationStream & NodeJS.EventEmitter = out === process.stdout ? pino.destination({ fd: 1, sync: out.isTTY === true }) : out
  sink.on('error', lost)
  const pretty = out.isTTY === true ? loadPrettyOrNot(options.loadPretty) : undefined
  if (pretty === undefined) return createLogger(level, sink)
  const stream = pretty({ ...PRETTY_OPTIONS, colorize: true, destination: sink })
  stream.on('error', lost)
  return createLogger(level, stream)
}

function loadPrettyOrNot (load: ProcessLoggerOptions['loadPretty']): typeof import('pino-pretty') | undefined {
  try {
    return (load ?? (() => requireHere('pino-pretty') as typeof import('pino-pretty')))()
  } catch {
    return undefined
  }
}

/** EPIPE and EIO mean the output is gone; anything else is an ordinary error and re-thrown. */
export function onceOutputLost (onLost: (err: NodeJS.ErrnoException) => void): (err: NodeJS.ErrnoException) => void {
  let called = false
  return (err) => {
    if (err.code !== 'EPIPE' && err.code !== 'EIO') throw err
    if (called) return
    called = true
    onLost(err)
  }
}

function raiseHangup (): void {
  process.kill(process.pid, 'SIGHUP')
}
