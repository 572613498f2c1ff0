// Name resolution without wiring: every local sidecar of one user writes one JSON file into
// that user's private directory; a lookup reads them and keeps the entries whose process is
// alive and whose internal port accepts TCP. The local stand-in for daprd's mDNS resolver.
//
// On a shared host the directory is the trust boundary: it must be a real directory (not a
// link) owned by this user that neither group nor others can write to (new ones are 0700), and only entry files this
// user owns are read. Anything else is refused with a message, never silently trusted.
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { lstat, mkdir, open, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** This process's uid: local-dapr runs on POSIX systems, where process.getuid exists. */
const ownUid = (): number => (process.getuid as () => number)()

/** Per user: `$XDG_RUNTIME_DIR/local-dapr` (already private) when set, else `<tmpdir>/local-dapr-<uid>`. */
export function defaultRegistryDir (env: NodeJS.ProcessEnv = process.env, uid = ownUid()): string {
  return env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'local-dapr') : join(tmpdir(), `local-dapr-${uid}`)
}

export const DEFAULT_REGISTRY_DIR = defaultRegistryDir()

export class RegistryError extends Error {
  readonly code = 'LOCAL_DAPR_ERR_REGISTRY'
  constructor (message: string) {
    super(message)
    this.name = 'RegistryError'
  }
}

/** Creates the directory if missing (0700), then refuses it unless this user owns it and nobody else can write to it. */
export async function ensurePrivateDir (dir: string, uid: number): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await checkPrivateDir(dir, uid)
}

/** Refuses the directory unless it is a real directory this user owns and nobody else can write to. */
export async function checkPrivateDir (dir: string, uid: number): Promise<void> {
  const st = await lstat(dir)
  if (!st.isDirectory()) throw new RegistryError(`name-resolution directory ${dir} is not a directory (a link?); remove it or set LOCAL_DAPR_REGISTRY_DIR`)
  if (st.uid !== uid) throw new RegistryError(`name-resolution directory ${dir} belongs to uid ${st.uid}, not to you (uid ${uid}); another user may have planted it: remove it or set LOCAL_DAPR_REGISTRY_DIR`)
  if ((st.mode & 0o022) !== 0) throw new RegistryError(`name-resolution directory ${dir} has mode ${(st.mode & 0o777).toString(8)}; other users could plant entries: chmod 700 it or set LOCAL_DAPR_REGISTRY_DIR`)
}

/** Reads an entry file only if it is a regular file (no link followed) that this user owns. */
async function readOwnEntry (path: string, uid: number): Promise<unknown> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW)
  try {
    const st = await fh.stat()
    if (!st.isFile() || st.uid !== uid) return undefined
    return JSON.parse(await fh.readFile('utf8'))
  } finally {
    await fh.close()
  }
}

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
 * const registry = createRegistry()            // $XDG_RUNTIME_DIR/local-dapr or <tmpdir>/local-dapr-<uid>
 * const peer = await registry.lookup('nodeapp', 'default')
 */
export function createRegistry (dir = DEFAULT_REGISTRY_DIR, uid = ownUid()): Registry {
  let rr = 0
  let checked = false
  return {
    dir,
    async register (entry) {
      await ensurePrivateDir(dir, uid)
      checked = true
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
      // A lookup never creates the directory, but never trusts one it did not check either.
      if (!checked) await checkPrivateDir(dir, uid)
      checked = true
      const prefix = encodeURIComponent(appId) + '.'
      const candidates: RegistryEntry[] = []
      for (const name of names) {
        if (!name.startsWith(prefix) || !name.endsWith('.json')) continue
        let entry: RegistryEntry | undefined
        try {
          entry = await readOwnEntry(join(dir, name), uid) as RegistryEntry | undefined
        } catch {
          continue
        }
        // Another user's file, or not an entry: never a destination.
        if (entry === undefined || typeof entry !== 'object' || entry === null) continue
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
