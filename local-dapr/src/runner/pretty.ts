// How the runner shows its children's output: the Dapr CLI's prefixes (`== APP - nodeapp ==`),
// and, when its own output is a terminal, one colour per app and pino-pretty's readable form of
// every JSON log line. Piped output stays exactly what the children wrote.
import { prettyFactory } from 'pino-pretty'

/** What a person reading a terminal needs: time, level, message, and the fields that are not bookkeeping. */
export const PRETTY_OPTIONS = {
  colorize: true,
  translateTime: 'SYS:HH:MM:ss.l',
  ignore: 'pid,hostname,reqId,traceId,orderId,name,app_id',
  singleLine: true
} as const

/** ANSI colours for the prefixes, one per app in run-file order (cyan, magenta, yellow, blue, green, red). */
export const APP_COLOURS = [36, 35, 33, 34, 32, 31] as const

export interface Presentation {
  /** `== APP - id ==` or `== DAPR - id ==`, coloured by the app's place in the run file. */
  prefix (kind: 'APP' | 'DAPR', appId: string, index: number): string
  /** One child output line as written after the prefix. */
  format (line: string): string
}

/**
 * Plain (prefix and line as they are) unless `terminal`; `NO_COLOR` keeps pino-pretty's
 * layout without colours (no-color.org).
 * @example
 * const show = presentation(process.stdout.isTTY === true, process.env)
 * out.write(`${show.prefix('APP', 'nodeapp', 0)} ${show.format(line)}\n`)
 */
export function presentation (terminal: boolean, env: Record<string, string | undefined> = {}): Presentation {
  if (!terminal) return { prefix: (kind, appId) => `== ${kind} - ${appId} ==`, format: (line) => line }
  const colour = env.NO_COLOR === undefined || env.NO_COLOR === ''
  const pretty = prettyFactory({ ...PRETTY_OPTIONS, colorize: colour })
  return {
    prefix: (kind, appId, index) => {
      const text = `== ${kind} - ${appId} ==`
      return colour ? `\u001b[${APP_COLOURS[index % APP_COLOURS.length]}m${text}\u001b[39m` : text
    },
    // pino-pretty passes a line that is not JSON through; its own line end is the runner's to add.
    format: (line) => pretty(line).replace(/\r?\n$/, '')
  }
}
