import type { Context } from '../lib/context.js'
export type PipelineSection = Record<string, never>
export async function pipelineSection (_ctx: Context, skipped: string[]): Promise<PipelineSection | undefined> {
  skipped.push('pipeline: not written yet')
  return undefined
}
