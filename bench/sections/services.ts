import type { Context } from '../lib/context.js'
export type ServicesSection = Record<string, never>
export async function servicesSection (_ctx: Context, skipped: string[]): Promise<ServicesSection | undefined> {
  skipped.push('services: not written yet')
  return undefined
}
