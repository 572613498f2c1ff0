// daprd's error bodies (dapr-http-api.md §1.2): legacy `{"errorCode","message"}` and rich
// kit errors with `details`. Detail objects are Go maps in daprd, so their keys are sorted.
import type { ServerResponse } from 'node:http'
import { goJson } from './go-compat.js'

const TYPE_PREFIX = 'type.googleapis.com/google.rpc.'

export type ErrorDetail = Record<string, unknown>

export function errorInfo (reason: string, metadata: Record<string, string> | null = null): ErrorDetail {
  return { '@type': TYPE_PREFIX + 'ErrorInfo', domain: 'dapr.io', metadata, reason }
}

export function resourceInfo (type: string, name: string): ErrorDetail {
  return { '@type': TYPE_PREFIX + 'ResourceInfo', description: '', owner: '', resource_name: name, resource_type: type }
}

export function badRequest (field: string, description: string): ErrorDetail {
  return { '@type': TYPE_PREFIX + 'BadRequest', field_violations: [{ description, field }] }
}

export function helpLink (url: string, description: string): ErrorDetail {
  return { '@type': TYPE_PREFIX + 'Help', links: [{ description, url }] }
}

/** An error daprd answers with a JSON body; `code` is the stable `errorCode`. */
export class DaprError extends Error {
  readonly status: number
  readonly code: string
  readonly details: ErrorDetail[] | undefined
  constructor (status: number, code: string, message: string, details?: ErrorDetail[]) {
    super(message)
    this.name = 'DaprError'
    this.status = status
    this.code = code
    this.details = details
  }

  body (): string {
    const b: Record<string, unknown> = { errorCode: this.code, message: this.message }
    if (this.details) b.details = this.details
    return goJson(b)
  }
}

export const NO_APP_ID_MESSAGE = 'failed getting app id either from the URL path or the header dapr-app-id'

export const errors = {
  noAppId: () => new DaprError(404, 'ERR_DIRECT_INVOKE', NO_APP_ID_MESSAGE),
  directInvoke: (appId: string, err: string) => new DaprError(500, 'ERR_DIRECT_INVOKE', `failed to invoke, id: ${appId}, err: ${err}`),
  malformed: (message: string) => new DaprError(400, 'ERR_MALFORMED_REQUEST', message),
  malformedBody: (err: string) => new DaprError(400, 'ERR_MALFORMED_REQUEST', `failed deserializing HTTP body: ${err}`),
  storeNotConfigured: (store: string, appId: string) => new DaprError(500, 'ERR_STATE_STORE_NOT_CONFIGURED',
    `state store ${store} is not configured`, [errorInfo('DAPR_STATE_NOT_CONFIGURED', appId ? { appID: appId } : null)]),
  storeNotFound: (store: string, appId: string) => new DaprError(400, 'ERR_STATE_STORE_NOT_FOUND',
    `state store ${store} is not found`, [errorInfo('DAPR_STATE_NOT_FOUND', appId ? { appID: appId } : null)]),
  illegalKey: (store: string, key: string) => {
    const msg = `api error: code = InvalidArgument desc = input key/keyPrefix '${key}' can't contain '||'`
    return new DaprError(400, 'ERR_MALFORMED_REQUEST', msg,
      [badRequest(key, msg), resourceInfo('state', store), errorInfo('DAPR_STATE_ILLEGAL_KEY')])
  },
  transactionsNotSupported: (store: string) => new DaprError(500, 'ERR_STATE_STORE_NOT_SUPPORTED',
    `state store ${store} doesn't support transactions`, [
      errorInfo('DAPR_STATE_TRANSACTIONS_NOT_SUPPORTED'),
      resourceInfo('state', store),
      helpLink('https://docs.dapr.io/reference/components-reference/supported-state-stores/', 'Check the list of state stores and the features they support')
    ]),
  queryNotSupported: (store: string) => new DaprError(500, 'ERR_STATE_STORE_NOT_SUPPORTED',
    'state store does not support querying', [resourceInfo('state', store), errorInfo('DAPR_STATE_QUERYING_NOT_SUPPORTED')]),
  unsupportedOperation: (op: string) => new DaprError(400, 'ERR_NOT_SUPPORTED_STATE_OPERATION', `operation type ${op} not supported`),
  stateGet: (key: string, store: string, err: string) => new DaprError(500, 'ERR_STATE_GET', `fail to get ${key} from state store ${store}: ${err}`),
  stateSave: (status: number, store: string, err: string) => new DaprError(status, 'ERR_STATE_SAVE', `failed saving state in state store ${store}: ${err}`),
  stateDelete: (status: number, key: string, err: string) => new DaprError(status, 'ERR_STATE_DELETE', `failed deleting state with key ${key}: ${err}`),
  bulkGet: (err: string) => new DaprError(500, 'ERR_STATE_BULK_GET', err),
  transaction: (err: string) => new DaprError(500, 'ERR_STATE_TRANSACTION', `error while executing state transaction: ${err}`),
  healthNotReady: (targets: string[]) => new DaprError(500, 'ERR_HEALTH_NOT_READY', `dapr is not ready: [${targets.join(' ')}]`),
  healthAppIdMismatch: () => new DaprError(500, 'ERR_HEALTH_APPID_NOT_MATCH', 'dapr app-id does not match'),
  outboundNotReady: () => new DaprError(500, 'ERR_OUTBOUND_HEALTH_NOT_READY', 'dapr outbound is not ready'),
  pubsubNotFound: (name: string) => new DaprError(404, 'ERR_PUBSUB_NOT_FOUND', `pubsub ${name} is not found`, [errorInfo('DAPR_PUBSUB_NOT_FOUND')])
}

/** `respondWithError`: JSON, no trailing newline. */
export function sendError (res: ServerResponse, err: DaprError): void {
  const body = err.body()
  res.writeHead(err.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

/** `respondWithJSON` / `json.NewEncoder(w).Encode`: JSON followed by `\n`. */
export function sendJson (res: ServerResponse, status: number, value: unknown): void {
  const body = goJson(value) + '\n'
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

/** `respondWithEmpty`: 204, no body, no content-type. */
export function sendEmpty (res: ServerResponse): void {
  res.writeHead(204)
  res.end()
}
