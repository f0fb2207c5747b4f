import { lovageVitestConfig } from '../vitest.shared.js';

export default lovageVitestConfig({ include: ['test/**/*.test.ts'] });
