# syntax=docker/dockerfile:1.7
# The Next.js dashboard as a standalone server (next.config.ts sets output: 'standalone').
# Build from the repository root: docker build -f docker/dashboard.Dockerfile .

ARG NODE_VERSION=20.20

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /repo
ENV NEXT_TELEMETRY_DISABLED=1 \
    LOVAGE_DASHBOARD_OUTPUT=standalone
COPY package.json package-lock.json tsconfig.base.json eslint.config.js ./
COPY apps/engine/package.json apps/engine/
COPY apps/gateway/package.json apps/gateway/
COPY apps/dashboard/package.json apps/dashboard/
COPY apps/demo/package.json apps/demo/
COPY e2e/package.json e2e/
COPY bench/package.json bench/
COPY test-support/package.json test-support/
COPY docker/package.json docker/
RUN npm ci --workspace @lovage/dashboard --include-workspace-root --ignore-scripts
# The dashboard imports the gateway's API types and the engine's public types.
COPY apps/engine apps/engine
COPY apps/gateway apps/gateway
COPY apps/dashboard apps/dashboard
RUN npm run build -w @lovage/dashboard

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=3000 \
    HOSTNAME=0.0.0.0
WORKDIR /app
COPY --from=build --chown=node:node /repo/apps/dashboard/.next/standalone ./
COPY --from=build --chown=node:node /repo/apps/dashboard/.next/static apps/dashboard/.next/static
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "apps/dashboard/server.js"]
