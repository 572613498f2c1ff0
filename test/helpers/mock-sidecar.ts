// undici's MockAgent standing in for daprd, with the network disabled, plus a client wired to
// it: for the client's own tests, which need exact bytes and statuses on the wire.
import type { Test } from 'tap'
import { MockAgent, type Interceptable } from 'undici'
import { createSidecarClient, type SidecarClient, type SidecarClientOptions } from '../../src/sidecar/index.js'

export const ORIGIN = 'http://127.0.0.1:3500'

export interface MockSidecar {
  agent: MockAgent
  pool: Interceptable
  client: SidecarClient
}

export function mockSidecar (t: Test, options: SidecarClientOptions = {}): MockSidecar {
  const agent = new MockAgent({ connections: 1 })
  agent.disableNetConnect()
  const pool = agent.get(ORIGIN)
  const client = createSidecarClient({ endpoint: ORIGIN, env: {}, dispatcher: agent, ...options })
  t.teardown(async () => {
    await client.close()
    await agent.close()
  })
  return { agent, pool, client }
}

/** A daprd JSON error body, as `respondWithError` writes it (no trailing newline). */
export function daprError (errorCode: string, message: string, details?: unknown[]): string {
  return JSON.stringify(details === undefined ? { errorCode, message } : { errorCode, message, details })
}

export const JSON_TYPE = { 'content-type': 'application/json' }
