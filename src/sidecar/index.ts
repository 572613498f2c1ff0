// Public surface of the typed Dapr sidecar client.
export { createSidecarClient } from './client.js'
export type { SidecarClient, SidecarClientOptions, WaitOptions, PublishOptions } from './client.js'
export type { InvokeOptions, InvokeResponse, HttpMethod } from './invoke.js'
export type {
  StateApi, StateEntry, SaveItem, DeleteItem, BulkStateItem, TransactionOperation,
  GetOptions, SaveOptions, DeleteOptions, BulkOptions, UpdateOptions, CallContext,
  Concurrency, Consistency, StateMetadata
} from './state.js'
export type { TraceContext } from './transport.js'
export type { SidecarMetadata, DaprErrorBody } from './schemas.js'
export {
  SidecarError,
  SidecarHttpError,
  SidecarEtagMismatchError,
  SidecarInvokeError,
  SidecarAuthError,
  SidecarNetworkError,
  SidecarTimeoutError,
  SidecarAbortError,
  SidecarInvalidResponseError,
  SidecarOptionError,
  isTransientSidecarError
} from './errors.js'
export type { SidecarErrorCode, DaprErrorDetail } from './errors.js'
