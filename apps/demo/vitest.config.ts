import { lovageVitestConfig } from '../../vitest.shared.js';

// Tests here start the demo as a real process, which opens PGlite: several
// seconds on a busy machine. The demo's Prisma client is generated first.
const config = lovageVitestConfig({ testTimeout: 60_000 });
config.test = { ...config.test, globalSetup: ['./test/generate-client.ts'] };

export default config;
