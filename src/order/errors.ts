// Every error the order service answers with, by stable code. Messages may change; codes never.
import { defineHttpError } from '../shared/http.js'

export type OrderErrorCode =
  | 'ORDER_ERR_NOT_FOUND'
  | 'ORDER_ERR_NO_ORDER_YET'
  | 'ORDER_ERR_CONFLICT'
  | 'ORDER_ERR_UNAUTHORIZED'
  | 'ORDER_ERR_STORE_UNAVAILABLE'
  | 'ORDER_ERR_TOO_DEEP'
  | 'ORDER_ERR_INEXACT_NUMBER'

/**
 * Callable with or without `new`; `storeUnavailable` takes `{ cause }`, which is logged and
 * never sent.
 * @example
 * throw orderErrors.notFound('42') // 404 ORDER_ERR_NOT_FOUND "Order 42 not found"
 */
export const orderErrors = {
  notFound: defineHttpError<'ORDER_ERR_NOT_FOUND', [orderId: string]>('ORDER_ERR_NOT_FOUND', 404, 'Order %s not found'),
  noOrderYet: defineHttpError('ORDER_ERR_NO_ORDER_YET', 404, 'No order has been received yet'),
  conflict: defineHttpError<'ORDER_ERR_CONFLICT', [orderId: string]>('ORDER_ERR_CONFLICT', 409, 'Order %s already exists with different data'),
  unauthorized: defineHttpError('ORDER_ERR_UNAUTHORIZED', 401, 'Missing or invalid dapr-api-token'),
  tooDeep: defineHttpError<'ORDER_ERR_TOO_DEEP', [max: number]>('ORDER_ERR_TOO_DEEP', 400, 'Order data nests deeper than %d levels'),
  inexactNumber: defineHttpError<'ORDER_ERR_INEXACT_NUMBER', [number: string]>('ORDER_ERR_INEXACT_NUMBER', 400,
    'The number %s cannot be stored exactly (beyond 2^53, out of range, or more digits than a double holds); send it as a string'),
  storeUnavailable: defineHttpError<'ORDER_ERR_STORE_UNAVAILABLE', [{ cause: unknown }]>('ORDER_ERR_STORE_UNAVAILABLE', 503, 'State store unavailable, retry later')
} satisfies Record<string, { prototype: { code: OrderErrorCode } }>
