// Name resolution without wiring: every local sidecar on this machine writes one JSON file
// into a shared directory; a lookup reads them and keeps the entries whose process is alive
// and whose internal port accepts TCP. The local stand-in for daprd's mDNS resolver.
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const DEFAULT_REGISTRY_DIR = join(tmpdir(), 'orders-on-dapr-sidecars')

export interface RegistryEntry {
  appId: string
  namespace: string
  pid: number
  /** The public API port (informational, for tools). */
  httpPort: number
  /** `host:port` of the internal invocation server. */
  internalAddress: string
  /** Shared secret peers send to the internal server. */
  secret: string
}

export function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Registered addresses are loopback ones, which accept or refuse at once: no timer needed. */
export function accepts (address: string): Promise<boolean> {
  const i = address.lastIndexOf(':')
  return new Promise((resolve) => {
    const s = connect({ host: address.slice(0, i), port: Number(address.slice(i + 1)) })
    const done = (ok: boolean): void => { s.destroy(); resolve(ok) }
    s.once('connect', () => done(true))
    s.once('error', () => done(false))
  })
}

export interface Registry {
  readonly dir: string
  /** Writes this sidecar's entry (file mode 0600: the secret is in it). */
  register (entry: RegistryEntry): Promise<void>
  unregister (entry: RegistryEntry): Promise<void>
  /** A live entry for `appId` in `namespace`, or undefined. */
  lookup (appId: string, namespace: string): Promise<RegistryEntry | undefined>
}

function fileName (e: RegistryEntry): string {
  return `${encodeURIComponent(e.appId)}.${encodeURIComponent(e.namespace)}.${e.pid}.${e.internalAddress.replace(/[^0-9A-Za-z]/g, '_')}.json`
}

/**
 * @example
 * const registry = createRegistry()            // os.tmpdir()/orders-on-dapr-sidecars
 * const peer = await registry.lookup('nodeapp', 'default')
 */
export function createRegistry (dir = DEFAULT_REGISTRY_DIR): Registry {
  let rr = 0
  return {
    dir,
    async register (entry) {
      await mkdir(dir, { recursive: true, mode: 0o700 })
      const tmp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`)
      await writeFile(tmp, JSON.stringify(entry), { mode: 0o600 })
      await rename(tmp, join(dir, fileName(entry)))
    },
    async unregister (entry) {
      await rm(join(dir, fileName(entry)), { force: true })
    },
    async lookup (appId, namespace) {
      let names: string[]
      try {
        names = await readdir(dir)
      } catch {
        return undefined
      }
      const prefix = encodeURIComponent(appId) + '.'
      const candidates: RegistryEntry[] = []
      for (const name of names) {
        if (!name.startsWith(prefix) || !name.endsWith('.json')) continue
        let entry: RegistryEntry
        try {
          entry = JSON.parse(await readFile(join(dir, name), 'utf8')) as RegistryEntry
        } catch {
          continue
        }
        if (entry.appId !== appId || entry.namespace !== namespace) continue
        if (!isAlive(entry.pid)) {
          // A crashed sidecar left its file behind: tidy it up.
          await rm(join(dir, name), { force: true })
          continue
        }
        candidates.push(entry)
      }
      const live: RegistryEntry[] = []
      for (const c of candidates) if (await accepts(c.internalAddress)) live.push(c)
      if (live.length === 0) return undefined
      // Several replicas of one app id: spread calls round-robin.
      return live[rr++ % live.length]
    }
  }
}
