# syntax=docker/dockerfile:1.7
# The monitor server (also used as the one-shot `migrate` service).
# Build from the repository root: docker build -f docker/gateway.Dockerfile .

ARG NODE_VERSION=20.20

# Full install: the Prisma CLI (a dev dependency) generates the client here.
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
RUN npm ci --workspace @lovage/gateway --workspace @lovage/engine --include-workspace-root --ignore-scripts
COPY prisma prisma
COPY scripts scripts
COPY apps/gateway/src apps/gateway/src
RUN node scripts/db.mjs generate

# Production dependencies only, for the runtime image.
FROM deps AS prod-deps
RUN npm prune --omit=dev --workspace @lovage/gateway --workspace @lovage/engine --include-workspace-root

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    NODE_OPTIONS=--conditions=@lovage/source \
    HOST=0.0.0.0 \
    PORT=5555
WORKDIR /app
COPY --from=prod-deps --chown=node:node /repo/node_modules ./node_modules
COPY --chown=node:node package.json tsconfig.base.json ./
COPY --chown=node:node prisma prisma
COPY --chown=node:node scripts scripts
COPY --chown=node:node apps/engine apps/engine
COPY --chown=node:node apps/gateway apps/gateway
COPY --from=deps --chown=node:node /repo/apps/gateway/src/generated apps/gateway/src/generated
USER node
EXPOSE 5555
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:5555/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "apps/gateway/bin/lovage-gateway.mjs"]
