import t from 'tap'
import { mkdtemp, readdir, writeFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { accepts, createRegistry, DEFAULT_REGISTRY_DIR, defaultRegistryDir, isAlive, type RegistryEntry } from '../../../src/sidecar/invoke/registry.js'

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
