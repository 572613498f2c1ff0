// The generator's HTTP side: the Kubernetes probes, and /metrics unless it has a port of its own.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { Registry } from 'prom-client'
import type { SidecarClient } from '../sidecar/index.js'
import { health } from '../shared/health.js'
import { errorHandling, serverOptions } from '../shared/http.js'
import { httpMetrics } from '../shared/metrics.js'

export interface GeneratorAppOptions {
  sidecar: Pick<SidecarClient, 'healthzOutbound'>
  logger?: FastifyBaseLogger | undefined
  isDraining?: (() => boolean) | undefined
  readyTimeoutMs?: number | undefined
  /** Where request durations are registered and what /metrics serves; default a fresh Registry. */
  registry?: Registry | undefined
  /** Serve `GET /metrics` here (default true); false when a METRICS_PORT listener does. */
  metricsRoute?: boolean | undefined
}

/**
 * Builds the probe app (`/healthz`, `/readyz`, `/metrics`) from the shared plugins, without
 * listening.
 * @example
 * const app = buildApp({ sidecar })
 * await app.listen({ host: '0.0.0.0', port: 3001 })
 */
export function buildApp (options: GeneratorAppOptions): FastifyInstance {
  const app = Fastify(serverOptions(options.logger))
  app.register(errorHandling)
  app.register(httpMetrics, { registry: options.registry ?? new Registry(), route: options.metricsRoute })
  app.register(health, {
    sidecar: options.sidecar,
    isDraining: options.isDraining ?? (() => false),
    readyTimeoutMs: options.readyTimeoutMs ?? 900
  })
  return app
}
