// Captures pino's JSON lines in memory, through the services' own logger setup.
import { Writable } from 'node:stream'
import type { Logger } from 'pino'
import { createLogger } from '../../src/shared/logger.js'

export interface CapturedLogs {
  logger: Logger
  /** Every line so far, parsed. */
  lines: Array<Record<string, unknown>>
  /** Every line so far, as written. */
  raw: () => string
}

export function captureLogs (level = 'trace'): CapturedLogs {
  const chunks: string[] = []
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      const text = chunk.toString('utf8')
      chunks.push(text)
      for (const line of text.split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>)
      callback()
    }
  })
  return { logger: createLogger(level, stream), lines, raw: () => chunks.join('') }
}
