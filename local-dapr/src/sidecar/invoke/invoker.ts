// The caller half of service invocation (dapr-http-api.md §2): pick target and method, resolve
// the app id, call the local app (self) or the peer sidecar's internal server, and pass the
// answer back: 2xx/3xx streamed, other statuses buffered with daprd's content-type rule.
import type { Logger } from 'pino'
import { Pool } from 'undici'
import type { ApiRequest } from '../http/context.js'
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
}

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

  async function callRemote (ctx: ApiRequest, appId: string, namespace: string, verb: string, path: string): Promise<AppResponse> {
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
      r = await peerPool(peer.internalAddress).request({ method: verb as 'GET', path, headers, body: hasBody(ctx.req) ? ctx.req : null, signal: abortOnHangUp(ctx.res) })
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

  async function callSelf (ctx: ApiRequest, verb: string, path: string): Promise<AppResponse> {
    if (!opts.app) throw new InvokeFailure(NO_APP_CHANNEL)
    // v1.18.3 behaviour: self-invocation adds no dapr-caller-*/callee headers (§2.4).
    try {
      return await opts.app.invoke(verb, path, requestHeadersForApp(ctx.req.headers), hasBody(ctx.req) ? ctx.req : null, abortOnHangUp(ctx.res))
    } catch (err) {
      throw new InvokeFailure((err as Error).message)
    }
  }

  async function reply (ctx: ApiRequest, r: AppResponse): Promise<void> {
    const headers = responseHeadersForCaller(r.headers)
    const streaming = ctx.req.headers['content-length'] === undefined && ctx.req.headers['transfer-encoding'] !== undefined
    if ((r.statusCode >= 200 && r.statusCode <= 399) || streaming) {
      ctx.res.writeHead(r.statusCode, headers)
      // Pass chunks through as they arrive; no buffering of successful answers.
      for await (const chunk of r.body) ctx.res.write(chunk)
      ctx.res.end()
      return
    }
    // Error statuses: buffered, the app's exact body; daprd adds a JSON content-type if none.
    const chunks: Buffer[] = []
    for await (const chunk of r.body) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks)
    headers['content-type'] ??= 'application/json'
    headers['content-length'] = String(body.length)
    ctx.res.writeHead(r.statusCode, headers)
    ctx.res.end(body)
  }

  async function handle (ctx: ApiRequest): Promise<void> {
    const decoded = pathUnescape(ctx.rawPath) as string
    const target = findTarget(decoded, ctx.req.headers)
    if (!target) return sendError(ctx.res, errors.noAppId())
    const verb = mapVerb(ctx.method)
    let r: AppResponse
    try {
      const method = normalizeMethod(target.method)
      const path = appPath(method, ctx.rawQuery)
      if (/^https?:\/\//.test(target.targetId)) throw new InvokeFailure('the local sidecar does not invoke external HTTP endpoints')
      const { appId, namespace } = parseAppId(target.targetId, opts.namespace)
      r = appId === opts.appId && namespace === opts.namespace
        ? await callSelf(ctx, verb, path)
        : await callRemote(ctx, appId, namespace, verb, path)
    } catch (err) {
      opts.logger.debug({ err, target: target.targetId }, 'service invocation failed')
      return sendError(ctx.res, errors.directInvoke(target.targetId, (err as Error).message))
    }
    try {
      await reply(ctx, r)
    } catch (err) {
      // Headers are gone already: all that is left is to cut the connection, as daprd does.
      opts.logger.warn({ err, target: target.targetId }, 'service invocation failed to complete')
      ctx.res.destroy()
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
