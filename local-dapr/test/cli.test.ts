import t from 'tap'
import { Writable } from 'node:stream'
import { main, USAGE } from '../src/cli.js'

function sink (): Writable & { text: () => string } {
  let text = ''
  const w = new Writable({ write (chunk: Buffer, _enc, cb) { text += chunk.toString(); cb() } })
  return Object.assign(w, { text: () => text })
}

t.test('verbs go to their module with the rest of the arguments', async (t) => {
  const calls: string[] = []
  const verbs = {
    run: async (a: readonly string[]) => { calls.push(`run ${a.join(' ')}`) },
    sidecar: async (a: readonly string[]) => { calls.push(`sidecar ${a.join(' ')}`) },
    build: async (a: readonly string[]) => calls.push(`build ${a.join(' ')}`) + 6
  }
  t.equal(await main(['run', '-f', 'dapr.yaml'], sink(), sink(), verbs), 0)
  t.equal(await main(['sidecar', '--app-id', 'x'], sink(), sink(), verbs), 0)
  t.equal(await main(['build', '-f', '.'], sink(), sink(), verbs), 9, 'build\'s exit code is the command\'s')
  t.same(calls, ['run -f dapr.yaml', 'sidecar --app-id x', 'build -f .'])
})

t.test('usage: no verb is an error, --help is not, an unknown verb is', async (t) => {
  const out = sink()
  t.equal(await main([], out), 1)
  t.equal(out.text(), USAGE)
  for (const h of ['--help', '-h', 'help']) t.equal(await main([h], sink()), 0)
  const err = sink()
  t.equal(await main(['serve'], sink(), err), 1)
  t.match(err.text(), /^local-dapr: unknown command "serve"\nusage: local-dapr/)
})

t.test('each verb answers --help from its own module', async (t) => {
  const writes: string[] = []
  const write = process.stdout.write.bind(process.stdout)
  // tap reports on stdout too: keep only what the verbs print.
  process.stdout.write = ((chunk: string, ...rest: []) => String(chunk).startsWith('usage:') ? writes.push(String(chunk)) > 0 : write(chunk, ...rest)) as typeof process.stdout.write
  try {
    t.equal(await main(['sidecar', '--help']), 0)
    t.equal(await main(['run', '--help']), 0)
    t.equal(await main(['build', '--help']), 0)
  } finally {
    process.stdout.write = write
  }
  t.match(writes[0], /^usage: local-dapr sidecar --app-id <id>/)
  t.match(writes[0], /--dapr-grpc-port/, 'lists the flags it accepts and ignores')
  t.match(writes[1], /^usage: local-dapr run \[-f dapr.yaml\|dir\]/)
  t.match(writes[2], /^usage: local-dapr build \[-f dapr.yaml\|dir\]/)
})
