// The caller half of service invocation (dapr-http-api.md §2): pick target and method, resolve
// the app id, call the local app (self) or the peer sidecar's internal server, and pass the
// answer back: 2xx/3xx streamed, other statuses buffered with daprd's content-type rule.
// The whole exchange runs under the target's resiliency policy (directmessaging.go
// onDirectMessage): an app status outside 200-399 is a CodeError the retry policy may match,
// a transport failure is retried whatever `matching` says, and the request body is kept to be
// replayed when the policy has retries (chunked requests are never replayed or retried).
import { Readable } from 'node:stream'
import type { Logger } from 'pino'
import { Pool } from 'undici'
import type { ApiRequest } from '../http/context.js'
import { readBody } from '../http/context.js'
import type { ResiliencyProvider } from '../resiliency/provider.js'
import { CodeError, hasRetries, PermanentError, runPolicy } from '../resiliency/runner.js'
import { errors, sendError } from '../http/errors.js'
import { pathUnescape } from '../http/go-compat.js'
import { describeNetError, type AppChannel, type AppResponse } from './app-channel.js'
import { appendHeader, INTERNAL_ERROR_HEADER, INTERNAL_SECRET_HEADER, requestHeadersForApp, responseHeadersForCaller } from './headers.js'
import { abortOnHangUp, hasBody, NO_APP_CHANNEL } from './internal-server.js'
import type { Registry } from './registry.js'
import { appPath, findTarget, mapVerb, normalizeMethod, parseAppId } from './target.js'

export interface InvokerOptions {
  appId: string
  namespace: string
  app: AppChannel | undefined
  registry: Registry
  /** Address put in X-Forwarded-For / Forwarded (daprd: DAPR_HOST_IP, the CLI sets 127.0.0.1). */
  hostIp: string
  hostname: string
  logger: Logger
  /** Policies for outbound invocations (`targets.apps`); none when absent. */
  resiliency?: ResiliencyProvider | undefined
}

/** The app's non-2xx answer, buffered for the policy and for the caller. */
interface AppFailure { headers: AppResponse['headers'], body: Buffer }

export interface Invoker {
  handle (ctx: ApiRequest): Promise<void>
  close (): Promise<void>
}

class InvokeFailure extends Error {}

/**
 * @example
 * const invoker = createInvoker({ appId: 'A', namespace: 'default', app, registry, hostIp: '127.0.0.1', hostname: os.hostname(), logger })
 * buildApiServer({ ..., invoke: invoker.handle })
 */
export function createInvoker (opts: InvokerOptions): Invoker {
  const peers = new Map<string, Pool>()

  function peerPool (address: string): Pool {
    let p = peers.get(address)
    if (!p) {
      // No response timeout, as daprd has none for invocations; dialling a local peer is quick.
      p = new Pool(`http://${address}`, { connections: 64, keepAliveTimeout: 4_000, headersTimeout: 0, bodyTimeout: 0, connectTimeout: 2_000 })
      peers.set(address, p)
    }
    return p
  }

  async function callRemote (ctx: ApiRequest, appId: string, namespace: string, verb: string, path: string, body: Readable | null, signal: AbortSignal): Promise<AppResponse> {
    const peer = await opts.registry.lookup(appId, namespace)
    if (!peer) throw new InvokeFailure(`couldn't find service: ${appId}`)
    const headers = requestHeadersForApp(ctx.req.headers)
    headers['dapr-caller-app-id'] = opts.appId
    headers['dapr-caller-namespace'] = opts.namespace
    headers['dapr-callee-app-id'] = appId
    appendHeader(headers, 'x-forwarded-for', opts.hostIp)
    appendHeader(headers, 'x-forwarded-host', opts.hostname)
    appendHeader(headers, 'forwarded', `for=${opts.hostIp};by=${opts.hostIp};host=${opts.hostname}`)
    headers[INTERNAL_SECRET_HEADER] = peer.secret
    let r
    try {
      r = await peerPool(peer.internalAddress).request({ method: verb as 'GET', path, headers, body, signal })
    } catch (err) {
      throw new InvokeFailure(`rpc error: code = Unavailable desc = connection error: ${describeNetError(err, peer.internalAddress)}`)
    }
    const failure = r.headers[INTERNAL_ERROR_HEADER]
    if (typeof failure === 'string') {
      await r.body.dump()
      throw new InvokeFailure(`rpc error: code = Internal desc = ${decodeURIComponent(failure)}`)
    }
    return { statusCode: r.statusCode, headers: r.headers, body: r.body }
  }

  async function callSelf (ctx: ApiRequest, verb: string, path: string, body: Readable | null, signal: AbortSignal): Promise<AppResponse> {
    if (!opts.app) throw new InvokeFailure(NO_APP_CHANNEL)
    // v1.18.3 behaviour: self-invocation adds no dapr-caller-*/callee headers (§2.4).
    try {
      return await opts.app.invoke(verb, path, requestHeadersForApp(ctx.req.headers), body, signal)
    } catch (err) {
      throw new InvokeFailure((err as Error).message)
    }
  }

  /** Streams a 2xx/3xx answer (or any answer to a chunked request) to the caller. */
  async function reply (ctx: ApiRequest, r: AppResponse): Promise<void> {
    ctx.res.writeHead(r.statusCode, responseHeadersForCaller(r.headers))
    // Pass chunks through as they arrive; no buffering of successful answers.
    for await (const chunk of r.body) ctx.res.write(chunk)
    ctx.res.end()
  }

  /** Error statuses: buffered, the app's exact body; daprd adds a JSON content-type if none. */
  function replyBuffered (ctx: ApiRequest, status: number, failure: AppFailure): void {
    const headers = responseHeadersForCaller(failure.headers)
    headers['content-type'] ??= 'application/json'
    headers['content-length'] = String(failure.body.length)
    ctx.res.writeHead(status, headers)
    ctx.res.end(failure.body)
  }

  async function callOnce (ctx: ApiRequest, targetId: string, method: string, verb: string, body: Readable | null, signal: AbortSignal): Promise<AppResponse> {
    const path = appPath(normalizeMethod(method), ctx.rawQuery)
    if (/^https?:\/\//.test(targetId)) throw new InvokeFailure('the local sidecar does not invoke external HTTP endpoints')
    const { appId, namespace } = parseAppId(targetId, opts.namespace)
    return appId === opts.appId && namespace === opts.namespace
      ? await callSelf(ctx, verb, path, body, signal)
      : await callRemote(ctx, appId, namespace, verb, path, body, signal)
  }

  async function handle (ctx: ApiRequest): Promise<void> {
    const decoded = pathUnescape(ctx.rawPath) as string
    const target = findTarget(decoded, ctx.req.headers)
    if (!target) return sendError(ctx.res, errors.noAppId())
    const targetId = target.targetId
    const verb = mapVerb(ctx.method)
    const policy = opts.resiliency?.endpointPolicy(targetId, /^https?:\/\//.test(targetId) ? `${targetId}/${target.method}` : `${targetId}:${target.method}`)
    // Go's ContentLength < 0: a chunked request, which daprd streams and never replays.
    const streaming = ctx.req.headers['content-length'] === undefined && ctx.req.headers['transfer-encoding'] !== undefined
    const replay = !streaming && hasRetries(policy) && hasBody(ctx.req) ? await readBody(ctx.req) : undefined
    const bodyOf = (): Readable | null => replay !== undefined ? Readable.from([replay]) : hasBody(ctx.req) ? ctx.req : null
    let started = false
    try {
      await runPolicy(policy, async (signal) => {
        let r: AppResponse
        try {
          r = await callOnce(ctx, targetId, target.method, verb, bodyOf(), signal)
        } catch (err) {
          const failure = err instanceof InvokeFailure ? err : new InvokeFailure((err as Error).message)
          // A chunked body is gone after one attempt: never retry it.
          throw streaming ? new PermanentError(failure) : failure
        }
        const failed = r.statusCode < 200 || r.statusCode > 399
        if (failed && !streaming) {
          const chunks: Buffer[] = []
          for await (const chunk of r.body) chunks.push(chunk as Buffer)
          throw new CodeError<AppFailure>(r.statusCode, `app answered ${r.statusCode}`, { headers: r.headers, body: Buffer.concat(chunks) })
        }
        started = true
        await reply(ctx, r)
        // Already forwarded; reported to the circuit breaker as a failure, never retried.
        if (failed) throw new PermanentError(new CodeError(r.statusCode, 'streaming request received non-2xx response', undefined))
      }, { logger: opts.logger, signal: abortOnHangUp(ctx.res) })
    } catch (err) {
      if (started) {
        // Headers are gone already: all that is left is to cut an unfinished answer, as daprd does.
        if (err instanceof CodeError) opts.logger.debug({ target: targetId }, `HTTP service invocation completed with non-success status: ${err.message}`)
        else opts.logger.warn({ err, target: targetId }, `HTTP service invocation failed to complete with error: ${(err as Error).message}`)
        if (!ctx.res.writableFinished) ctx.res.destroy()
        return
      }
      opts.logger.debug({ err, target: targetId }, `HTTP service invocation failed to complete with error: ${(err as Error).message}`)
      if (err instanceof CodeError) return replyBuffered(ctx, err.status, err.detail as AppFailure)
      sendError(ctx.res, errors.directInvoke(targetId, (err as Error).message))
    }
  }

  return {
    handle,
    async close () {
      await Promise.all([...peers.values()].map((p) => p.close()))
      peers.clear()
    }
  }
}
