import t from 'tap'
import { chmod, chown, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { accepts, createRegistry, DEFAULT_REGISTRY_DIR, defaultRegistryDir, ensurePrivateDir, isAlive, RegistryError, type RegistryEntry } from '../../../src/sidecar/invoke/registry.js'

async function listening (t: { teardown (fn: () => unknown): void }): Promise<number> {
  const s = createServer((c) => c.destroy())
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { s.close() })
  return (s.address() as { port: number }).port
}

t.test('default directory', async (t) => {
  t.equal(DEFAULT_REGISTRY_DIR, defaultRegistryDir())
  t.equal(defaultRegistryDir({}, 1234), join(tmpdir(), 'local-dapr-1234'), 'per user')
  t.equal(defaultRegistryDir({ XDG_RUNTIME_DIR: '/run/user/1234' }, 1234), '/run/user/1234/local-dapr', 'the private runtime dir when there is one')
})

t.test('isAlive and accepts', async (t) => {
  t.ok(isAlive(process.pid))
  t.notOk(isAlive(2 ** 22 + 12345))
  t.ok(isAlive(1), 'EPERM counts as alive')
  t.ok(await accepts(`127.0.0.1:${await listening(t)}`))
  const closed = createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const port = (closed.address() as { port: number }).port
  await new Promise((resolve) => closed.close(resolve))
  t.notOk(await accepts(`127.0.0.1:${port}`))
})

t.test('register, lookup, unregister', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'registry-test-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const reg = createRegistry(dir)
  t.equal(await createRegistry(join(dir, 'absent')).lookup('B', 'default'), undefined)
  const p1 = await listening(t)
  const p2 = await listening(t)
  const e1: RegistryEntry = { appId: 'B', namespace: 'default', pid: process.pid, httpPort: 1, internalAddress: `127.0.0.1:${p1}`, secret: 's1' }
  const e2: RegistryEntry = { ...e1, internalAddress: `127.0.0.1:${p2}`, secret: 's2' }
  const dead: RegistryEntry = { ...e1, pid: 2 ** 22 + 12345, internalAddress: '127.0.0.1:1' }
  const refused: RegistryEntry = { ...e1, internalAddress: '127.0.0.1:1', secret: 'r' }
  for (const e of [e1, e2, dead, refused, { ...e1, namespace: 'other' }, { ...e1, appId: 'B.x' }]) await reg.register(e)
  await writeFile(join(dir, 'B.garbage.json'), '{not json')
  await writeFile(join(dir, 'B.notes.txt'), 'x')
  const seen = new Set<string>()
  for (let i = 0; i < 4; i++) seen.add((await reg.lookup('B', 'default'))?.secret as string)
  t.same([...seen].sort(), ['s1', 's2'], 'round-robin over live entries')
  t.notOk((await readdir(dir)).some((n) => n.includes(String(dead.pid))), 'dead entry tidied')
  t.equal(await reg.lookup('nobody', 'default'), undefined)
  t.equal(await reg.lookup('B', 'nowhere'), undefined)
  await reg.unregister(e1)
  await reg.unregister(e2)
  await reg.unregister(refused)
  t.equal(await reg.lookup('B', 'default'), undefined)
})

t.test('a shared host: the directory must be this user\'s, private to writes, and a real directory', async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'registry-owner-'))
  t.teardown(() => rm(base, { recursive: true, force: true }))
  const me = process.getuid?.() as number
  const fresh = join(base, 'fresh')
  await ensurePrivateDir(fresh, me)
  const e: RegistryEntry = { appId: 'nodeapp', namespace: 'default', pid: process.pid, httpPort: 1, internalAddress: `127.0.0.1:${await listening(t)}`, secret: 'mine' }
  await createRegistry(fresh, me).register(e)
  t.equal((await createRegistry(fresh, me).lookup('nodeapp', 'default'))?.secret, 'mine', 'a directory made by this user works')

  // Someone else made the directory first (simulated: the directory's owner is not the uid the registry runs as).
  const planted = createRegistry(fresh, me + 4242)
  await t.rejects(planted.register(e), { code: 'LOCAL_DAPR_ERR_REGISTRY', message: /belongs to uid \d+, not to you/ })
  await t.rejects(planted.lookup('nodeapp', 'default'), RegistryError, 'a lookup does not trust it either')

  const open = join(base, 'open')
  await mkdir(open)
  await chmod(open, 0o777)
  await t.rejects(createRegistry(open, me).register(e), { message: /has mode 777; other users could plant entries/ })
  await chmod(open, 0o755)
  await t.resolves(createRegistry(open, me).register(e), 'readable by others is fine: entry files are 0600')

  const link = join(base, 'link')
  await symlink(fresh, link)
  await t.rejects(createRegistry(link, me).register(e), { message: /is not a directory \(a link\?\)/ })
})

t.test('entries from files this user does not own are never read', { skip: process.getuid?.() !== 0 && 'chown to another user needs root (CI runs as root)' }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'registry-plant-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const reg = createRegistry(dir)
  const thief: RegistryEntry = { appId: 'nodeapp', namespace: 'default', pid: process.pid, httpPort: 1, internalAddress: `127.0.0.1:${await listening(t)}`, secret: 'thief' }
  const file = join(dir, 'nodeapp.default.1.planted.json')
  await writeFile(file, JSON.stringify(thief))
  await chown(file, 4242, 4242)
  t.equal(await reg.lookup('nodeapp', 'default'), undefined, 'another user\'s entry is no destination')
  await symlink(file, join(dir, 'nodeapp.default.2.link.json'))
  t.equal(await reg.lookup('nodeapp', 'default'), undefined, 'nor is a link to it')
  const real: RegistryEntry = { ...thief, secret: 'real' }
  await reg.register(real)
  for (let i = 0; i < 3; i++) t.equal((await reg.lookup('nodeapp', 'default'))?.secret, 'real', 'every call goes to the real app')
  await writeFile(join(dir, 'nodeapp.default.3.null.json'), 'null')
  t.equal((await reg.lookup('nodeapp', 'default'))?.secret, 'real', 'a file that is not an entry is skipped')
})
