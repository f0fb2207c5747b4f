// Shared Vitest settings: resolve workspace packages from their TypeScript source
// (the "@lovage/source" export condition) so tests never need a build first.
import { availableParallelism } from 'node:os';
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
      // Test files mostly wait on Redis, PostgreSQL, RabbitMQ and Python workers, not on the CPU:
      // one file more than there are cores keeps the cores busy. Vitest's default (cores - 1) ran
      // one file at a time on two cores, and the engine's suite took three times as long.
      maxWorkers: availableParallelism() + 1,
      // Files share their worker's module cache: each file otherwise imported the workspace's
      // sources anew (and the gateway's tests compiled PGlite anew), half of the suite's CPU time.
      // Tests keep their state to themselves (a fresh key prefix, database or server each).
      isolate: false,
      allowOnly: false,
      passWithNoTests: false,
      // scripts/test.mjs sums these reports into the run's closing "N passed, N failed" line.
      reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    },
  });
}
