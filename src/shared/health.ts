// Kubernetes probes for both services. Liveness looks at the process only, so a sidecar
// outage never restarts a healthy app; readiness also asks the sidecar and the drain flag.
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { HttpError } from './http.js'
import type { SidecarClient } from '../sidecar/index.js'

export const HealthStatusSchema = Type.Object({ status: Type.String() })

export interface HealthOptions {
  sidecar: Pick<SidecarClient, 'healthzOutbound'>
  /** True once shutdown has begun: readiness fails so no new traffic is routed here. */
  isDraining: () => boolean
  /** Deadline of the sidecar check; kubelet's default probe timeout is 1 s. */
  readyTimeoutMs: number
}

const errorResponses = { 503: { $ref: 'ErrorResponse#' } }

/**
 * Adds `GET /healthz` (200 while the process serves HTTP) and `GET /readyz` (200 when the
 * sidecar answers `/v1.0/healthz/outbound` and the app is not draining, else 503 with a code).
 * While draining, every answer also carries `Connection: close`.
 * Needs `installErrorHandlers` first (it registers the `ErrorResponse` schema).
 */
export function registerHealthRoutes (app: FastifyInstance, options: HealthOptions): void {
  // Fastify closes idle keep-alive sockets once, when close() starts; a socket whose request
  // was in flight then would stay open and hold close() until the grace delay kills us.
  app.addHook('onSend', async (_request, reply) => {
    if (options.isDraining()) reply.header('connection', 'close')
  })

  app.get('/healthz', { schema: { response: { 200: HealthStatusSchema, ...errorResponses } } }, async () => {
    return { status: 'ok' }
  })

  app.get('/readyz', { schema: { response: { 200: HealthStatusSchema, ...errorResponses } } }, async () => {
    if (options.isDraining()) throw new HttpError(503, 'HEALTH_ERR_DRAINING', 'Shutting down')
    try {
      await options.sidecar.healthzOutbound({ timeoutMs: options.readyTimeoutMs })
    } catch (err) {
      throw new HttpError(503, 'HEALTH_ERR_SIDECAR_UNAVAILABLE', 'Dapr sidecar is not ready', { cause: err })
    }
    return { status: 'ready' }
  })
}
