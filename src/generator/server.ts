// The generator process: config, sidecar client, probe app, the order loop, and a clean stop.
// Exit code 0 after a clean stop or a finished count with nothing given up, 1 otherwise.
import { appendFileSync } from 'node:fs'
import type { Logger } from 'pino'
import { collectDefaultMetrics, Registry } from 'prom-client'
import { createSidecarClient, type SidecarClient } from '../sidecar/index.js'
import { sidecarOptions } from '../shared/config.js'
import { createProcessLogger } from '../shared/logger.js'
import { buildMetricsApp, createSidecarMetrics } from '../shared/metrics.js'
import { closeGracefully, isMainModule, logStartupFailure } from '../shared/process.js'
import { buildApp } from './app.js'
import { loadGeneratorConfig, type GeneratorConfig } from './config.js'
import { runGenerator, type GeneratorOptions, type GeneratorSummary } from './loop.js'
import { createGeneratorMetrics, instrumentSidecar } from './metrics.js'

/** The loop's options from the configuration. */
export function loopOptions (config: GeneratorConfig): Omit<Parameters<typeof runGenerator>[0], 'sidecar' | 'logger' | 'signal'> {
  const file = config.GENERATOR_DELIVERED_FILE
  return {
    targetAppId: config.TARGET_APP_ID,
    storeName: config.STATE_STORE_NAME,
    counterKey: config.GENERATOR_COUNTER_KEY,
    blockSize: config.GENERATOR_ID_BLOCK_SIZE,
    intervalMs: config.GENERATOR_INTERVAL_MS,
    count: config.GENERATOR_COUNT,
    concurrency: config.GENERATOR_CONCURRENCY,
    retryBaseMs: config.GENERATOR_RETRY_BASE_MS,
    retryMaxMs: config.GENERATOR_RETRY_MAX_MS,
    requestTimeoutMs: config.GENERATOR_REQUEST_TIMEOUT_MS,
    // Synchronous on purpose: an id acknowledged by the order service is on disk before the
    // next one is counted, so a killed generator still leaves a complete list behind.
    onDelivered: file === undefined ? undefined : (orderId) => appendFileSync(file, `${orderId}\n`)
  }
}

/** The summary line, and the exit code it implies. */
export function reportSummary (logger: Pick<Logger, 'info' | 'error'>, summary: GeneratorSummary): number {
  const { sent, delivered, failed, retried, pauses, p50LatencyMs, p99LatencyMs, stoppedBy } = summary
  const fields = { sent, delivered, failed, retried, pauses, p50LatencyMs, p99LatencyMs, stoppedBy }
  if (failed > 0 || summary.fatal !== undefined) {
    logger.error({ ...fields, givenUp: summary.givenUp, unacknowledged: summary.unacknowledged, fatal: summary.fatal }, 'Generator stopped with orders not delivered')
    return 1
  }
  logger.info(fields, 'Generator stopped')
  return 0
}

interface Running {
  config: GeneratorConfig
  logger: Logger
  sidecar: SidecarClient
  /** What the loop is given instead of the bare client: the timed port and the counters. */
  instrumented: Pick<GeneratorOptions, 'sidecar' | 'observer'>
  controller: AbortController
  close: () => Promise<void>
}

/** Waits for the sidecar, runs the loop, closes everything; resolves with the exit code. */
async function run ({ config, logger, sidecar, instrumented, controller, close }: Running): Promise<number> {
  let code = 0
  try {
    await sidecar.waitForSidecar({ timeoutMs: config.GENERATOR_SIDECAR_WAIT_MS, signal: controller.signal })
    logger.info({ target: config.TARGET_APP_ID }, 'Sidecar ready, generating orders')
    const summary = await runGenerator({ ...loopOptions(config), ...instrumented, logger, signal: controller.signal })
    code = reportSummary(logger, summary)
  } catch (err) {
    // Only the wait can throw: stopped while waiting is a clean stop, a timeout is not.
    if (controller.signal.aborted) {
      logger.info('Stopped before the sidecar was ready')
    } else {
      logger.fatal({ err }, 'Sidecar did not become ready')
      code = 1
    }
  }
  await close()
  return code
}

/** Starts the generator; resolves with its exit code once it has stopped (and sets it). */
export async function main (env: Record<string, string | undefined> = process.env): Promise<number> {
  let config
  let sidecar
  try {
    config = loadGeneratorConfig(env)
    sidecar = createSidecarClient(sidecarOptions(config))
  } catch (err) {
    logStartupFailure(createProcessLogger('info'), err)
    process.exitCode = 1
    return 1
  }
  const logger = createProcessLogger(config.LOG_LEVEL)
  const controller = new AbortController()
  let draining = false
  // One registry for this process: the generator's metrics plus Node's own.
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const app = buildApp({ sidecar, logger, isDraining: () => draining, registry, metricsRoute: config.METRICS_PORT === undefined })
  const metricsApp = config.METRICS_PORT === undefined ? undefined : buildMetricsApp({ registry, logger })
  const instrumented = { sidecar: instrumentSidecar(sidecar, createSidecarMetrics(registry)), observer: createGeneratorMetrics(registry) }
  const client = sidecar
  const close = async (): Promise<void> => {
    await app.close()
    await metricsApp?.close()
    await client.close()
  }
  try {
    await app.listen({ host: config.HOST, port: config.PORT })
    await metricsApp?.listen({ host: config.HOST, port: config.METRICS_PORT })
  } catch (err) {
    logStartupFailure(logger, err)
    await close()
    process.exitCode = 1
    return 1
  }

  const finished = run({ config, logger, sidecar, instrumented, controller, close })
  const grace = closeGracefully({ delay: config.CLOSE_GRACE_DELAY_MS, logger }, async ({ signal, err }) => {
    if (err !== undefined) logger.error({ err }, 'Stopping on error')
    else logger.info({ signal }, 'Stopping')
    draining = true
    controller.abort()
    // close-with-grace exits 0 unless this throws.
    if (await finished !== 0) throw new Error('generator stopped with orders not delivered')
  })
  const code = await finished
  grace.uninstall()
  process.exitCode = code
  return code
}

if (isMainModule(import.meta.url)) await main()
