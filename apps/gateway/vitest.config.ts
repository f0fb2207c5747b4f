import { lovageVitestConfig } from '../../vitest.shared.js';

// Tests here open PGlite, which takes several seconds on a busy machine.
export default lovageVitestConfig({ testTimeout: 60_000 });
