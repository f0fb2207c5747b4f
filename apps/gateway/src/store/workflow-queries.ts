// A task's workflow (chain, group, chord and what their handlers sent) as a graph, read from the
// workflow links the ingest stores. The members are the tasks whose root_id is the workflow's
// root, the root itself, and (for a group applied alone, without a root) the task's group and
// the chord it feeds. Bounded at any size: one aggregate counts every member by group and state,
// and one window query lists at most WORKFLOW_NODE_LIMIT members, at most
// WORKFLOW_GROUP_MEMBER_LIMIT of each group (failed ones first), so a chord of 100,000 members
// answers with the same few hundred rows as one of 1,000. Both walk tasks_root_id_idx (and the
// group indexes for a rootless group).
import type { PrismaClient } from '../generated/prisma/client.js';
import {
  WORKFLOW_GROUP_MEMBER_LIMIT,
  WORKFLOW_NODE_LIMIT,
  type TaskState,
  type WorkflowEdge,
  type WorkflowGraph,
  type WorkflowGroup,
  type WorkflowNode,
} from '../api/monitor-schemas.js';

export interface WorkflowLimits {
  nodes: number;
  groupMembers: number;
}

interface NodeRecord {
  id: string;
  name: string;
  state: TaskState;
  runtime: number | null;
  parent_id: string | null;
  group_id: string | null;
  group_index: number | null;
  chord_group_id: string | null;
  retried_from_id: string | null;
  retried_into_id: string | null;
  created_at: Date;
}

const NODE_COLUMNS = `id, name, state::text AS state, runtime, parent_id, group_id, group_index, chord_group_id,
       retried_from_id, retried_into_id, created_at`;

/** $1 the root, $2 the task's group when it has no root (else null). */
const MEMBERS = `SELECT * FROM tasks
 WHERE root_id = $1 OR id = $1 OR ($2::text IS NOT NULL AND (group_id = $2 OR chord_group_id = $2))`;

// Tasks outside any group rank 0 (listed first: they are the workflow's spine); a group's members
// rank 1, 2, … failed ones first, then by their position in the group.
const LIST_MEMBERS = `
WITH members AS (${MEMBERS}),
ranked AS (
  SELECT ${NODE_COLUMNS},
         CASE WHEN group_id IS NULL THEN 0 ELSE row_number() OVER (
           PARTITION BY group_id
           ORDER BY (state IN ('FAILURE', 'REVOKED', 'REJECTED')) DESC, group_index NULLS LAST, created_at, id
         ) END AS rank
    FROM members
)
SELECT ${NODE_COLUMNS} FROM ranked
 WHERE rank <= $3
 ORDER BY rank, created_at, id
 LIMIT $4`;

const COUNT_MEMBERS = `
WITH members AS (${MEMBERS})
SELECT group_id, state::text AS state, count(*)::int AS n FROM members GROUP BY group_id, state`;

function toNode(record: NodeRecord): WorkflowNode {
  return {
    id: record.id,
    name: record.name,
    state: record.state,
    runtime: record.runtime,
    parentId: record.parent_id,
    groupId: record.group_id,
    groupIndex: record.group_index,
    chordGroupId: record.chord_group_id,
    retriedFromId: record.retried_from_id,
    retriedIntoId: record.retried_into_id,
    createdAt: record.created_at.toISOString(),
  };
}

/** The edges between what the graph lists (a link to a member not listed is left out). */
export function workflowEdges(nodes: readonly WorkflowNode[], groups: readonly WorkflowGroup[]): WorkflowEdge[] {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const groupIds = new Set(groups.map((group) => group.id));
  const edges: WorkflowEdge[] = [];
  for (const node of nodes) {
    if (node.groupId !== null && groupIds.has(node.groupId)) edges.push({ from: node.groupId, to: node.id, kind: 'group' });
    if (node.chordGroupId !== null && groupIds.has(node.chordGroupId)) edges.push({ from: node.chordGroupId, to: node.id, kind: 'chord' });
    const parent = node.parentId === null ? undefined : byId.get(node.parentId);
    // A callback's parent is one of the members it joins: the chord edge already says so.
    const joined = parent !== undefined && node.chordGroupId !== null && parent.groupId === node.chordGroupId;
    if (parent && parent.id !== node.id && !joined) edges.push({ from: parent.id, to: node.id, kind: 'parent' });
    if (node.retriedFromId !== null && byId.has(node.retriedFromId)) edges.push({ from: node.retriedFromId, to: node.id, kind: 'retry' });
  }
  return edges;
}

/** The workflow of task `id`, or null when the monitor does not know the task. */
export async function readWorkflow(
  prisma: PrismaClient,
  id: string,
  limits: WorkflowLimits = { nodes: WORKFLOW_NODE_LIMIT, groupMembers: WORKFLOW_GROUP_MEMBER_LIMIT },
): Promise<WorkflowGraph | null> {
  const task = await prisma.task.findUnique({ where: { id }, select: { rootId: true, groupId: true } });
  if (!task) return null;
  const rootId = task.rootId ?? id;
  const rootlessGroup = task.rootId === null ? task.groupId : null;
  const [records, counts] = await Promise.all([
    prisma.$queryRawUnsafe<NodeRecord[]>(LIST_MEMBERS, rootId, rootlessGroup, limits.groupMembers, limits.nodes),
    prisma.$queryRawUnsafe<{ group_id: string | null; state: TaskState; n: number }[]>(COUNT_MEMBERS, rootId, rootlessGroup),
  ]);
  const nodes = records.map(toNode);
  if (!nodes.some((node) => node.id === id)) {
    // Past the limits: the task asked about is listed all the same (the page is about it).
    const own = await prisma.$queryRawUnsafe<NodeRecord[]>(`SELECT ${NODE_COLUMNS} FROM tasks WHERE id = $1`, id);
    nodes.push(...own.map(toNode));
  }

  const groups = new Map<string, WorkflowGroup>();
  const groupOf = (groupId: string): WorkflowGroup => {
    let group = groups.get(groupId);
    if (!group) {
      group = { id: groupId, size: 0, counts: {}, listed: 0, callbackId: null };
      groups.set(groupId, group);
    }
    return group;
  };
  let total = 0;
  for (const { group_id: groupId, state, n } of counts) {
    total += n;
    if (groupId === null) continue;
    const group = groupOf(groupId);
    group.size += n;
    group.counts[state] = (group.counts[state] ?? 0) + n;
  }
  for (const node of nodes) {
    if (node.groupId !== null) groupOf(node.groupId).listed += 1;
    // A callback may be stored before any member: its group still shows, empty.
    if (node.chordGroupId !== null) groupOf(node.chordGroupId).callbackId = node.id;
  }
  const groupList = [...groups.values()];
  return {
    rootId,
    taskId: id,
    total,
    nodes,
    groups: groupList,
    edges: workflowEdges(nodes, groupList),
    truncated: nodes.length < total,
    limits,
  };
}
