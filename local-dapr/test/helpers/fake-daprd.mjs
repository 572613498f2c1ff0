// A stand-in for the sidecar in runner tests: takes daprd's flags, answers the outbound
// health check on --dapr-http-port, prints its arguments, and exits on SIGTERM.
// FAKE_DAPRD_MODE=exit makes it fail at start like a sidecar with a bad component file.
import { createServer } from 'node:http'

const args = process.argv.slice(2)
const port = Number(args[args.indexOf('--dapr-http-port') + 1])
process.stdout.write(`fake daprd args: ${args.join(' ')}\n`)
if (process.env.FAKE_DAPRD_MODE === 'exit') {
  process.stderr.write('component statestore: bad\n')
  process.exit(3)
}
const server = createServer((req, res) => {
  res.statusCode = req.url === '/v1.0/healthz/outbound' ? 204 : 404
  res.end()
})
server.listen(port, '127.0.0.1')
process.on('SIGTERM', () => {
  process.stdout.write('fake daprd stopping\n')
  server.close(() => process.exit(0))
})
