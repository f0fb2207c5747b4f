# syntax=docker/dockerfile:1.7
# The `lovage` command on the demo app: one image for workers and for beat.
#   worker: lovage worker --app apps/demo/src/app.ts
#   beat:   lovage beat --app apps/demo/src/app.ts
# Build from the repository root: docker build -f docker/worker.Dockerfile .

ARG NODE_VERSION=20.20

FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /repo
COPY package.json package-lock.json tsconfig.base.json ./
COPY apps/engine/package.json apps/engine/
COPY apps/gateway/package.json apps/gateway/
COPY apps/dashboard/package.json apps/dashboard/
COPY apps/demo/package.json apps/demo/
COPY e2e/package.json e2e/
COPY bench/package.json bench/
COPY test-support/package.json test-support/
COPY docker/package.json docker/
# The engine loads TypeScript app modules through tsx, one of its runtime dependencies.
RUN npm ci --omit=dev --workspace @lovage/engine --workspace @lovage/demo --include-workspace-root --ignore-scripts
# The demo's tasks use its own Prisma client (users, orders, outbox), generated from its schema.
COPY apps/demo/prisma apps/demo/prisma
COPY apps/demo/scripts apps/demo/scripts
RUN node apps/demo/scripts/generate-client.mjs --force

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    NODE_OPTIONS=--conditions=@lovage/source
WORKDIR /app
COPY --from=deps --chown=node:node /repo/node_modules ./node_modules
COPY --chown=node:node package.json tsconfig.base.json ./
COPY --chown=node:node apps/engine apps/engine
COPY --chown=node:node apps/demo apps/demo
COPY --from=deps --chown=node:node /repo/apps/demo/src/generated apps/demo/src/generated
USER node
# Healthy when this container's worker answers a ping over the broker (its name ends with
# @<container hostname>); beat answers no pings, so compose turns the check off there.
HEALTHCHECK --interval=15s --timeout=8s --start-period=20s --retries=3 \
  CMD node apps/engine/bin/lovage.mjs control ping --json -t 3s | grep -qF "@$(hostname)\""
ENTRYPOINT ["node", "apps/engine/bin/lovage.mjs"]
CMD ["worker", "--app", "apps/demo/src/app.ts"]
