// The public surface exports what the README and the services use.
import t from 'tap'
import * as sidecar from '../../src/sidecar/index.js'

t.test('exports the factory, the error classes and the transient check', async (t) => {
  for (const name of ['createSidecarClient', 'isTransientSidecarError', 'SidecarError', 'SidecarHttpError', 'SidecarEtagMismatchError',
    'SidecarInvokeError', 'SidecarAuthError', 'SidecarNetworkError', 'SidecarTimeoutError', 'SidecarAbortError',
    'SidecarInvalidResponseError', 'SidecarOptionError']) {
    t.type((sidecar as Record<string, unknown>)[name], 'function', name)
  }
})
