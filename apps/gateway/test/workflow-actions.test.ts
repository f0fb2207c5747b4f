// POST /tasks/:id/workflow/retry-failed against a real engine app, worker, Redis and Postgres.
// The engine's canvas (app.workflows) is built elsewhere; here a small real WorkflowRetrier
// stands in for it: it sends workflow members with their canvas headers, and re-sends the
// failed ones (as the result backend reports them) under new ids with `retriedFrom`.
import { chord, group, type Lovage } from '@lovage/engine';
import { postgresTest } from '@lovage/test-support/postgres';
import { describe, expect } from 'vitest';
import type { RetryFailedMembersResponse, WorkflowResponse } from '../src/api/schemas.js';
import type { RetriedMember, WorkflowRetrier } from '../src/actions/workflow-actions.js';
import { startStack, taskInState, until } from './actions-support.js';
import { errorOf, signedIn } from './support.js';

interface Member {
  id: string;
  name: string;
  args: unknown[];
  headers: Record<string, unknown>;
  retried: boolean;
}

/** Workflows sent through the engine's public API, and retried the way app.workflows promises. */
class SentWorkflows implements WorkflowRetrier {
  private readonly members: Member[] = [];
  calls = 0;

  constructor(private readonly producer: Lovage) {}

  async send(name: string, args: unknown[], headers: Record<string, unknown>, taskId?: string): Promise<string> {
    const result = await this.producer.sendTask(name, args, { headers, ...(taskId ? { taskId } : {}) });
    this.members.push({ id: result.id, name, args, headers, retried: false });
    return result.id;
  }

  async retryFailed(taskId: string): Promise<{ retried: RetriedMember[] }> {
    this.calls += 1;
    const asked = this.members.find((member) => member.id === taskId);
    const rootId = asked?.headers.rootId ?? taskId;
    const retried: RetriedMember[] = [];
    for (const member of [...this.members]) {
      if (member.retried || (member.headers.rootId ?? member.id) !== rootId) continue;
      const state = await this.producer.asyncResult(member.id).state();
      if (state !== 'FAILURE' && state !== 'REVOKED') continue;
      member.retried = true;
      const { retriedFrom: _previous, ...canvas } = member.headers;
      const to = await this.send(member.name, member.args, { ...canvas, retriedFrom: member.id });
      retried.push({ from: member.id, to });
    }
    return { retried };
  }
}

describe('retry the failed members of a workflow', () => {
  postgresTest('an operator retries them: re-runs keep their place in the graph, linked both ways; viewers are refused; every outcome is audited', async ({ postgres }) => {
    let workflows: SentWorkflows | undefined;
    const retrier: WorkflowRetrier = { retryFailed: (id) => workflows!.retryFailed(id) };
    const stack = await startStack(postgres.url, 'gw-workflow', { workflows: retrier });
    try {
      const { gateway, producer } = stack;
      workflows = new SentWorkflows(producer);
      await stack.startWorker();
      const viewer = await signedIn(gateway, 'viewer');
      const operator = await signedIn(gateway, 'operator');

      // A root step, then a group of three (the middle one fails), then a chord callback that never runs.
      const root = await workflows.send('tests.add', [1, 1], {});
      const members = [
        await workflows.send('tests.add', [2, 2], { rootId: root, parentId: root, groupId: 'g-1', groupIndex: 0 }),
        await workflows.send('tests.fail', ['line 1 is broken'], { rootId: root, parentId: root, groupId: 'g-1', groupIndex: 1 }),
        await workflows.send('tests.add', [3, 3], { rootId: root, parentId: root, groupId: 'g-1', groupIndex: 2 }),
      ];
      await taskInState(gateway, root, ['SUCCESS']);
      await taskInState(gateway, members[0]!, ['SUCCESS']);
      await taskInState(gateway, members[1]!, ['FAILURE']);
      await taskInState(gateway, members[2]!, ['SUCCESS']);
      expect(await gateway.prisma.task.findUnique({ where: { id: members[1]! }, select: { rootId: true, parentId: true, groupId: true, groupIndex: true } })).toEqual({
        rootId: root,
        parentId: root,
        groupId: 'g-1',
        groupIndex: 1,
      });

      const denied = await viewer.request('POST', `/api/v1/tasks/${members[0]!}/workflow/retry-failed`);
      expect(denied.status).toBe(403);
      expect(workflows.calls).toBe(0);

      const response = await operator.request('POST', `/api/v1/tasks/${members[0]!}/workflow/retry-failed`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as RetryFailedMembersResponse;
      expect(body.id).toBe(members[0]);
      expect(body.retried).toHaveLength(1);
      const [{ from, to }] = body.retried as [RetriedMember];
      expect(from).toBe(members[1]);

      // Linked at once (before the re-run's first event), and the graph shows it in the failed member's place.
      expect((await gateway.prisma.task.findUnique({ where: { id: from } }))?.retriedIntoId).toBe(to);
      const graph = ((await (await viewer.request('GET', `/api/v1/tasks/${root}/workflow`)).json()) as WorkflowResponse).workflow;
      expect(graph.nodes.find((node) => node.id === to)).toMatchObject({ name: 'tests.fail', groupId: 'g-1', groupIndex: 1, parentId: root, retriedFromId: from });
      expect(graph.edges).toContainEqual({ from, to, kind: 'retry' });
      expect(graph.edges).toContainEqual({ from: 'g-1', to, kind: 'group' });

      // The re-run really ran (and failed again: its arguments are the same); its own events kept the links.
      const rerun = await taskInState(gateway, to, ['FAILURE']);
      expect(rerun).toMatchObject({ rootId: root, groupId: 'g-1', groupIndex: 1, retriedFromId: from, errorMessage: 'line 1 is broken' });

      // Now the re-run is the failed member left: a second retry retries it, and only it.
      const again = await operator.request('POST', `/api/v1/tasks/${root}/workflow/retry-failed`);
      expect(again.status).toBe(200);
      const second = ((await again.json()) as RetryFailedMembersResponse).retried;
      expect(second.map((pair) => pair.from)).toEqual([to]);

      // A workflow with nothing failed is refused without calling the engine; so is an unknown task.
      const calls = workflows.calls;
      const healthy = await workflows.send('tests.add', [5, 5], {});
      await taskInState(gateway, healthy, ['SUCCESS']);
      const nothing = await operator.request('POST', `/api/v1/tasks/${healthy}/workflow/retry-failed`);
      expect(nothing.status).toBe(409);
      expect((await errorOf(nothing)).code).toBe('NOTHING_TO_RETRY');
      const unknown = await operator.request('POST', '/api/v1/tasks/no-such-task/workflow/retry-failed');
      expect(unknown.status).toBe(404);
      expect(workflows.calls).toBe(calls);

      const audit = await until(async () => {
        const entries = await gateway.prisma.auditLog.findMany({ where: { action: 'workflow.retryFailed' }, orderBy: { id: 'asc' } });
        return entries.length === 5 ? entries : null;
      }, 'five audit entries');
      expect(audit.map((entry) => [entry.outcome, entry.target, entry.error])).toEqual([
        ['denied', `/api/v1/tasks/${members[0]!}/workflow/retry-failed`, 'FORBIDDEN'],
        ['ok', members[0], null],
        ['ok', root, null],
        ['failed', healthy, 'NOTHING_TO_RETRY'],
        ['failed', 'no-such-task', 'NOT_FOUND'],
      ]);
      expect(audit[1]!.actor).toMatch(/^operator-/);
      expect(audit[1]!.params).toEqual({ retried: 1, pairs: [{ from, to }] });
    } finally {
      await stack.close();
    }
  });

  postgresTest('two operators retrying one workflow at once send its failed members once', async ({ postgres }) => {
    let workflows: SentWorkflows | undefined;
    const retrier: WorkflowRetrier = { retryFailed: (id) => workflows!.retryFailed(id) };
    const stack = await startStack(postgres.url, 'gw-workflow', { workflows: retrier });
    try {
      const { gateway, producer } = stack;
      workflows = new SentWorkflows(producer);
      const worker = await stack.startWorker();
      const [first, second] = [await signedIn(gateway, 'operator'), await signedIn(gateway, 'operator')];
      const root = await workflows.send('tests.add', [1, 1], {});
      const failed = await workflows.send('tests.fail', ['no'], { rootId: root, parentId: root });
      await taskInState(gateway, failed, ['FAILURE']);
      // No worker runs the re-run, so it cannot fail (and become retriable) before the second retry looks.
      await worker.close();

      const responses = await Promise.all([first, second].map((client) => client.request('POST', `/api/v1/tasks/${root}/workflow/retry-failed`)));
      expect(responses.map((response) => response.status).sort()).toEqual([200, 409]);
      const rows = await gateway.prisma.task.findMany({ where: { retriedFromId: failed } });
      expect(rows).toHaveLength(1);
      expect(workflows.calls).toBe(1);
    } finally {
      await stack.close();
    }
  });

  postgresTest("with the engine's own app.workflows, a chord's failed member is re-run and its callback then succeeds", async ({ postgres }) => {
    const stack = await startStack(postgres.url, 'gw-workflow');
    try {
      const { gateway, producer } = stack;
      await stack.startWorker();
      const operator = await signedIn(gateway, 'operator');
      const signature = (name: string, ...args: unknown[]) => producer.getTask(name).si(...(args as never[]));
      const joined = await chord(group([signature('tests.add', 1, 2), signature('tests.flaky', 4)]), producer.getTask('tests.echo').s()).applyAsync();
      await taskInState(gateway, joined.id, ['FAILURE']);
      const response = await operator.request('POST', `/api/v1/tasks/${joined.id}/workflow/retry-failed`);
      expect(response.status).toBe(200);
      const { retried } = (await response.json()) as { retried: { from: string; to: string }[] };
      expect(retried).toHaveLength(1);
      await taskInState(gateway, retried[0]!.to, ['SUCCESS']);
      await taskInState(gateway, joined.id, ['SUCCESS']);
      expect(await joined.get({ timeout: 20_000 })).toEqual([3, 4]);
    } finally {
      await stack.close();
    }
  });
});
