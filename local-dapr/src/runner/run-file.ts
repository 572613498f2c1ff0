// Reads a Dapr CLI multi-app run file (`dapr.yaml`, dapr-http-api.md §8) and resolves it
// the way `dapr run -f` does: per-app values over `common`, paths relative to the file or
// to the app's folder, the CLI's precedence for resources and config, env merged app-over-common.
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { parse } from 'yaml'

const Shared = {
  resourcesPath: Type.Optional(Type.String()),
  resourcesPaths: Type.Optional(Type.Array(Type.String())),
  configFilePath: Type.Optional(Type.String()),
  appProtocol: Type.Optional(Type.String()),
  apiListenAddresses: Type.Optional(Type.String()),
  enableProfiling: Type.Optional(Type.Boolean()),
  logLevel: Type.Optional(Type.String()),
  appMaxConcurrency: Type.Optional(Type.Integer()),
  placementHostAddress: Type.Optional(Type.String()),
  schedulerHostAddress: Type.Optional(Type.String()),
  appSSL: Type.Optional(Type.Boolean()),
  maxBodySize: Type.Optional(Type.String()),
  readBufferSize: Type.Optional(Type.String()),
  enableAppHealthCheck: Type.Optional(Type.Boolean()),
  appHealthCheckPath: Type.Optional(Type.String()),
  appHealthProbeInterval: Type.Optional(Type.Integer()),
  appHealthProbeTimeout: Type.Optional(Type.Integer()),
  appHealthThreshold: Type.Optional(Type.Integer()),
  enableApiLogging: Type.Optional(Type.Boolean()),
  runtimePath: Type.Optional(Type.String()),
  env: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]))),
  daprdLogDestination: Type.Optional(Type.Union([Type.Literal('file'), Type.Literal('console'), Type.Literal('fileAndConsole')])),
  appLogDestination: Type.Optional(Type.Union([Type.Literal('file'), Type.Literal('console'), Type.Literal('fileAndConsole')]))
}

/** The keys the Dapr CLI reads; anything else is a typo the CLI would ignore silently, so we refuse it. */
export const RunFileSchema = Type.Object({
  version: Type.Integer({ minimum: 1 }),
  name: Type.Optional(Type.String()),
  common: Type.Optional(Type.Object(Shared, { additionalProperties: false })),
  apps: Type.Array(Type.Object({
    ...Shared,
    appDirPath: Type.String({ minLength: 1 }),
    appID: Type.Optional(Type.String({ minLength: 1 })),
    appChannelAddress: Type.Optional(Type.String()),
    appPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    daprHTTPPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    daprGRPCPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    daprInternalGRPCPort: Type.Optional(Type.Integer()),
    metricsPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    profilePort: Type.Optional(Type.Integer()),
    command: Type.Array(Type.String(), { minItems: 1 }),
    unixDomainSocket: Type.Optional(Type.String()),
    containerImage: Type.Optional(Type.String()),
    containerImagePullPolicy: Type.Optional(Type.String()),
    createService: Type.Optional(Type.Boolean())
  }, { additionalProperties: false }), { minItems: 1 })
}, { additionalProperties: false })
export type RunFile = Static<typeof RunFileSchema>

/** One app of the run file, resolved: absolute paths, merged env, the ports asked for (undefined = pick a free one). */
export interface ResolvedApp {
  appId: string
  appDir: string
  command: string[]
  appPort: number | undefined
  appChannelAddress: string
  daprHttpPort: number | undefined
  daprGrpcPort: number | undefined
  metricsPort: number | undefined
  resourcesPaths: string[]
  configFile: string | undefined
  appProtocol: string
  logLevel: string | undefined
  enableApiLogging: boolean
  env: Record<string, string>
  appHealth: { path: string | undefined, intervalSeconds: number | undefined, timeoutMs: number | undefined, threshold: number | undefined } | undefined
}

export class RunFileError extends Error {
  readonly code = 'RUNNER_ERR_RUN_FILE'
  constructor (message: string) {
    super(message)
    this.name = 'RunFileError'
  }
}

/** `-f <dir>` reads `<dir>/dapr.yaml`, as the CLI does. */
export function runFilePath (fileOrDir: string): string {
  return fileOrDir.endsWith('.yaml') || fileOrDir.endsWith('.yml') ? resolve(fileOrDir) : resolve(fileOrDir, 'dapr.yaml')
}

export async function loadRunFile (fileOrDir: string, home = homedir()): Promise<ResolvedApp[]> {
  const file = runFilePath(fileOrDir)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new RunFileError(`cannot read the run file ${file}: ${(err as Error).message}`)
  }
  let raw: unknown
  try {
    raw = parse(text)
  } catch (err) {
    throw new RunFileError(`${file} is not valid YAML: ${(err as Error).message}`)
  }
  return resolveRunFile(raw, file, home)
}

export function resolveRunFile (raw: unknown, file: string, home: string): ResolvedApp[] {
  if (typeof raw !== 'object' || raw === null || !('version' in raw) || !(raw as { version: unknown }).version) {
    throw new RunFileError(`${file}: required field 'version' not found in the provided run template file`)
  }
  const problems = [...Value.Errors(RunFileSchema as TSchema, raw)].map((e) => `${e.path}: ${e.message}`)
  if (problems.length > 0) throw new RunFileError(`${file} is not a valid run file:\n  ${[...new Set(problems)].join('\n  ')}`)
  const runFile = raw as RunFile
  const root = dirname(file)
  const common = runFile.common ?? {}
  const apps = runFile.apps.map((app) => {
    const appDir = resolve(root, app.appDirPath)
    const appId = app.appID ?? basename(appDir)
    const protocol = (app.appProtocol ?? common.appProtocol ?? 'http').toLowerCase()
    if (protocol !== 'http') throw new RunFileError(`${file}: app ${appId} uses appProtocol ${protocol}; the local sidecar speaks http only`)
    const healthOn = app.enableAppHealthCheck ?? common.enableAppHealthCheck ?? false
    return {
      appId,
      appDir,
      command: app.command,
      appPort: app.appPort,
      appChannelAddress: app.appChannelAddress ?? '',
      daprHttpPort: app.daprHTTPPort,
      daprGrpcPort: app.daprGRPCPort,
      metricsPort: app.metricsPort,
      resourcesPaths: resourcesFor(app, common, appDir, root, home),
      configFile: configFor(app, common, appDir, root, home),
      appProtocol: protocol,
      logLevel: app.logLevel ?? common.logLevel,
      enableApiLogging: app.enableApiLogging ?? common.enableApiLogging ?? false,
      env: { ...stringify(common.env), ...stringify(app.env) },
      appHealth: healthOn
        ? {
            path: app.appHealthCheckPath ?? common.appHealthCheckPath,
            intervalSeconds: app.appHealthProbeInterval ?? common.appHealthProbeInterval,
            timeoutMs: app.appHealthProbeTimeout ?? common.appHealthProbeTimeout,
            threshold: app.appHealthThreshold ?? common.appHealthThreshold
          }
        : undefined
    }
  })
  const seen = new Set<string>()
  for (const app of apps) {
    if (seen.has(app.appId)) throw new RunFileError(`${file}: app id ${app.appId} appears twice`)
    seen.add(app.appId)
  }
  return apps
}

type SharedKeys = Static<ReturnType<typeof Type.Object<typeof Shared>>>

// Precedence (CLI): app's own paths > <appDir>/.dapr/resources > common's > ~/.dapr/components.
function resourcesFor (app: SharedKeys, common: SharedKeys, appDir: string, root: string, home: string): string[] {
  const own = app.resourcesPaths ?? (app.resourcesPath === undefined ? undefined : [app.resourcesPath])
  if (own !== undefined && own.length > 0) return own.map((p) => resolve(appDir, p))
  const local = join(appDir, '.dapr', 'resources')
  if (existsSync(local)) return [local]
  const shared = common.resourcesPaths ?? (common.resourcesPath === undefined ? undefined : [common.resourcesPath])
  if (shared !== undefined && shared.length > 0) return shared.map((p) => resolve(root, p))
  return [join(home, '.dapr', 'components')]
}

// Precedence (CLI): app's own > <appDir>/.dapr/config.yaml > common's > ~/.dapr/config.yaml.
function configFor (app: SharedKeys, common: SharedKeys, appDir: string, root: string, home: string): string | undefined {
  if (app.configFilePath !== undefined) return resolve(appDir, app.configFilePath)
  const local = join(appDir, '.dapr', 'config.yaml')
  if (existsSync(local)) return local
  if (common.configFilePath !== undefined) return resolve(root, common.configFilePath)
  const fallback = join(home, '.dapr', 'config.yaml')
  return existsSync(fallback) ? fallback : undefined
}

function stringify (env: Record<string, string | number | boolean> | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env ?? {})) out[k] = String(v)
  return out
}
