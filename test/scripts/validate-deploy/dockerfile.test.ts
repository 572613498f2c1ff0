// The Dockerfile and .dockerignore checks, on the committed files (read as text, no kubectl)
// and on small edits of them that each break one rule.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { repoRoot } from '../../../scripts/validate-deploy/bundle.js'
import { checkDockerfile, checkDockerignore, compareVersions, dockerIgnored, finalStage, parseDockerfile } from '../../../scripts/validate-deploy/dockerfile.js'
import { empty } from './helpers.js'

const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8')
const dockerignore = readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8')

const issues = (df: string, di = dockerignore): string[] =>
  [...checkDockerfile({ ...empty(), dockerfile: df, dockerignore: di }), ...checkDockerignore({ ...empty(), dockerfile: df, dockerignore: di })]
    .map((i) => `${i.check} ${i.where} ${i.message}`)
/** The 1-based line of the committed Dockerfile holding `needle`. */
const at = (needle: string): number => dockerfile.split('\n').findIndex((l) => l.includes(needle)) + 1
const edit = (from: string | RegExp, to: string): string => {
  const out = dockerfile.replace(from, to)
  if (out === dockerfile) throw new Error(`edit did not apply: ${from}`)
  return out
}

t.test('compareVersions', async (t) => {
  t.equal(compareVersions('24.21.0', '24.21.0'), 0)
  t.ok(compareVersions('24.9.0', '24.21.0') < 0, 'numeric, not lexical')
  t.ok(compareVersions('24.21.1', '24.21') > 0, 'a missing part counts as 0')
  t.ok(compareVersions('24', '24.0.1') < 0)
})

t.test('parseDockerfile', async (t) => {
  const text = '# syntax=docker/dockerfile:1\r\n\nARG BASE\nfrom node:24.21.0 AS a\nRUN echo 1 \\\n# a comment inside a continuation\n  && echo 2 \\\n\nCMD ["node"]\n'
  t.same(parseDockerfile(text), [
    { keyword: 'ARG', args: 'BASE', line: 3 },
    { keyword: 'FROM', args: 'node:24.21.0 AS a', line: 4 },
    { keyword: 'RUN', args: 'echo 1    && echo 2', line: 5 },
    { keyword: 'CMD', args: '["node"]', line: 9 }
  ], 'comments and blank lines dropped, continuations joined, keywords upper-cased')
  t.same(parseDockerfile('from\tbusybox\nSTOPSIGNAL\n'), [{ keyword: 'FROM', args: 'busybox', line: 1 }, { keyword: 'STOPSIGNAL', args: '', line: 2 }], 'any whitespace ends the keyword; arguments may be missing')
  t.same(finalStage(parseDockerfile('ARG X\n')), [], 'an instruction before any FROM belongs to no stage')
  t.same(finalStage(parseDockerfile(text)).map((i) => i.keyword), ['FROM', 'RUN', 'CMD'])
})

t.test('the committed Dockerfile and .dockerignore pass', async (t) => {
  t.same(issues(dockerfile), [])
})

t.test('an empty Dockerfile fails every rule, without a crash', async (t) => {
  t.same(checkDockerfile(empty()).map((i) => `${i.check} ${i.where}`), [
    'DOCKERFILE_USER Dockerfile:0', 'DOCKERFILE_CMD Dockerfile:0', 'DOCKERFILE_NPM Dockerfile:0', 'DOCKERFILE_NPM Dockerfile:0',
    'DOCKERFILE_NPM Dockerfile:0', 'DOCKERFILE_SERVICE Dockerfile:0', 'DOCKERFILE_SERVICE Dockerfile:0'
  ])
})

t.test('FROM', async (t) => {
  t.same(issues(edit('FROM node:24.21.0-bookworm-slim AS build', 'FROM node:$V AS build')), [`DOCKERFILE_FROM Dockerfile:${at('FROM node:24.21.0-bookworm-slim AS build')} FROM node:$V: use a literal, pinned image`])
  t.same(issues(edit('FROM node:24.21.0-bookworm-slim AS build', 'FROM node:24-slim AS build')), [`DOCKERFILE_FROM Dockerfile:${at('FROM node:24.21.0-bookworm-slim AS build')} FROM node:24-slim: pin a full version tag (x.y.z) or a digest`])
  t.same(issues(edit('FROM node:24.21.0-bookworm-slim AS build', 'FROM node AS build')), [`DOCKERFILE_FROM Dockerfile:${at('FROM node:24.21.0-bookworm-slim AS build')} FROM node: pin a full version tag (x.y.z) or a digest`])
  t.same(issues(edit('FROM node:24.21.0-bookworm-slim AS build', 'FROM docker.io/library/node:22.22.0 AS build')), [`DOCKERFILE_FROM Dockerfile:${at('FROM node:24.21.0-bookworm-slim AS build')} FROM docker.io/library/node:22.22.0: the services target Node 24`])
  t.same(issues(edit('FROM node:24.21.0-bookworm-slim AS runtime', 'FROM --platform=linux/arm64 node:24.11.0-slim AS runtime')),
    [`DOCKERFILE_FROM Dockerfile:${at('FROM node:24.21.0-bookworm-slim AS runtime')} FROM node:24.11.0-slim: older than Node 24.21.0, which carries the 2026 security releases`], 'flags are skipped')
  t.same(issues(edit('FROM node:24.21.0-bookworm-slim AS build', 'FROM --platform=linux/amd64')), [`DOCKERFILE_FROM Dockerfile:${at('FROM node:24.21.0-bookworm-slim AS build')} FROM : pin a full version tag (x.y.z) or a digest`], 'no image at all')
  t.same(issues(edit('FROM node:24.21.0-bookworm-slim AS build', `FROM docker.io/library/node:lts@sha256:${'b'.repeat(64)} AS build`)),
    [`DOCKERFILE_FROM Dockerfile:${at('FROM node:24.21.0-bookworm-slim AS build')} FROM docker.io/library/node:lts@sha256:${'b'.repeat(64)}: the services target Node 24`], 'a digest pins, but the tag must still say Node 24')
  t.same(issues(edit('FROM node:24.21.0-bookworm-slim AS build', `FROM node@sha256:${'a'.repeat(64)} AS build`)), [], 'a digest pins')
  t.same(issues(edit('FROM node:24.21.0-bookworm-slim AS build', 'FROM public.ecr.aws/docker/library/busybox:1.37.0 AS build')), [], 'another image with a full version')
  t.same(issues(edit('FROM node:24.21.0-bookworm-slim AS runtime', 'FROM build')), [], 'an earlier stage by name')
})

t.test('USER and CMD', async (t) => {
  t.same(issues(edit('USER 1000:1000', 'USER node')), [`DOCKERFILE_USER Dockerfile:${at('USER 1000')} the final stage must end with a numeric non-root USER uid[:gid]`])
  t.same(issues(edit('USER 1000:1000', 'USER 0')), [`DOCKERFILE_USER Dockerfile:${at('USER 1000')} the final stage must end with a numeric non-root USER uid[:gid]`])
  t.same(issues(edit('USER 1000:1000\n', '')), ['DOCKERFILE_USER Dockerfile:0 the final stage must end with a numeric non-root USER uid[:gid]'])
  t.same(issues(edit('CMD ["node", "server.js"]', 'CMD node server.js')),
    [`DOCKERFILE_CMD Dockerfile:${at('CMD [')} CMD must be exec form (a JSON array), so node is PID 1 and gets SIGTERM`])
  t.same(issues(edit('CMD ["node", "server.js"]', 'CMD ["node", 1]')),
    [`DOCKERFILE_CMD Dockerfile:${at('CMD [')} CMD must be exec form (a JSON array), so node is PID 1 and gets SIGTERM`])
  t.same(issues(edit('CMD ["node", "server.js"]', 'CMD ["npm", "start"]')), [`DOCKERFILE_CMD Dockerfile:${at('CMD [')} CMD must run node directly, never npm`])
  t.same(issues(edit('CMD ["node", "server.js"]', 'ENTRYPOINT ["node", "npx"]')),
    [`DOCKERFILE_CMD Dockerfile:${at('CMD [')} ENTRYPOINT must run node directly, never npm`, 'DOCKERFILE_CMD Dockerfile:0 the final stage has no CMD'])
})

t.test('npm', async (t) => {
  t.same(issues(edit('npm ci --ignore-scripts --no-audit --no-fund\n', 'npm install\n')), [
    `DOCKERFILE_NPM Dockerfile:${at('npm ci --ignore-scripts --no-audit')} use npm ci (lockfile-exact), not npm install`,
    'DOCKERFILE_NPM Dockerfile:0 a build stage must run npm ci (with dev deps) and npm run build'
  ])
  t.same(issues(edit('npm ci --omit=dev', 'npm ci')), [`DOCKERFILE_NPM Dockerfile:${at('FROM node:24.21.0-bookworm-slim AS runtime')} the final stage must install production deps only (npm ci --omit=dev)`])
  t.same(issues(edit('rm -rf /usr/local/lib/node_modules/npm ', 'rm -rf ')), [`DOCKERFILE_NPM Dockerfile:${at('FROM node:24.21.0-bookworm-slim AS runtime')} the final stage must delete npm after installing (no npm at runtime)`])
  t.same(issues(edit('COPY --from=build /app/dist ./dist', 'RUN npm run build')), [`DOCKERFILE_NPM Dockerfile:${at('FROM node:24.21.0-bookworm-slim AS runtime')} the final stage must not build; build in an earlier stage`])
  // The build stage's npm ci with install scripts: the root's prepare needs scripts/local-dapr.mjs, not copied yet.
  t.same(issues(edit('npm ci --ignore-scripts --no-audit --no-fund\n', 'npm ci --no-audit --no-fund\n')),
    [`DOCKERFILE_NPM Dockerfile:${at('npm ci --ignore-scripts --no-audit')} npm ci must pass --ignore-scripts (install scripts run before the sources are copied)`])
  t.same(issues(edit('npm ci --omit=dev --ignore-scripts', 'npm ci --omit=dev')),
    [`DOCKERFILE_NPM Dockerfile:${at('npm ci --omit=dev')} npm ci must pass --ignore-scripts (install scripts run before the sources are copied)`])
  t.same(issues(edit('RUN npm run build\n', '')), ['DOCKERFILE_NPM Dockerfile:0 a build stage must run npm ci (with dev deps) and npm run build'])
})

t.test('SERVICE', async (t) => {
  t.same(issues(edit('ARG SERVICE=order', 'ARG SERVICE=generator')), [`DOCKERFILE_SERVICE Dockerfile:${at('ARG SERVICE=order')} the final stage must declare ARG SERVICE=order`])
  t.same(issues(edit('ARG SERVICE=order\n', '')), ['DOCKERFILE_SERVICE Dockerfile:0 the final stage must declare ARG SERVICE=order'])
  t.same(issues(edit(/RUN test -f .*\n/, 'RUN ln -s dist/order/server.js /app/server.js\n')), [`DOCKERFILE_SERVICE Dockerfile:${at('ARG SERVICE=order')} the image must run dist/\${SERVICE}/server.js`])
})

t.test('dockerIgnored', async (t) => {
  t.ok(dockerIgnored('*', 'README.md'))
  t.notOk(dockerIgnored('*\n!src', 'src/a/b.ts'), 'a re-included parent keeps its children')
  t.ok(dockerIgnored('# comment\n\n/dist/\n', 'dist/order/server.js'), 'leading and trailing slashes are dropped; a parent rule covers children')
  t.ok(dockerIgnored('**/*.test.ts', 'test/a/b.test.ts'))
  t.notOk(dockerIgnored('*.test.ts', 'test/b.test.ts'), '* stops at a slash')
  t.ok(dockerIgnored('.env?', '.envx'))
  t.notOk(dockerIgnored('.env?', '.env'), '? is exactly one character')
  t.notOk(dockerIgnored('a+b', 'aab'), 'regex characters are literal')
  t.ok(dockerIgnored('a+b', 'a+b'))
  t.notOk(dockerIgnored('', 'x'))
})

t.test('.dockerignore against the COPY lines', async (t) => {
  t.same(issues(dockerfile, dockerignore.replace('!src\n', '')), [`DOCKERIGNORE .dockerignore COPY src (Dockerfile:${at('COPY src')}) is excluded from the build context`])
  t.same(issues(dockerfile, dockerignore.replace('!scripts/build.mjs\n', '')), [`DOCKERIGNORE .dockerignore COPY scripts/build.mjs (Dockerfile:${at('COPY scripts/build.mjs')}) is excluded from the build context`])
  t.same(issues(dockerfile, '*\n!*\n'), [
    'DOCKERIGNORE .dockerignore node_modules/x/index.js would be sent to the build context',
    'DOCKERIGNORE .dockerignore .git/config would be sent to the build context',
    'DOCKERIGNORE .dockerignore dist/order/server.js would be sent to the build context',
    'DOCKERIGNORE .dockerignore test/a.test.ts would be sent to the build context',
    'DOCKERIGNORE .dockerignore .env would be sent to the build context',
    'DOCKERIGNORE .dockerignore coverage/x would be sent to the build context',
    'DOCKERIGNORE .dockerignore .dapr/logs/x.log would be sent to the build context'
  ])
})
