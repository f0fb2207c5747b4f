import { lovageVitestConfig } from '../../vitest.shared.js';

const config = lovageVitestConfig();
// The after-commit tests need a Prisma client generated from their small test schema.
config.test = { ...config.test, globalSetup: ['./test/prisma/generate.ts'] };

export default config;
