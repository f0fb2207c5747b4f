// No import cycles anywhere in apps/engine/src (type-only imports count too):
// each folder depends on ports and narrow host interfaces, never back on its user.
// Run alone: cd apps/engine && npx vitest run test/structure
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findCycles, importGraph } from './import-graph.js';

const src = fileURLToPath(new URL('../../src/', import.meta.url));

describe('the engine import graph', () => {
  it('reads the imports of every source file', () => {
    const graph = importGraph(src);
    expect(graph.size).toBeGreaterThan(50);
    // The worker imports its settle pipeline: the walk sees real edges.
    expect([...graph].find(([file]) => file.endsWith('worker/worker.ts'))?.[1].some((f) => f.endsWith('worker/settle.ts'))).toBe(true);
  });

  it('has no cycles', () => {
    expect(findCycles(importGraph(src), src)).toEqual([]);
  });
});
