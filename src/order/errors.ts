// Every error the order service answers with, by stable code. Messages may change; codes never.
import { HttpError } from '../shared/http.js'

export type OrderErrorCode =
  | 'ORDER_ERR_NOT_FOUND'
  | 'ORDER_ERR_NO_ORDER_YET'
  | 'ORDER_ERR_CONFLICT'
  | 'ORDER_ERR_UNAUTHORIZED'
  | 'ORDER_ERR_STORE_UNAVAILABLE'
  | 'ORDER_ERR_TOO_DEEP'
  | 'ORDER_ERR_INEXACT_NUMBER'

export const orderErrors = {
  notFound: (orderId: string) => new HttpError<OrderErrorCode>(404, 'ORDER_ERR_NOT_FOUND', `Order ${orderId} not found`),
  noOrderYet: () => new HttpError<OrderErrorCode>(404, 'ORDER_ERR_NO_ORDER_YET', 'No order has been received yet'),
  conflict: (orderId: string) => new HttpError<OrderErrorCode>(409, 'ORDER_ERR_CONFLICT', `Order ${orderId} already exists with different data`),
  unauthorized: () => new HttpError<OrderErrorCode>(401, 'ORDER_ERR_UNAUTHORIZED', 'Missing or invalid dapr-api-token'),
  tooDeep: (max: number) => new HttpError<OrderErrorCode>(400, 'ORDER_ERR_TOO_DEEP', `Order data nests deeper than ${max} levels`),
  inexactNumber: (token: string) => new HttpError<OrderErrorCode>(400, 'ORDER_ERR_INEXACT_NUMBER',
    `The number ${token.length > 40 ? `${token.slice(0, 37)}...` : token} cannot be stored exactly (beyond 2^53, out of range, or more digits than a double holds); send it as a string`),
  storeUnavailable: (cause: unknown) => new HttpError<OrderErrorCode>(503, 'ORDER_ERR_STORE_UNAVAILABLE', 'State store unavailable, retry later', { cause })
}
