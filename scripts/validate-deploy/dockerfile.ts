// The Dockerfile and .dockerignore: pinned Node 24 base (at least NODE_24_FLOOR), numeric
// non-root user, exec-form node CMD, npm ci without install scripts and with no npm left at
// runtime, the SERVICE build arg, and a build context holding only what the image needs.
import path from 'node:path'
import type { CheckCode, DeployBundle, Issue } from './bundle.js'
import { NODE_24_FLOOR } from './facts.js'

const DIGEST = /@sha256:[a-f0-9]{64}$/

/** Compares dotted versions numerically: negative when a < b. */
export function compareVersions (a: string, b: string): number {
  const x = a.split('.').map(Number)
  const y = b.split('.').map(Number)
  for (let i = 0; i < 3; i++) {
    const diff = (x[i] ?? 0) - (y[i] ?? 0)
    if (diff !== 0) return diff
  }
  return 0
}

export interface Instruction { keyword: string, args: string, line: number }

/** Instructions with continuation lines joined; comments and parser directives dropped. */
export function parseDockerfile (text: string): Instruction[] {
  const out: Instruction[] = []
  let pending = ''
  let start = 0
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '')
    if (pending === '' && (/^\s*#/.test(line) || line.trim() === '')) return
    if (pending !== '' && /^\s*#/.test(line)) return
    if (pending === '') start = i + 1
    if (/\\\s*$/.test(line)) {
      pending += line.replace(/\\\s*$/, ' ')
      return
    }
    const full = (pending + line).trim()
    pending = ''
    const keyword = full.split(/\s/, 1)[0] as string
    out.push({ keyword: keyword.toUpperCase(), args: full.slice(keyword.length).trim(), line: start })
  })
  return out
}

function stages (ins: Instruction[]): Instruction[][] {
  const out: Instruction[][] = []
  for (const i of ins) {
    if (i.keyword === 'FROM') out.push([i])
    else out.at(-1)?.push(i)
  }
  return out
}

export function finalStage (ins: Instruction[]): Instruction[] {
  return stages(ins).at(-1) ?? []
}

const runs = (stage: Instruction[]): string[] => stage.filter((i) => i.keyword === 'RUN').map((i) => i.args)

export function checkDockerfile (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  const ins = parseDockerfile(b.dockerfile)
  const fail = (check: CheckCode, line: number, message: string): void => { issues.push({ check, where: `Dockerfile:${line}`, message }) }
  const names = new Set<string>()
  const all = stages(ins)
  for (const stage of all) {
    const from = stage[0] as Instruction
    const parts = from.args.split(/\s+/).filter((p) => !p.startsWith('--'))
    const image = parts[0] ?? ''
    const alias = parts[1]?.toUpperCase() === 'AS' ? parts[2] : undefined
    if (!names.has(image)) {
      const tag = /:([^/@]+)(@|$)/.exec(image)?.[1] ?? ''
      const version = /^\d+\.\d+\.\d+/.exec(tag)?.[0]
      if (image.includes('$')) fail('DOCKERFILE_FROM', from.line, `FROM ${image}: use a literal, pinned image`)
      else if (!DIGEST.test(image) && version === undefined) fail('DOCKERFILE_FROM', from.line, `FROM ${image}: pin a full version tag (x.y.z) or a digest`)
      else if (/^(docker\.io\/(library\/)?)?node:/.test(image)) {
        if (version === undefined || !version.startsWith('24.')) fail('DOCKERFILE_FROM', from.line, `FROM ${image}: the services target Node 24`)
        else if (compareVersions(version, NODE_24_FLOOR) < 0) fail('DOCKERFILE_FROM', from.line, `FROM ${image}: older than Node ${NODE_24_FLOOR}, which carries the 2026 security releases`)
      }
    }
    if (alias) names.add(alias)
  }
  const last = finalStage(ins)
  const users = last.filter((i) => i.keyword === 'USER')
  const user = users.at(-1)
  if (!user || !/^[1-9]\d*(:\d+)?$/.test(user.args)) fail('DOCKERFILE_USER', user?.line ?? 0, 'the final stage must end with a numeric non-root USER uid[:gid]')
  for (const i of ins.filter((x) => x.keyword === 'CMD' || x.keyword === 'ENTRYPOINT')) {
    let argv: unknown
    try { argv = JSON.parse(i.args) } catch { argv = undefined }
    if (!Array.isArray(argv) || argv.some((a) => typeof a !== 'string')) fail('DOCKERFILE_CMD', i.line, `${i.keyword} must be exec form (a JSON array), so node is PID 1 and gets SIGTERM`)
    else if (argv[0] !== 'node' || argv.some((a) => /^(npm|npx|yarn|pnpm)$/.test(a))) fail('DOCKERFILE_CMD', i.line, `${i.keyword} must run node directly, never npm`)
  }
  if (!last.some((i) => i.keyword === 'CMD')) fail('DOCKERFILE_CMD', 0, 'the final stage has no CMD')
  for (const i of ins.filter((x) => x.keyword === 'RUN')) {
    if (/\b(npm|pnpm)\s+(install|i|add)\b/.test(i.args)) fail('DOCKERFILE_NPM', i.line, 'use npm ci (lockfile-exact), not npm install')
    // Install scripts run before the sources are copied: the root's prepare fails on files the
    // stage does not have yet, and a dependency's script runs code nobody reviewed.
    else if (/\bnpm ci\b/.test(i.args) && !i.args.includes('--ignore-scripts')) fail('DOCKERFILE_NPM', i.line, 'npm ci must pass --ignore-scripts (install scripts run before the sources are copied)')
  }
  const finalRuns = runs(last)
  const lastFrom = last[0]?.line ?? 0
  if (!finalRuns.some((r) => /\bnpm ci\b.*--omit=dev/.test(r))) fail('DOCKERFILE_NPM', lastFrom, 'the final stage must install production deps only (npm ci --omit=dev)')
  if (!finalRuns.some((r) => r.includes('/usr/local/lib/node_modules/npm'))) fail('DOCKERFILE_NPM', lastFrom, 'the final stage must delete npm after installing (no npm at runtime)')
  if (finalRuns.some((r) => /\bnpm run\b/.test(r))) fail('DOCKERFILE_NPM', lastFrom, 'the final stage must not build; build in an earlier stage')
  if (!all.slice(0, -1).some((s) => runs(s).some((r) => /\bnpm ci\b/.test(r) && !r.includes('--omit=dev')) && runs(s).some((r) => /\bnpm run build\b/.test(r)))) {
    fail('DOCKERFILE_NPM', 0, 'a build stage must run npm ci (with dev deps) and npm run build')
  }
  const arg = last.find((i) => i.keyword === 'ARG' && /^SERVICE(=|$)/.test(i.args))
  if (arg?.args !== 'SERVICE=order') fail('DOCKERFILE_SERVICE', arg?.line ?? 0, 'the final stage must declare ARG SERVICE=order')
  // The literal Dockerfile text `dist/${SERVICE}/server.js` (split so it is not read as a template).
  const entry = 'dist/$' + '{SERVICE}/server.js'
  if (!finalRuns.some((r) => r.includes(entry))) fail('DOCKERFILE_SERVICE', arg?.line ?? 0, `the image must run ${entry}`)
  return issues
}

function globToRegExp (pattern: string): RegExp {
  let re = ''
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string
    if (ch === '*' && pattern[i + 1] === '*') {
      re += '.*'
      i++
    } else if (ch === '*') re += '[^/]*'
    else if (ch === '?') re += '[^/]'
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`)
}

/** Whether the build context drops `file`, with Docker's rules: last match wins, parents count. */
export function dockerIgnored (dockerignore: string, file: string): boolean {
  const rules = dockerignore.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => ({ negate: l.startsWith('!'), re: globToRegExp(path.posix.normalize(l.replace(/^!/, '')).replace(/^\/|\/$/g, '')) }))
  const parts = file.split('/')
  let ignored = false
  // A rule matching a parent directory applies to everything below it, unless a later rule
  // re-includes a path further down.
  for (let n = 1; n <= parts.length; n++) {
    const prefix = parts.slice(0, n).join('/')
    for (const r of rules) if (r.re.test(prefix)) ignored = !r.negate
  }
  return ignored
}

export function checkDockerignore (b: DeployBundle): Issue[] {
  const issues: Issue[] = []
  const ins = parseDockerfile(b.dockerfile)
  for (const i of ins.filter((x) => (x.keyword === 'COPY' || x.keyword === 'ADD') && !/--from=/.test(x.args))) {
    const srcs = i.args.split(/\s+/).filter((p) => !p.startsWith('--')).slice(0, -1)
    for (const s of srcs) {
      const probe = s.replace(/\/$/, '') + (s.includes('.') ? '' : '/x.ts')
      if (dockerIgnored(b.dockerignore, probe)) issues.push({ check: 'DOCKERIGNORE', where: '.dockerignore', message: `COPY ${s} (Dockerfile:${i.line}) is excluded from the build context` })
    }
  }
  for (const f of ['node_modules/x/index.js', '.git/config', 'dist/order/server.js', 'test/a.test.ts', '.env', 'coverage/x', '.dapr/logs/x.log']) {
    if (!dockerIgnored(b.dockerignore, f)) issues.push({ check: 'DOCKERIGNORE', where: '.dockerignore', message: `${f} would be sent to the build context` })
  }
  return issues
}
