// Where each box of a workflow graph goes: a layered drawing, no layout library. Columns are
// depths (a task sits one column right of what it waits for), and within a column boxes follow
// the boxes they come from (each box's rows near its predecessors', then by group position).
//
// A box is a task, or a group. A small group whose members are all listed is drawn open (its
// members stacked by position inside a frame); a larger one, or one the gateway listed only in
// part, is one box with its counts by state, so a 1,000-member chord is as easy to read as one
// of three. A member that was retried is replaced by its latest re-run, in the same place.
import type { TaskState, WorkflowGraph, WorkflowNode } from './monitor';

/** Groups of up to this many members are drawn open. */
export const GROUP_OPEN_MAX = 12;

export const NODE_WIDTH = 184;
export const NODE_HEIGHT = 46;
const COLUMN_GAP = 64;
const ROW_GAP = 14;
const GROUP_PAD = 10;
const GROUP_LABEL = 18;
const MARGIN = 12;

export interface TaskBox {
  kind: 'task';
  key: string;
  node: WorkflowNode;
  /** How many earlier runs this task replaces (0 when it is no re-run). */
  reruns: number;
  x: number;
  y: number;
}

export interface GroupBox {
  kind: 'group';
  key: string;
  id: string;
  size: number;
  counts: Partial<Record<TaskState, number>>;
  /** Open: members are drawn inside (`members`); closed: one box with the counts. */
  open: boolean;
  members: TaskBox[];
  /** Whether the task the page is about is a member. */
  current: boolean;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface EdgePath {
  key: string;
  kind: 'parent' | 'chord';
  from: { x: number; y: number };
  to: { x: number; y: number };
}

export interface WorkflowLayout {
  width: number;
  height: number;
  tasks: TaskBox[];
  groups: GroupBox[];
  edges: EdgePath[];
}

interface Unit {
  key: string;
  /** What orders units of one column among equals: a group position, else creation time. */
  order: number;
  created: string;
  height: number;
  group?: GroupBox;
  task?: TaskBox;
  depth: number;
  y: number;
}

/** The latest re-run standing for each task id (itself when never retried, or when its re-run is not listed). */
function latestRuns(nodes: readonly WorkflowNode[]): { latest: Map<string, string>; reruns: Map<string, number> } {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const latest = new Map<string, string>();
  const reruns = new Map<string, number>();
  for (const node of nodes) {
    let current = node;
    let hops = 0;
    while (current.retriedIntoId !== null && byId.has(current.retriedIntoId) && hops < nodes.length) {
      current = byId.get(current.retriedIntoId)!;
      hops += 1;
    }
    latest.set(node.id, current.id);
    if (hops > 0) reruns.set(current.id, Math.max(reruns.get(current.id) ?? 0, hops));
  }
  return { latest, reruns };
}

export function layoutWorkflow(graph: WorkflowGraph): WorkflowLayout {
  const { latest, reruns } = latestRuns(graph.nodes);
  const visible = graph.nodes.filter((node) => latest.get(node.id) === node.id);

  // Units: one per group, one per task outside a group.
  const units = new Map<string, Unit>();
  const unitOfTask = new Map<string, Unit>();
  const taskBoxes: TaskBox[] = [];
  const groupBoxes: GroupBox[] = [];
  for (const group of graph.groups) {
    const open = group.size <= GROUP_OPEN_MAX && group.listed >= group.size;
    const box: GroupBox = { kind: 'group', key: `group:${group.id}`, id: group.id, size: group.size, counts: group.counts, open, members: [], current: false, x: 0, y: 0, width: 0, height: 0 };
    groupBoxes.push(box);
    units.set(box.key, { key: box.key, order: Number.MAX_SAFE_INTEGER, created: '', height: 0, group: box, depth: 0, y: 0 });
  }
  for (const node of visible) {
    const task: TaskBox = { kind: 'task', key: node.id, node, reruns: reruns.get(node.id) ?? 0, x: 0, y: 0 };
    const group = node.groupId === null ? undefined : units.get(`group:${node.groupId}`);
    if (group?.group) {
      // The page's task, or the re-run that stands for it.
      if (latest.get(graph.taskId) === node.id) group.group.current = true;
      group.order = Math.min(group.order, node.groupIndex ?? Number.MAX_SAFE_INTEGER);
      if (group.created === '' || node.createdAt < group.created) group.created = node.createdAt;
      unitOfTask.set(node.id, group);
      if (group.group.open) {
        group.group.members.push(task);
        taskBoxes.push(task);
      }
      continue;
    }
    const unit: Unit = { key: node.id, order: node.groupIndex ?? Number.MAX_SAFE_INTEGER, created: node.createdAt, height: NODE_HEIGHT, task, depth: 0, y: 0 };
    units.set(unit.key, unit);
    unitOfTask.set(node.id, unit);
    taskBoxes.push(task);
  }
  for (const unit of units.values()) {
    const box = unit.group;
    if (!box) continue;
    if (box.open) {
      box.members.sort((a, b) => (a.node.groupIndex ?? 0) - (b.node.groupIndex ?? 0) || a.node.createdAt.localeCompare(b.node.createdAt));
      const rows = Math.max(1, box.members.length);
      box.width = NODE_WIDTH + 2 * GROUP_PAD;
      box.height = GROUP_LABEL + GROUP_PAD * 2 + rows * NODE_HEIGHT + (rows - 1) * ROW_GAP;
    } else {
      box.width = NODE_WIDTH;
      box.height = NODE_HEIGHT + 30;
    }
    unit.height = box.height;
  }

  // Dependencies between units, from the edges (a retried member's edges move to its re-run).
  const unitOf = (id: string, kind: string): Unit | undefined =>
    kind === 'chord' && units.has(`group:${id}`) ? units.get(`group:${id}`) : unitOfTask.get(latest.get(id) ?? id);
  const links: { from: Unit; to: Unit; kind: 'parent' | 'chord'; fromId: string; toId: string; hidden?: boolean }[] = [];
  const seen = new Set<string>();
  for (const edge of graph.edges) {
    if (edge.kind !== 'parent' && edge.kind !== 'chord') continue;
    const from = unitOf(edge.from, edge.kind);
    const to = unitOf(edge.to, 'task');
    if (!from || !to || from === to) continue;
    const fromId = from.group && !from.group.open ? from.key : edge.kind === 'chord' ? from.key : (latest.get(edge.from) ?? edge.from);
    const toId = to.group && !to.group.open ? to.key : (latest.get(edge.to) ?? edge.to);
    const key = `${edge.kind}:${fromId}->${toId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    links.push({ from, to, kind: edge.kind, fromId, toId });
  }

  // A chord's callback waits for each member's whole chain, not only its first step: it goes
  // right of everything that descends from the group's members, and the chord is drawn from
  // the ends of those chains (from the group itself when its members are single tasks).
  const children = new Map<Unit, Unit[]>();
  for (const link of links) if (link.kind === 'parent') children.set(link.from, [...(children.get(link.from) ?? []), link.to]);
  for (const chord of links.filter((link) => link.kind === 'chord')) {
    const reached = new Set<Unit>([chord.from]);
    const queue = [chord.from];
    while (queue.length > 0) {
      for (const next of children.get(queue.pop()!) ?? []) {
        if (next === chord.to || reached.has(next)) continue;
        reached.add(next);
        queue.push(next);
      }
    }
    reached.delete(chord.from);
    if (reached.size > 0) chord.hidden = true;
    for (const unit of reached) {
      const end = !(children.get(unit) ?? []).some((next) => reached.has(next));
      const fromId = unit.task ? unit.task.key : unit.key;
      links.push({ from: unit, to: chord.to, kind: 'chord', fromId, toId: chord.toId, hidden: !end });
    }
  }

  // Depth: the longest path from a unit nothing leads to (relaxed at most once per unit, so a
  // cycle in bad data cannot loop forever).
  const list = [...units.values()];
  for (let round = 0; round < list.length; round++) {
    let changed = false;
    for (const link of links) {
      if (link.to.depth < link.from.depth + 1 && link.from.depth + 1 < list.length) {
        link.to.depth = link.from.depth + 1;
        changed = true;
      }
    }
    if (!changed) break;
  }

  // Rows: column by column, each unit near the average row of what leads to it.
  const columns = new Map<number, Unit[]>();
  for (const unit of list) columns.set(unit.depth, [...(columns.get(unit.depth) ?? []), unit]);
  const predecessors = new Map<Unit, { unit: Unit; id: string }[]>();
  for (const link of links) predecessors.set(link.to, [...(predecessors.get(link.to) ?? []), { unit: link.from, id: link.fromId }]);
  // The row a link leaves from: its member's, in an open group.
  const middleOf = (unit: Unit, id: string): number => {
    const index = unit.group?.open ? unit.group.members.findIndex((member) => member.key === id) : -1;
    if (index < 0) return unit.y + unit.height / 2;
    return unit.y + GROUP_LABEL + GROUP_PAD + index * (NODE_HEIGHT + ROW_GAP) + NODE_HEIGHT / 2;
  };
  let height = 0;
  const depths = [...columns.keys()].sort((a, b) => a - b);
  for (const depth of depths) {
    const column = columns.get(depth)!;
    const centre = (unit: Unit): number => {
      const before = (predecessors.get(unit) ?? []).filter((other) => other.unit.depth < depth);
      if (before.length === 0) return -1;
      return before.reduce((sum, other) => sum + middleOf(other.unit, other.id), 0) / before.length;
    };
    const centres = new Map(column.map((unit) => [unit, centre(unit)]));
    column.sort((a, b) => centres.get(a)! - centres.get(b)! || a.order - b.order || a.created.localeCompare(b.created) || a.key.localeCompare(b.key));
    let y = MARGIN;
    for (const unit of column) {
      // Move down towards its predecessors when there is room, never up past the unit above.
      unit.y = Math.max(y, Math.round(centres.get(unit)! - unit.height / 2));
      y = unit.y + unit.height + ROW_GAP;
    }
    height = Math.max(height, y);
  }

  for (const unit of list) {
    const x = MARGIN + unit.depth * (NODE_WIDTH + 2 * GROUP_PAD + COLUMN_GAP);
    if (unit.task) {
      unit.task.x = x + GROUP_PAD;
      unit.task.y = unit.y;
    }
    const box = unit.group;
    if (box) {
      box.x = box.open ? x : x + GROUP_PAD;
      box.y = unit.y;
      box.members.forEach((member, index) => {
        member.x = x + GROUP_PAD;
        member.y = unit.y + GROUP_LABEL + GROUP_PAD + index * (NODE_HEIGHT + ROW_GAP);
      });
    }
  }

  // Edges leave a box's right side and enter the next one's left side.
  const anchor = (unit: Unit, id: string, side: 'left' | 'right'): { x: number; y: number } => {
    const member = unit.group?.open ? unit.group.members.find((task) => task.key === id) : undefined;
    const box = member ?? unit.task ?? unit.group!;
    const width = 'width' in box ? box.width : NODE_WIDTH;
    const boxHeight = 'height' in box ? box.height : NODE_HEIGHT;
    return { x: side === 'left' ? box.x : box.x + width, y: box.y + boxHeight / 2 };
  };
  const edges: EdgePath[] = links
    .filter((link) => !link.hidden && link.to.depth > link.from.depth)
    .map((link) => ({
      key: `${link.kind}:${link.fromId}->${link.toId}`,
      kind: link.kind,
      from: anchor(link.from, link.fromId, 'right'),
      to: anchor(link.to, link.toId, 'left'),
    }));

  // Drawn, and so tabbed through, column by column and top to bottom.
  taskBoxes.sort((a, b) => a.x - b.x || a.y - b.y);
  const width = MARGIN * 2 + (Math.max(0, ...depths) + 1) * (NODE_WIDTH + 2 * GROUP_PAD + COLUMN_GAP) - COLUMN_GAP;
  return { width, height: height + MARGIN - ROW_GAP, tasks: taskBoxes, groups: groupBoxes, edges };
}
