// One pino setup for both services: JSON lines (pino-pretty is not installed, and log
// collectors want JSON anyway), level from config, and API tokens censored wherever a
// headers object is logged.
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino'

/** Where a token can appear in a log object: Fastify's `req`, or a headers object logged directly. */
export const REDACT_PATHS = [
  'req.headers["dapr-api-token"]',
  'req.headers.authorization',
  'request.headers["dapr-api-token"]',
  'headers["dapr-api-token"]',
  'headers.authorization'
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
