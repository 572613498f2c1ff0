// The `npm start` command line: which run file, which state store flavour, and the
// banner that tells a new user how to try the system.
import { existsSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { loadRunFile, type ResolvedApp } from './run-file.js'
import { startSystem, type RunningSystem } from './runner.js'
import type { Writable } from 'node:stream'

export interface CliOptions {
  file: string
  redis: boolean
  resourcesPaths: string[] | undefined
  bundleDependencies: boolean
}

export function parseCli (argv: string[], env: Record<string, string | undefined>): CliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      file: { type: 'string', short: 'f', default: '.' },
      redis: { type: 'boolean', default: false },
      'resources-path': { type: 'string', multiple: true },
      'bundle-dependencies': { type: 'boolean', default: false }
    },
    strict: true
  })
  const store = env.ORDERS_STORE ?? 'memory'
  if (store !== 'memory' && store !== 'redis') throw new Error(`ORDERS_STORE must be "memory" or "redis", got ${JSON.stringify(store)}`)
  return { file: values.file as string, redis: values.redis === true || store === 'redis', resourcesPaths: values['resources-path'] as string[] | undefined, bundleDependencies: values['bundle-dependencies'] === true }
}

/** The Redis flavour: every `.../local` resources folder swapped for its sibling `.../redis`. */
export function redisFlavour (apps: readonly ResolvedApp[]): ResolvedApp[] {
  return apps.map((app) => ({
    ...app,
    resourcesPaths: app.resourcesPaths.map((p) => {
      const sibling = join(dirname(p), 'redis')
      return basename(p) === 'local' && existsSync(sibling) ? sibling : p
    })
  }))
}

export const USAGE = `usage: local-dapr run [-f dapr.yaml|dir] [--redis] [--resources-path dir]...

  -f, --file path          the run file, or a folder holding dapr.yaml (default .)
  --redis                  swap every \`.../local\` resources folder for its sibling \`.../redis\` (or ORDERS_STORE=redis)
  --resources-path dir     use these component folders for every app instead of the run file's; repeatable
  --bundle-dependencies    bundle the dependencies of \`node --import tsx\` apps too: faster starts, for apps that
                           survive a one-file build (a package reading files beside its own code may not)
`

/** Parses the command line, loads the run file and starts every app; the caller owns signals and exit. */
export async function runCli (argv: string[], env: Record<string, string | undefined>, out: Writable & { isTTY?: boolean }, sidecarCommand?: readonly string[], onAppLine?: (appId: string, line: string) => void): Promise<RunningSystem> {
  const cli = parseCli(argv, env)
  let apps = await loadRunFile(cli.file)
  if (cli.redis) apps = redisFlavour(apps)
  out.write(`Starting ${apps.map((a) => a.appId).join(', ')} with local sidecars (${cli.redis ? 'Redis on localhost:6379' : 'in-memory state store'})\n`)
  const system = await startSystem({ apps, output: out, env, resourcesPaths: cli.resourcesPaths, bundleDependencies: cli.bundleDependencies, sidecarCommand, terminal: out.isTTY === true, onAppLine })
  const order = system.apps.find((a) => a.appPort !== undefined)
  if (order !== undefined) {
    out.write([
      '',
      `All apps started. Try it (${order.appId} on port ${order.appPort}):`,
      `  curl -X POST -H 'content-type: application/json' -d @sample.json localhost:${order.appPort}/neworder`,
      `  curl localhost:${order.appPort}/order`,
      'Ctrl-C stops everything.',
      ''
    ].join('\n'))
  }
  return system
}
