#!/usr/bin/env node
// Runs local-dapr from its TypeScript sources without tsx: `npm start` and `npm run sidecar`
// come through here. esbuild bundles local-dapr/src/main.ts and its dependencies into one
// file of plain JavaScript, which Node loads in a fraction of the time tsx takes to load the
// sources and several hundred modules (docs/benchmarks.md, "npm start: spawn to the first
// persisted order"). The bundle is kept under local-dapr/node_modules/.cache/ and built
// again only when something that goes into it is newer: a source file, local-dapr's
// package.json, the installed packages, this file.
// The sidecars the runner starts run from the same bundle. A source map is written next to
// it: NODE_OPTIONS=--enable-source-maps makes stack traces name the .ts lines.
//   node scripts/local-dapr.mjs run -f . --bundle-dependencies   what `npm start` runs
//   node scripts/local-dapr.mjs sidecar --help                   any local-dapr command line
import { mkdirSync, readdirSync, realpathSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const HERE = fileURLToPath(import.meta.url)

// CommonJS packages in an ESM bundle still call require() for Node's built-ins.
const BANNER = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"

/** The newest modification time among `paths`, looking inside folders; paths that do not exist count for nothing. */
export function newestChange (paths) {
  let newest = 0
  for (const path of paths) {
    let info
    try {
      info = statSync(path)
    } catch {
      continue
    }
    if (info.isDirectory()) {
      newest = Math.max(newest, newestChange(readdirSync(path).map((name) => join(path, name))))
    } else {
      newest = Math.max(newest, info.mtimeMs)
    }
  }
  return newest
}

/** What the bundle of the local-dapr CLI under `root` is made of, and where it goes. */
export function cliBundle (root) {
  const pkg = join(root, 'local-dapr')
  return {
    entry: join(pkg, 'src', 'main.ts'),
    outfile: join(pkg, 'node_modules', '.cache', 'local-dapr-cli', 'main.mjs'),
    sources: [join(pkg, 'src'), join(pkg, 'package.json'), join(root, 'node_modules', '.package-lock.json'), HERE]
  }
}

/**
 * The bundle of the local-dapr CLI, built first when it is missing or older than one of its
 * sources. Written through temporary files and renames, so that two starts at once (or a
 * system still running from the previous bundle) never see half a file.
 * @example
 * const file = await bundleCli('/repo') // '/repo/local-dapr/node_modules/.cache/local-dapr-cli/main.mjs'
 */
export async function bundleCli (root, build) {
  const { entry, outfile, sources } = cliBundle(root)
  let built = 0
  try {
    built = statSync(outfile).mtimeMs
  } catch {}
  if (built > newestChange(sources)) return outfile
  const started = Date.now()
  const result = await (build ?? (await import('esbuild')).build)({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // esbuild's JavaScript API finds its native binary next to its own files.
    external: ['esbuild'],
    banner: { js: BANNER },
    sourcemap: 'linked',
    sourcesContent: false,
    write: false,
    logLevel: 'error'
  })
  mkdirSync(dirname(outfile), { recursive: true })
  // The map before the code that names it; the code's time is the build's start, so a source
  // saved while esbuild was reading it is newer and the next start builds again.
  const files = [...result.outputFiles].sort((a, b) => Number(b.path.endsWith('.map')) - Number(a.path.endsWith('.map')))
  for (const file of files) {
    const temp = `${file.path}.${process.pid}`
    writeFileSync(temp, file.contents)
    if (file.path === outfile) utimesSync(temp, started / 1000, started / 1000)
    renameSync(temp, file.path)
  }
  return outfile
}

/** Builds the bundle when needed, then runs it with this process's command line. */
export async function main (root = dirname(dirname(HERE))) {
  const file = await bundleCli(root)
  await import(pathToFileURL(file).href)
}

// Run as a program, not imported (by its test).
if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === HERE) {
  await main()
}
