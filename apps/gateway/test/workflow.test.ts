// Workflows (canvas) in the monitor: the ingest keeps each task's links (root, parent, group and
// its position, the chord a callback joins) whatever order the events come in, and
// GET /tasks/:id/workflow draws the graph of chains, groups, chords and their nesting, bounded
// at any size. Real Postgres, fed through the ingest's own writer.
import type { LovageEvent } from '@lovage/engine';
import { postgresTest } from '@lovage/test-support/postgres';
import { describe, expect } from 'vitest';
import type { WorkflowEdge, WorkflowGraph, WorkflowResponse } from '../src/api/schemas.js';
import { applyBatch } from '../src/ingest/apply-batch.js';
import { readWorkflow } from '../src/store/workflow-queries.js';
import type { Gateway } from '../src/server.js';
import { producer } from './ingest-support.js';
import { signedIn, startGateway, type Client } from './support.js';

const T0 = Date.parse('2026-12-05T12:00:00.000Z');

interface Links {
  rootId?: string;
  parentId?: string;
  groupId?: string;
  groupIndex?: number;
  chordGroupId?: string;
}

type Outcome = 'PENDING' | 'STARTED' | 'SUCCESS' | 'FAILURE';

/** Synthetic events of whole task lives, each carrying its links as the engine's events do. */
function lives() {
  const client = producer('client', 1, T0);
  const worker = producer('worker-a', 2, T0);
  let clock = 0;
  return (id: string, name: string, links: Links, outcome: Outcome = 'SUCCESS'): LovageEvent[] => {
    clock += 10;
    const fields = { id, name, queue: 'default', retries: 0, ...links };
    const events = [client({ type: 'task-sent', ...fields, args: '[]', priority: 0 }, clock)];
    if (outcome === 'PENDING') return events;
    events.push(worker({ type: 'task-started', ...fields }, clock + 1));
    if (outcome === 'SUCCESS') events.push(worker({ type: 'task-succeeded', ...fields, runtime: 40, result: '1' }, clock + 5));
    if (outcome === 'FAILURE') events.push(worker({ type: 'task-failed', ...fields, runtime: 20, error: { name: 'Error', message: 'boom' } }, clock + 5));
    return events;
  };
}

async function workflowOf(client: Client, id: string): Promise<WorkflowGraph> {
  const response = await client.request('GET', `/api/v1/tasks/${encodeURIComponent(id)}/workflow`);
  expect(response.status).toBe(200);
  return ((await response.json()) as WorkflowResponse).workflow;
}

const sortedEdges = (edges: WorkflowEdge[]): string[] => edges.map((edge) => `${edge.kind}:${edge.from}->${edge.to}`).sort();

async function withGateway(url: string, fn: (gateway: Gateway, viewer: Client) => Promise<void>): Promise<void> {
  const gateway = await startGateway(url);
  try {
    await fn(gateway, await signedIn(gateway, 'viewer'));
  } finally {
    await gateway.close();
  }
}

describe('workflow links in the ingest', () => {
  postgresTest('stores root, parent, group, position and chord links, whatever order the events arrive in', async ({ postgres }) => {
    await withGateway(postgres.url, async (gateway) => {
      const life = lives();
      const links = { rootId: 'root-1', parentId: 'step-0', groupId: 'group-1', groupIndex: 2 };
      const member = life('member-2', 'export.line', links);
      const callback = life('callback', 'export.report', { rootId: 'root-1', parentId: 'member-2', chordGroupId: 'group-1' });
      // Newest first, one event per batch; the worker's events carry no links (a foreign
      // worker's, say), so only task-sent, applied last, holds them.
      const bare = (event: LovageEvent): LovageEvent => {
        if (event.type === 'task-sent') return event;
        const { rootId: _r, parentId: _p, groupId: _g, groupIndex: _i, chordGroupId: _c, ...rest } = event as LovageEvent & Links;
        return rest;
      };
      for (const event of [...member, ...callback].reverse()) await applyBatch(gateway.prisma, [bare(event)]);
      // A late event without links, or with other ones, changes nothing: a task's links are set once.
      await applyBatch(gateway.prisma, [producer('worker-b', 3, T0 + 60_000)({ type: 'task-succeeded', id: 'member-2', name: 'export.line', queue: 'default', retries: 0, runtime: 1, result: '1', groupId: 'other', groupIndex: 9 }, 0)]);
      const select = { state: true, rootId: true, parentId: true, groupId: true, groupIndex: true, chordGroupId: true } as const;
      expect(await gateway.prisma.task.findUnique({ where: { id: 'member-2' }, select })).toEqual({ state: 'SUCCESS', ...links, chordGroupId: null });
      expect(await gateway.prisma.task.findUnique({ where: { id: 'callback' }, select })).toEqual({
        state: 'SUCCESS',
        rootId: 'root-1',
        parentId: 'member-2',
        groupId: null,
        groupIndex: null,
        chordGroupId: 'group-1',
      });
    });
  });

  postgresTest('keeps a link that only an early event carried, and ignores malformed ones', async ({ postgres }) => {
    await withGateway(postgres.url, async (gateway) => {
      const life = lives();
      const [sent, started, succeeded] = life('m', 'export.line', { rootId: 'r', groupId: 'g', groupIndex: 0 });
      await applyBatch(gateway.prisma, [sent!]);
      const strip = ({ groupId: _g, groupIndex: _i, ...rest }: LovageEvent & Links) => rest as LovageEvent;
      await applyBatch(gateway.prisma, [strip(started!), strip(succeeded!)]);
      const odd = producer('odd', 9, T0)({ type: 'task-sent', id: 'n', name: 'x', queue: 'default', retries: 0, args: '[]', priority: 0, groupId: 7, groupIndex: -1, chordGroupId: '' }, 0);
      await applyBatch(gateway.prisma, [odd]);
      const select = { groupId: true, groupIndex: true, chordGroupId: true } as const;
      expect(await gateway.prisma.task.findUnique({ where: { id: 'm' }, select })).toEqual({ groupId: 'g', groupIndex: 0, chordGroupId: null });
      expect(await gateway.prisma.task.findUnique({ where: { id: 'n' }, select })).toEqual({ groupId: null, groupIndex: null, chordGroupId: null });
    });
  });
});

describe('GET /tasks/:id/workflow', () => {
  postgresTest('a chain: every step, parent edges, asked from any step', async ({ postgres }) => {
    await withGateway(postgres.url, async (gateway, viewer) => {
      const life = lives();
      await applyBatch(gateway.prisma, [
        ...life('a', 'orders.fetch', {}),
        ...life('b', 'orders.price', { rootId: 'a', parentId: 'a' }),
        ...life('c', 'orders.mail', { rootId: 'a', parentId: 'b' }, 'STARTED'),
      ]);
      for (const id of ['a', 'b', 'c']) {
        const graph = await workflowOf(viewer, id);
        expect(graph).toMatchObject({ rootId: 'a', taskId: id, total: 3, truncated: false, groups: [] });
        expect(graph.nodes.map((node) => [node.id, node.name, node.state])).toEqual([
          ['a', 'orders.fetch', 'SUCCESS'],
          ['b', 'orders.price', 'SUCCESS'],
          ['c', 'orders.mail', 'STARTED'],
        ]);
        expect(sortedEdges(graph.edges)).toEqual(['parent:a->b', 'parent:b->c']);
      }
      const b = (await workflowOf(viewer, 'b')).nodes[1]!;
      expect(b).toMatchObject({ runtime: 0.04, parentId: 'a', groupId: null, groupIndex: null, chordGroupId: null, retriedFromId: null, retriedIntoId: null });
    });
  });

  postgresTest('a group: membership edges, positions and counts by state; a group applied alone (no root) is found from any member', async ({ postgres }) => {
    await withGateway(postgres.url, async (gateway, viewer) => {
      const life = lives();
      await applyBatch(gateway.prisma, [
        ...life('a', 'orders.fetch', {}),
        ...[0, 1, 2].flatMap((i) => life(`m${i}`, 'orders.line', { rootId: 'a', parentId: 'a', groupId: 'g', groupIndex: i }, i === 1 ? 'FAILURE' : 'SUCCESS')),
        ...[0, 1].flatMap((i) => life(`solo${i}`, 'mail.send', { groupId: 'alone', groupIndex: i })),
      ]);
      const graph = await workflowOf(viewer, 'a');
      expect(graph.total).toBe(4);
      expect(graph.groups).toEqual([{ id: 'g', size: 3, counts: { SUCCESS: 2, FAILURE: 1 }, listed: 3, callbackId: null }]);
      expect(graph.nodes.filter((node) => node.groupId === 'g').map((node) => [node.id, node.groupIndex])).toEqual([
        ['m1', 1],
        ['m0', 0],
        ['m2', 2],
      ]);
      expect(sortedEdges(graph.edges)).toEqual(['group:g->m0', 'group:g->m1', 'group:g->m2', 'parent:a->m0', 'parent:a->m1', 'parent:a->m2']);

      const alone = await workflowOf(viewer, 'solo1');
      expect(alone).toMatchObject({ rootId: 'solo1', total: 2, groups: [{ id: 'alone', size: 2, listed: 2 }] });
      expect(sortedEdges(alone.edges)).toEqual(['group:alone->solo0', 'group:alone->solo1']);
    });
  });

  postgresTest('a chord: the callback joins its group (one chord edge, not a parent edge from the member that finished last)', async ({ postgres }) => {
    await withGateway(postgres.url, async (gateway, viewer) => {
      const life = lives();
      await applyBatch(gateway.prisma, [
        ...[0, 1].flatMap((i) => life(`m${i}`, 'sum.part', { rootId: 'm0', groupId: 'g', groupIndex: i })),
        ...life('cb', 'sum.total', { rootId: 'm0', parentId: 'm1', chordGroupId: 'g' }),
      ]);
      const graph = await workflowOf(viewer, 'cb');
      expect(graph.groups).toEqual([{ id: 'g', size: 2, counts: { SUCCESS: 2 }, listed: 2, callbackId: 'cb' }]);
      expect(sortedEdges(graph.edges)).toEqual(['chord:g->cb', 'group:g->m0', 'group:g->m1']);
    });
  });

  postgresTest('nested: a chain into a chord of chains, then one more step', async ({ postgres }) => {
    await withGateway(postgres.url, async (gateway, viewer) => {
      const life = lives();
      const root = { rootId: 'a' };
      await applyBatch(gateway.prisma, [
        ...life('a', 'export.start', {}),
        ...[0, 1].flatMap((i) => [
          ...life(`x${i}`, 'export.fetch', { ...root, parentId: 'a', groupId: 'g', groupIndex: i }),
          ...life(`y${i}`, 'export.render', { ...root, parentId: `x${i}` }, i === 0 ? 'FAILURE' : 'SUCCESS'),
        ]),
        ...life('cb', 'export.join', { ...root, chordGroupId: 'g' }, 'PENDING'),
        ...life('z', 'export.mail', { ...root, parentId: 'cb' }, 'PENDING'),
        ...life('other', 'unrelated', {}),
      ]);
      const graph = await workflowOf(viewer, 'y0');
      expect(graph.total).toBe(7);
      expect(graph.nodes.map((node) => node.id).sort()).toEqual(['a', 'cb', 'x0', 'x1', 'y0', 'y1', 'z']);
      expect(sortedEdges(graph.edges)).toEqual([
        'chord:g->cb',
        'group:g->x0',
        'group:g->x1',
        'parent:a->x0',
        'parent:a->x1',
        'parent:cb->z',
        'parent:x0->y0',
        'parent:x1->y1',
      ]);
      expect(graph.groups).toEqual([{ id: 'g', size: 2, counts: { SUCCESS: 2 }, listed: 2, callbackId: 'cb' }]);
    });
  });

  postgresTest('a task outside any workflow is a graph of itself; an unknown task is a 404', async ({ postgres }) => {
    await withGateway(postgres.url, async (gateway, viewer) => {
      await applyBatch(gateway.prisma, lives()('lonely', 'mail.send', {}));
      const graph = await workflowOf(viewer, 'lonely');
      expect(graph).toMatchObject({ rootId: 'lonely', taskId: 'lonely', total: 1, groups: [], edges: [], truncated: false });
      expect(graph.nodes.map((node) => node.id)).toEqual(['lonely']);
      expect((await viewer.request('GET', '/api/v1/tasks/nobody/workflow')).status).toBe(404);
      const document = (await (await viewer.request('GET', '/api/v1/openapi.json')).json()) as {
        paths: Record<string, { get?: { responses: Record<string, unknown> } }>;
        components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
      };
      expect(Object.keys(document.paths['/api/v1/tasks/{id}/workflow']!.get!.responses)).toContain('200');
      expect(Object.keys(document.components.schemas.WorkflowGraph!.properties!)).toEqual(
        expect.arrayContaining(['rootId', 'nodes', 'groups', 'edges', 'total', 'truncated']),
      );
    });
  });

  postgresTest('a 1,000-member chord answers fast, lists the failed members first and counts the rest', async ({ postgres }) => {
    await withGateway(postgres.url, async (gateway, viewer) => {
      const life = lives();
      const events: LovageEvent[] = [...life('a', 'export.start', {})];
      for (let i = 0; i < 1_000; i++) {
        events.push(...life(`m${String(i).padStart(4, '0')}`, 'export.line', { rootId: 'a', parentId: 'a', groupId: 'g', groupIndex: i }, i % 400 === 399 ? 'FAILURE' : 'SUCCESS'));
      }
      events.push(...life('cb', 'export.join', { rootId: 'a', chordGroupId: 'g' }, 'PENDING'));
      await applyBatch(gateway.prisma, events);
      await workflowOf(viewer, 'cb');
      const started = performance.now();
      const graph = await workflowOf(viewer, 'cb');
      const elapsed = performance.now() - started;
      expect(elapsed).toBeLessThan(500);
      expect(graph).toMatchObject({ total: 1_002, truncated: true, limits: { nodes: 500, groupMembers: 100 } });
      expect(graph.groups).toEqual([{ id: 'g', size: 1_000, counts: { SUCCESS: 998, FAILURE: 2 }, listed: 100, callbackId: 'cb' }]);
      const members = graph.nodes.filter((node) => node.groupId === 'g');
      expect(members).toHaveLength(100);
      expect(members.slice(0, 3).map((node) => [node.id, node.state])).toEqual([
        ['m0399', 'FAILURE'],
        ['m0799', 'FAILURE'],
        ['m0000', 'SUCCESS'],
      ]);
      expect(graph.nodes.map((node) => node.id)).toEqual(expect.arrayContaining(['a', 'cb']));
      expect(graph.edges.filter((edge) => edge.kind === 'group')).toHaveLength(100);
      expect(graph.edges.filter((edge) => edge.kind === 'chord')).toEqual([{ from: 'g', to: 'cb', kind: 'chord' }]);
      // Asked from a member past the per-group limit: it is listed all the same.
      const late = await workflowOf(viewer, 'm0950');
      expect(late.nodes.map((node) => node.id)).toContain('m0950');
      expect(late.nodes).toHaveLength(103);
    });
  });

  postgresTest('the node limit bounds a long chain; the spine comes before group members', async ({ postgres }) => {
    await withGateway(postgres.url, async (gateway) => {
      const life = lives();
      const events: LovageEvent[] = [];
      for (let i = 0; i < 8; i++) events.push(...life(`s${i}`, 'step', i === 0 ? {} : { rootId: 's0', parentId: `s${i - 1}` }));
      for (let i = 0; i < 4; i++) events.push(...life(`g${i}`, 'member', { rootId: 's0', groupId: 'g', groupIndex: i }));
      await applyBatch(gateway.prisma, events);
      const graph = (await readWorkflow(gateway.prisma, 's0', { nodes: 10, groupMembers: 3 }))!;
      expect(graph.nodes.map((node) => node.id)).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7', 'g0', 'g1']);
      expect(graph).toMatchObject({ total: 12, truncated: true, groups: [{ id: 'g', size: 4, listed: 2 }] });
      expect(sortedEdges(graph.edges).filter((edge) => edge.startsWith('parent:'))).toHaveLength(7);
    });
  });
});
