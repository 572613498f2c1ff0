// The order service process: config, sidecar client, app, listen, graceful shutdown.
// The only file of the service that reads the environment, listens or handles signals.
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { collectDefaultMetrics, Registry } from 'prom-client'
import { createSidecarClient, type SidecarClient } from '../sidecar/index.js'
import { sidecarOptions } from '../shared/config.js'
import { createProcessLogger } from '../shared/logger.js'
import { buildMetricsApp } from '../shared/metrics.js'
import { closeGracefully, isMainModule, logStartupFailure } from '../shared/process.js'
import { buildApp } from './app.js'
import { loadOrderConfig } from './config.js'

export interface ShutdownOptions {
  app: Pick<FastifyInstance, 'close' | 'log'>
  /** The METRICS_PORT listener, closed after the app so the drain can still be scraped. */
  metricsApp?: Pick<FastifyInstance, 'close'> | undefined
  sidecar: Pick<SidecarClient, 'close'>
  markDraining: () => void
  drainDelayMs: number
  sleep?: (ms: number) => Promise<unknown>
}

/**
 * The close-with-grace callback: fail readiness, wait `drainDelayMs` for routing to notice,
 * stop accepting and let in-flight requests finish (`app.close()`), then close the client.
 */
export function shutdownHandler (options: ShutdownOptions): (event: { signal?: string | undefined, err?: Error | undefined }) => Promise<void> {
  const wait = options.sleep ?? sleep
  return async ({ signal, err }) => {
    if (err !== undefined) options.app.log.error({ err }, 'closing on error')
    else options.app.log.info({ signal }, 'closing')
    options.markDraining()
    if (options.drainDelayMs > 0) await wait(options.drainDelayMs)
    await options.app.close()
    await options.metricsApp?.close()
    await options.sidecar.close()
    options.app.log.info('closed')
  }
}

/** Starts the service; on a start-up failure logs why and sets exit code 1. */
export async function main (env: Record<string, string | undefined> = process.env): Promise<void> {
  const bootLogger = createProcessLogger('info')
  let config
  let sidecar
  try {
    config = loadOrderConfig(env)
    sidecar = createSidecarClient(sidecarOptions(config))
  } catch (err) {
    logStartupFailure(bootLogger, err)
    process.exitCode = 1
    return
  }
  const logger = createProcessLogger(config.LOG_LEVEL)
  let draining = false
  // One registry for this process: the app's metrics plus Node's own (CPU, memory, event loop, GC).
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const app = buildApp({
    sidecar,
    stateStoreName: config.STATE_STORE_NAME,
    appApiToken: config.APP_API_TOKEN,
    logger,
    isDraining: () => draining,
    registry,
    metricsRoute: config.METRICS_PORT === undefined
  })
  const metricsApp = config.METRICS_PORT === undefined ? undefined : buildMetricsApp({ registry, logger })
  try {
    await app.listen({ host: config.HOST, port: config.PORT })
    await metricsApp?.listen({ host: config.HOST, port: config.METRICS_PORT })
  } catch (err) {
    logStartupFailure(logger, err)
    await app.close()
    await metricsApp?.close()
    await sidecar.close()
    process.exitCode = 1
    return
  }
  if (config.APP_API_TOKEN === undefined) logger.warn('APP_API_TOKEN is not set: POST /neworder accepts writes from anyone who can reach this port')
  // Installed after listen: a failed start must keep its exit code (close-with-grace exits 0).
  closeGracefully({ delay: config.CLOSE_GRACE_DELAY_MS, logger }, shutdownHandler({
    app,
    metricsApp,
    sidecar,
    markDraining: () => { draining = true },
    drainDelayMs: config.DRAIN_DELAY_MS
  }))
}

if (isMainModule(import.meta.url)) await main()
