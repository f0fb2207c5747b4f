// Retrying the failed members of a workflow. The engine re-publishes them (it holds the canvas:
// which member feeds which, the chord's counter); the gateway checks that there is something to
// retry, makes one retry of a workflow run at a time, and links each re-run to the member it
// replaces, as the single-task retry does, so the graph shows the new member at once.
import type { PrismaClient } from '../generated/prisma/client.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { TaskStateName } from './task-actions.js';

export interface RetriedMember {
  /** The failed or revoked member. */
  from: string;
  /** Its re-run (a new task id; its message carries the header `retriedFrom`). */
  to: string;
}

/**
 * What the gateway needs of the engine's `app.workflows` (and all a test needs to stand in for
 * it): re-publish every failed or revoked member of the task's workflow with its canvas
 * headers, under new ids.
 */
export interface WorkflowRetrier {
  retryFailed(taskId: string): Promise<{ retried: RetriedMember[] }>;
}

/** The members the engine's `workflows.retryFailed` re-publishes (a dead-lettered member is retried on its own). */
const RETRIABLE_MEMBER_STATES: readonly TaskStateName[] = ['FAILURE', 'REVOKED'];

// $1 the root, $2 the task's group when it has no root: the members readWorkflow lists.
const COUNT_RETRIABLE = `
SELECT count(*)::int AS n FROM tasks
 WHERE (root_id = $1 OR id = $1 OR ($2::text IS NOT NULL AND (group_id = $2 OR chord_group_id = $2)))
   AND state::text IN (${RETRIABLE_MEMBER_STATES.map((state) => `'${state}'`).join(', ')})
   AND retried_into_id IS NULL`;

// The re-run's row, made before its first event lands (the ingest fills the rest and never
// writes retried_from_id), with the member's workflow links: it shows in the graph at once.
// Rows are written in the order given (sorted by id as the ingest sorts its batch), so this
// statement and an ingest batch writing the same new rows lock them in the same order.
const LINK_RERUNS = `
INSERT INTO tasks (id, name, args, queue, priority, parent_id, root_id, group_id, group_index, chord_group_id, retried_from_id, updated_at)
SELECT r.id, r.name, r.args, r.queue, r.priority, r.parent_id, r.root_id, r.group_id, r.group_index, r.chord_group_id, r.retried_from_id, now()
  FROM jsonb_to_recordset($1::jsonb) AS r(id text, name text, args jsonb, queue text, priority int, parent_id text, root_id text,
       group_id text, group_index int, chord_group_id text, retried_from_id text)
ON CONFLICT (id) DO UPDATE SET retried_from_id = EXCLUDED.retried_from_id`;

const LINK_ORIGINALS = `
UPDATE tasks t SET retried_into_id = r.to_id
  FROM jsonb_to_recordset($1::jsonb) AS r(from_id text, to_id text)
 WHERE t.id = r.from_id AND t.retried_into_id IS NULL`;

export class WorkflowActions {
  constructor(
    private readonly retrier: WorkflowRetrier,
    private readonly prisma: PrismaClient,
  ) {}

  /**
   * Retries the failed and revoked members of task `id`'s workflow. Refused (409) when the
   * monitor knows of none not retried yet. Two retries of one workflow at once run one after
   * the other (a transaction-scoped advisory lock on the root), so the second finds the
   * members already linked to their re-runs and is refused instead of running them twice.
   */
  async retryFailed(id: string): Promise<{ retried: RetriedMember[] }> {
    const retrier = this.retrier;
    const task = await this.prisma.task.findUnique({ where: { id }, select: { rootId: true, groupId: true } });
    if (!task) throw new NotFoundError(`no task with id ${JSON.stringify(id)}`);
    const rootId = task.rootId ?? id;
    const rootlessGroup = task.rootId === null ? task.groupId : null;
    return this.prisma.$transaction(
      async (tx) => {
        await tx.$queryRawUnsafe(`SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(hashtext($1))) AS l`, `lovage:workflow:${rootId}`);
        const [{ n } = { n: 0 }] = await tx.$queryRawUnsafe<{ n: number }[]>(COUNT_RETRIABLE, rootId, rootlessGroup);
        if (n === 0) throw new ConflictError(`the workflow of task ${id} has no failed or revoked member left to retry`, 'NOTHING_TO_RETRY');
        // The root: the engine finds every member from it, even from a callback that never ran.
        const { retried } = await retrier.retryFailed(rootId);
        if (retried.length > 0) {
          const originals = new Map(
            (await tx.task.findMany({ where: { id: { in: retried.map((pair) => pair.from) } } })).map((row) => [row.id, row]),
          );
          const reruns = [...retried]
            .sort((a, b) => (a.to < b.to ? -1 : a.to > b.to ? 1 : 0))
            .flatMap(({ from, to }) => {
              const original = originals.get(from);
              if (!original) return [];
              return [{
                id: to,
                name: original.name,
                args: original.args,
                queue: original.queue,
                priority: original.priority,
                parent_id: original.parentId,
                root_id: original.rootId,
                group_id: original.groupId,
                group_index: original.groupIndex,
                chord_group_id: original.chordGroupId,
                retried_from_id: from,
              }];
            });
          if (reruns.length > 0) await tx.$executeRawUnsafe(LINK_RERUNS, JSON.stringify(reruns));
          await tx.$executeRawUnsafe(LINK_ORIGINALS, JSON.stringify(retried.map((pair) => ({ from_id: pair.from, to_id: pair.to }))));
        }
        return { retried };
      },
      { timeout: 60_000, maxWait: 10_000 },
    );
  }
}
