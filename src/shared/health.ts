// Kubernetes probes for both services. Liveness looks at the process only, so a sidecar
// outage never restarts a healthy app; readiness also asks the sidecar and the drain flag.
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { defineHttpError, ERRORS_PLUGIN } from './http.js'
import type { SidecarClient } from '../sidecar/index.js'

export const HealthStatusSchema = Type.Object({ status: Type.String() })

export const healthErrors = {
  draining: defineHttpError('HEALTH_ERR_DRAINING', 503, 'Shutting down'),
  sidecarUnavailable: defineHttpError<'HEALTH_ERR_SIDECAR_UNAVAILABLE', [{ cause: unknown }]>('HEALTH_ERR_SIDECAR_UNAVAILABLE', 503, 'Dapr sidecar is not ready')
}

export interface HealthOptions {
  sidecar: Pick<SidecarClient, 'healthzOutbound'>
  /** True once shutdown has begun: readiness fails so no new traffic is routed here. */
  isDraining: () => boolean
  /** Deadline of the sidecar check; kubelet's default probe timeout is 1 s. */
  readyTimeoutMs: number
}

const errorResponses = { 503: { $ref: 'ErrorResponse#' } }

/**
 * `GET /healthz` (200 while the process serves HTTP) and `GET /readyz` (200 when the sidecar
 * answers `/v1.0/healthz/outbound` and the app is not draining, else 503 with a code).
 * While draining, every answer of the app (not only the probes') carries `Connection: close`,
 * which is why this plugin is not encapsulated.
 * @example
 * await app.register(errorHandling)
 * await app.register(health, { sidecar, isDraining: () => draining, readyTimeoutMs: 900 })
 */
const healthPlugin: FastifyPluginAsync<HealthOptions> = async (app, options) => {
  // Fastify closes idle keep-alive sockets once, when close() starts; a socket whose request
  // was in flight then would stay open and hold close() until the grace delay kills us.
  app.addHook('onSend', async (_request, reply) => {
    if (options.isDraining()) reply.header('connection', 'close')
  })

  app.get('/healthz', { schema: { response: { 200: HealthStatusSchema, ...errorResponses } } }, async () => {
    return { status: 'ok' }
  })

  app.get('/readyz', { schema: { response: { 200: HealthStatusSchema, ...errorResponses } } }, async () => {
    if (options.isDraining()) throw healthErrors.draining()
    try {
      await options.sidecar.healthzOutbound({ timeoutMs: options.readyTimeoutMs })
    } catch (err) {
      throw healthErrors.sidecarUnavailable({ cause: err })
    }
    return { status: 'ready' }
  })
}

export const health = fp(healthPlugin, { name: 'app-health', fastify: '5.x', dependencies: [ERRORS_PLUGIN] })
