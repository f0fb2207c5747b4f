import { lovageVitestConfig } from '../../vitest.shared.js';

const config = lovageVitestConfig();
// The after-commit tests need a Prisma client generated from their small test schema.
config.test = { ...config.test, globalSetup: ['./test/prisma/generate.ts'] };
// Without the shared 'module' condition: Vitest passes the conditions to Node (--conditions), and
// @opentelemetry/api's 'module' build cannot load in Node itself (extensionless imports), so the
// engine's require() of the API (tracing/tracing.ts) would fail in tests as it never does in an app.
const conditions = ['@lovage/source', 'node', 'default'];
config.resolve = { ...config.resolve, conditions };
config.ssr = { ...config.ssr, resolve: { ...config.ssr?.resolve, conditions } };

export default config;
