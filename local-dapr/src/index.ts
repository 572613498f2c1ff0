// The library face of local-dapr, for tests that start sidecars or whole run files in process.
export { startSidecar, RUNTIME_VERSION, DEFAULT_HTTP_PORT, type Sidecar, type SidecarOptions } from './sidecar/sidecar.js'
export { parseCli as parseSidecarFlags, CliError, type CliConfig } from './sidecar/cli.js'
export { createInMemoryStore, type InMemoryStore } from './sidecar/store/in-memory.js'
export { createRedisStore, type RedisStore } from './sidecar/store/redis.js'
export { StoreError, type StateStore } from './sidecar/store/types.js'
export { createRegistry, defaultRegistryDir, RegistryError, type Registry, type RegistryEntry } from './sidecar/invoke/registry.js'
export { startSystem, RunnerError, type RunOptions, type RunningSystem, type RunningApp } from './runner/runner.js'
export { loadRunFile, RunFileError, type ResolvedApp } from './runner/run-file.js'
