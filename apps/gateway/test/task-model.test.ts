// The task model is defined once, in the engine: the Prisma enums, the API
// schemas and the ingest's precedence must agree with it. This fails when
// someone adds a state in one place only.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ATTEMPT_OUTCOMES, OUTCOME_PRECEDENCE, STATE_PRECEDENCE, TASK_EVENT_TYPES, TASK_STATES } from '@lovage/engine';
import { describe, expect, it } from 'vitest';
import { AttemptOutcomeSchema, TaskStateSchema } from '../src/api/monitor-schemas.js';
import { stateOf } from '../src/ingest/task-merge.js';

const schema = readFileSync(fileURLToPath(new URL('../../../prisma/schema.prisma', import.meta.url)), 'utf8');

/** The members of a Prisma enum, in declaration order. */
function prismaEnum(name: string): string[] {
  const body = new RegExp(`enum ${name} \\{([^}]*)\\}`).exec(schema)?.[1];
  if (body === undefined) throw new Error(`prisma/schema.prisma has no enum ${name}`);
  return body
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^[A-Z_]+$/.test(line));
}

describe('one task model', () => {
  it('the Prisma enums list exactly the engine task states and attempt outcomes', () => {
    expect(prismaEnum('TaskState')).toEqual([...TASK_STATES]);
    expect(prismaEnum('AttemptOutcome')).toEqual([...ATTEMPT_OUTCOMES]);
  });

  it('the API schemas accept exactly the engine lists', () => {
    expect(TaskStateSchema.options).toEqual([...TASK_STATES]);
    expect(AttemptOutcomeSchema.options).toEqual([...ATTEMPT_OUTCOMES]);
  });

  it('every state and outcome has a precedence, and every task event maps to a known state', () => {
    expect(Object.keys(STATE_PRECEDENCE).sort()).toEqual([...TASK_STATES].sort());
    expect(Object.keys(OUTCOME_PRECEDENCE).sort()).toEqual([...ATTEMPT_OUTCOMES].sort());
    for (const type of TASK_EVENT_TYPES) {
      const state = stateOf({ type, deadLettered: true } as Parameters<typeof stateOf>[0]);
      expect(state === null || (TASK_STATES as readonly string[]).includes(state)).toBe(true);
    }
  });
});
