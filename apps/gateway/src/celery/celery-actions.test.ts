import { describe, expect, it } from 'vitest';
import { celeryCommand } from './celery-actions.js';

describe('Celery worker control', () => {
  it("sends worker control in Celery's method names and units", () => {
    expect(celeryCommand({ command: 'time_limit', arguments: { task: 'proj.add', soft: '30s', hard: 60_000 } })).toEqual({ method: 'time_limit', arguments: { task_name: 'proj.add', soft: 30, hard: 60 } });
    expect(celeryCommand({ command: 'rate_limit', arguments: { task: 'proj.add', rate: '10/m' } })).toEqual({ method: 'rate_limit', arguments: { task_name: 'proj.add', rate_limit: '10/m' } });
    expect(celeryCommand({ command: 'autoscale', arguments: { max: 8, min: 2 } })).toEqual({ method: 'autoscale', arguments: { max: 8, min: 2 } });
    expect(celeryCommand({ command: 'pool_shrink', arguments: { n: 2 } })).toEqual({ method: 'pool_shrink', arguments: { n: 2 } });
  });
});
