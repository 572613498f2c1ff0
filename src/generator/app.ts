// The generator's HTTP side: only the Kubernetes probes.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { SidecarClient } from '../sidecar/index.js'
import { registerHealthRoutes } from '../shared/health.js'
import { installErrorHandlers, serverOptions } from '../shared/http.js'

export interface GeneratorAppOptions {
  sidecar: Pick<SidecarClient, 'healthzOutbound'>
  logger?: FastifyBaseLogger | undefined
  isDraining?: (() => boolean) | undefined
  readyTimeoutMs?: number | undefined
}

/**
 * Builds the probe app (`/healthz`, `/readyz`) without listening.
 * @example
 * const app = buildApp({ sidecar })
 * await app.listen({ host: '0.0.0.0', port: 3001 })
 */
export function buildApp (options: GeneratorAppOptions): FastifyInstance {
  const app = Fastify(serverOptions(options.logger))
  installErrorHandlers(app)
  registerHealthRoutes(app, {
    sidecar: options.sidecar,
    isDraining: options.isDraining ?? (() => false),
    readyTimeoutMs: options.readyTimeoutMs ?? 900
  })
  return app
}
