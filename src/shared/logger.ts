// One pino setup for both services: JSON lines (what log collectors want), a small readable
// form when stdout is a terminal (pino-pretty is not a dependency), level from config, and
// tokens censored wherever a headers object or the environment is logged.
import { Writable } from 'node:stream'
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino'

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
 * The servers' logger: JSON lines, or `prettyStream` when `out` is a terminal.
 * @example
 * const logger = createProcessLogger(config.LOG_LEVEL)
 */
export function createProcessLogger (level: string, out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout): Logger {
  return createLogger(level, out.isTTY === true ? prettyStream(out) : undefined)
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' }

/**
 * One JSON log line as `HH:MM:SS.mmm LEVEL message key=value ...`, an error's stack indented
 * below it. Anything that is not a JSON object passes through unchanged.
 * @example
 * prettyLine('{"level":30,"time":0,"msg":"hi","orderId":"42"}') // '00:00:00.000 INFO  hi orderId=42\n'
 */
export function prettyLine (line: string): string {
  let entry: unknown
  try {
    entry = JSON.parse(line)
  } catch {
    return `${line}\n`
  }
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return `${line}\n`
  const { level, time, msg, pid: _pid, hostname: _hostname, ...fields } = entry as Record<string, unknown>
  const when = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : '--:--:--.---'
  const name = (LEVELS[level as number] ?? String(level)).padEnd(5)
  const stack = (fields.err as { stack?: unknown } | undefined)?.stack
  // The stack goes below the line; the error's other fields (type, message, code) stay in it.
  if (typeof stack === 'string') fields.err = { ...(fields.err as object), stack: undefined }
  const pairs = Object.entries(fields).map(([k, v]) => ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join('')
  const below = typeof stack === 'string' ? `\n    ${stack.split('\n').join('\n    ')}` : ''
  return `${when} ${name} ${typeof msg === 'string' ? msg : ''}${pairs}${below}\n`
}

/** A destination that writes each JSON line `prettyLine`-formatted to `out`. */
export function prettyStream (out: NodeJS.WritableStream): Writable {
  return new Writable({
    write (chunk: Buffer, _encoding, callback) {
      const text = chunk.toString('utf8')
      for (const line of text.split('\n')) if (line !== '') out.write(prettyLine(line))
      callback()
    }
  })
}
