# syntax=docker/dockerfile:1
# One image recipe for both services; the build arg picks which one the image runs:
#   docker buildx build --build-arg SERVICE=order     -t <registry>/orders-on-dapr/order:0.1.0 .
#   docker buildx build --build-arg SERVICE=generator -t <registry>/orders-on-dapr/generator:0.1.0 .
# Every stage uses the same pinned Node 24 tag: 24.21.0, the newest Node 24 release when this was
# written (published 2026-09-10; it includes the January and March 2026 security releases). Bump it
# deliberately, and scripts/validate-deploy's NODE_24_FLOOR with it (add @sha256:<digest> to pin harder).

FROM node:24.21.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: the root's prepare script (npm start's bundles) needs sources this stage
# never copies, and esbuild finds its binary through its platform package without its own.
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
# The production build (scripts/build.mjs): one esbuild bundle per service plus its main.js,
# which turns on Node's compile cache (docs/benchmarks.md, start-up).
COPY scripts/build.mjs ./scripts/
COPY src ./src
RUN npm run build

FROM node:24.21.0-bookworm-slim AS runtime
ARG SERVICE=order
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only, no install scripts; then npm, npx, corepack and yarn are
# deleted in the same layer, so nothing in the running image can fetch or run packages.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
COPY --from=build /app/dist ./dist
# Exec-form CMD cannot expand ${SERVICE}, so the chosen entrypoint gets a fixed name.
# Node resolves the symlink (no --preserve-symlinks-main), so main.js's import of server.js
# and the source map still resolve inside dist/. A wrong SERVICE fails the build here rather
# than at pod start. The compile cache goes to os.tmpdir(), the pods' /tmp emptyDir.
RUN test -f "dist/${SERVICE}/main.js" && test -f "dist/${SERVICE}/server.js" && ln -s "dist/${SERVICE}/main.js" /app/server.js
# Files stay root-owned and read-only for the runtime user; the pods also mount the root
# filesystem read-only. Numeric so kubelet can check runAsNonRoot; matches runAsUser in manifests/.
USER 1000:1000
# 8080 public (order), 3001 (generator), 9464 metrics; the order service's app channel 3000 is loopback only.
EXPOSE 8080 3001 9464
# No --enable-source-maps: it reads and parses the bundle's 1.5 MB map at every start (+8 %
# CPU). Stacks keep function names (keepNames); to map them to src/, set
# NODE_OPTIONS=--enable-source-maps on the container (the map ships next to the bundle).
CMD ["node", "server.js"]
