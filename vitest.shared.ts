// Shared Vitest settings: resolve workspace packages from their TypeScript source
// (the "@lovage/source" export condition) so tests never need a build first.
import { defineConfig } from 'vitest/config';

// No 'import' here: Vitest applies these conditions to require() of CommonJS
// packages too, and pg's require('pg-pool') would then load pg-pool's ESM build.
const conditions = ['@lovage/source', 'node', 'module', 'default'];

export function lovageVitestConfig(options: { testTimeout?: number; include?: string[] } = {}) {
  return defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['@lovage/source'] } },
    test: {
      include: options.include ?? ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: options.testTimeout ?? 20_000,
      hookTimeout: 30_000,
      pool: 'forks',
      allowOnly: false,
      passWithNoTests: false,
      // scripts/test.mjs sums these reports into the run's closing "N passed, N failed" line.
      reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    },
  });
}
