'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useId, useMemo, useState, type MouseEvent } from 'react';
import { RequireRole } from '@/components/current-user';
import { stateColours } from '@/components/task-state-badge';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Skeleton } from '@/components/ui/states';
import { useToast } from '@/components/ui/toast';
import { api } from '@/lib/api-client';
import { formatCount, formatSeconds, plural } from '@/lib/format';
import { foldLiveUpdate, useLiveRoom } from '@/lib/live';
import { paths, taskStates, type RetryFailedMembersResponse, type TaskState, type WorkflowGraph, type WorkflowResponse } from '@/lib/monitor';
import { queryKeys } from '@/lib/query-keys';
import { useThrottledCallback } from '@/lib/use-throttled';
import { layoutWorkflow, NODE_HEIGHT, NODE_WIDTH, type GroupBox, type TaskBox, type WorkflowLayout } from '@/lib/workflow-layout';

/** The graph is fetched again at most this often while its members change. */
const REFETCH_EVERY_MS = 2_000;
const RETRIABLE: readonly TaskState[] = ['FAILURE', 'REVOKED'];
/** Failed members of closed groups listed as links under the drawing, per group. */
const FAILED_LINKS_MAX = 20;

const shorten = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Failed or revoked members not retried yet: listed ones, and those a group counts beyond its listed members. */
function failedMembers(graph: WorkflowGraph): number {
  let failed = graph.nodes.filter((node) => RETRIABLE.includes(node.state) && node.retriedIntoId === null).length;
  for (const group of graph.groups) {
    const counted = RETRIABLE.reduce((sum, state) => sum + (group.counts[state] ?? 0), 0);
    const listed = graph.nodes.filter((node) => node.groupId === group.id && RETRIABLE.includes(node.state)).length;
    failed += Math.max(0, counted - listed);
  }
  return failed;
}

function TaskNode({ box, current, onNavigate }: { box: TaskBox; current: boolean; onNavigate: (event: MouseEvent, href: string) => void }) {
  const { node } = box;
  const colours = stateColours[node.state];
  const href = `/tasks/${encodeURIComponent(node.id)}`;
  const detail = [node.runtime === null ? null : formatSeconds(node.runtime), box.reruns > 0 ? `re-run ${box.reruns}` : null].filter(Boolean).join(' · ');
  // The link's name is the task's name and state; the words drawn on the box sit beside it
  // (not inside it), so what a screen reader announces and what the eye reads never disagree.
  return (
    <g>
      <a
        href={href}
        aria-label={`${node.name} ${node.state}`}
        aria-current={current ? 'page' : undefined}
        className="group/node cursor-pointer"
        // The page's focus outline would square off the box: the ring drawn below marks focus instead.
        style={{ outline: 'none' }}
        onClick={(event) => onNavigate(event, href)}
      >
        <title>{`${node.name}: ${node.state}${detail ? `, ${detail}` : ''}${current ? ' (this task)' : ''}`}</title>
        <rect x={box.x} y={box.y} width={NODE_WIDTH} height={NODE_HEIGHT} rx={6} className="fill-surface-raised" />
        <rect
          x={box.x}
          y={box.y}
          width={NODE_WIDTH}
          height={NODE_HEIGHT}
          rx={6}
          strokeWidth={current ? 2.5 : 1.5}
          className={`${colours.fill} ${colours.stroke} group-hover/node:stroke-accent`}
        />
        {current ? <rect x={box.x - 4} y={box.y - 4} width={NODE_WIDTH + 8} height={NODE_HEIGHT + 8} rx={9} strokeWidth={2.5} className="fill-none stroke-accent" /> : null}
        <rect
          x={box.x - 8}
          y={box.y - 8}
          width={NODE_WIDTH + 16}
          height={NODE_HEIGHT + 16}
          rx={11}
          strokeWidth={2}
          strokeDasharray="4 2"
          className="fill-none stroke-ink opacity-0 group-focus-visible/node:opacity-100"
        />
      </a>
      <g aria-hidden="true" className="pointer-events-none">
        <text x={box.x + 10} y={box.y + 19} className="fill-ink text-[12px] font-semibold">
          {shorten(node.name, 24)}
        </text>
        <text x={box.x + 10} y={box.y + 36} className="fill-ink-muted font-mono text-[11px]">
          {node.state}
          {detail ? ` · ${shorten(detail, 18)}` : ''}
        </text>
      </g>
    </g>
  );
}

/** States in the order a reader looks for them: what went wrong first, what went well last. */
const COUNT_ORDER: readonly TaskState[] = ['FAILURE', 'REJECTED', 'REVOKED', 'RETRY', 'STARTED', 'RECEIVED', 'PENDING', 'SUCCESS'];

function countsText(counts: GroupBox['counts']): string {
  return COUNT_ORDER
    .filter((state) => (counts[state] ?? 0) > 0)
    .map((state) => `${formatCount(counts[state] ?? 0)} ${state}`)
    .join(', ');
}

/** A group too large to draw member by member: its size and a bar of its members by state. */
function ClosedGroup({ box }: { box: GroupBox }) {
  const states = taskStates.filter((state) => (box.counts[state] ?? 0) > 0);
  const lines = COUNT_ORDER.filter((state) => (box.counts[state] ?? 0) > 0).map((state) => `${formatCount(box.counts[state] ?? 0)} ${state}`);
  const total = Math.max(1, box.size);
  const barWidth = NODE_WIDTH - 20;
  let offset = 0;
  const label = `Group of ${plural(box.size, 'task')}${box.current ? ', including this task' : ''}: ${countsText(box.counts) || 'none stored yet'}`;
  return (
    <g role="img" aria-label={label}>
      <title>{label}</title>
      <rect x={box.x} y={box.y} width={box.width} height={box.height} rx={6} strokeWidth={box.current ? 3 : 1.5} strokeDasharray="5 3" className={`fill-surface-raised ${box.current ? 'stroke-accent' : 'stroke-ink-muted'}`} />
      <text x={box.x + 10} y={box.y + 18} className="fill-ink text-[12px] font-semibold">
        {`group · ${plural(box.size, 'task')}`}
      </text>
      {states.map((state) => {
        const width = Math.max(2, ((box.counts[state] ?? 0) / total) * barWidth);
        const x = box.x + 10 + offset;
        offset += width;
        return <rect key={state} x={x} y={box.y + 26} width={width} height={10} className={`${stateColours[state].fill} ${stateColours[state].stroke}`} strokeWidth={1} />;
      })}
      <text x={box.x + 10} y={box.y + 52} className="fill-ink-muted font-mono text-[11px]">
        {shorten(lines.slice(0, 2).join(' · '), 28)}
      </text>
      {lines.length > 2 ? (
        <text x={box.x + 10} y={box.y + 67} className="fill-ink-muted font-mono text-[11px]">
          {shorten(lines.slice(2).join(' · '), 28)}
        </text>
      ) : null}
    </g>
  );
}

function GroupFrame({ box }: { box: GroupBox }) {
  return (
    <g aria-hidden="true">
      <rect x={box.x} y={box.y} width={box.width} height={box.height} rx={8} strokeDasharray="5 3" strokeWidth={1.5} className="fill-line/20 stroke-ink-muted" />
      <text x={box.x + 8} y={box.y + 13} className="fill-ink-muted text-[11px]">
        {`group · ${plural(box.size, 'task')}`}
      </text>
    </g>
  );
}

function WorkflowDrawing({ graph, layout }: { graph: WorkflowGraph; layout: WorkflowLayout }) {
  const router = useRouter();
  const arrow = `workflow-arrow-${useId().replace(/:/g, '')}`;
  const chordArrow = `${arrow}-chord`;
  const currentId = useMemo(() => {
    // A task that was retried is drawn as its latest re-run: that box stands for this page.
    const byId = new Map(graph.nodes.map((node) => [node.id, node]));
    let id = graph.taskId;
    for (let hops = 0; hops < graph.nodes.length; hops++) {
      const next = byId.get(id)?.retriedIntoId;
      if (!next || !byId.has(next)) break;
      id = next;
    }
    return id;
  }, [graph]);
  const navigate = (event: MouseEvent, href: string) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    router.push(href);
  };
  return (
    <div className="overflow-auto rounded-md border border-line bg-surface" style={{ maxHeight: '36rem' }}>
      <svg width={layout.width} height={layout.height} viewBox={`0 0 ${layout.width} ${layout.height}`} role="group" aria-label={`Workflow graph of ${plural(graph.total, 'task')}`} className="block">
        <defs>
          <marker id={arrow} viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" className="fill-ink-muted" />
          </marker>
          <marker id={chordArrow} viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" className="fill-accent" />
          </marker>
        </defs>
        {layout.groups.filter((box) => box.open).map((box) => (
          <GroupFrame key={box.key} box={box} />
        ))}
        <g aria-hidden="true">
          {layout.edges.map((edge) => {
            const middle = (edge.from.x + edge.to.x) / 2;
            return (
              <path
                key={edge.key}
                d={`M ${edge.from.x} ${edge.from.y} C ${middle} ${edge.from.y}, ${middle} ${edge.to.y}, ${edge.to.x - 2} ${edge.to.y}`}
                fill="none"
                strokeWidth={edge.kind === 'chord' ? 2.5 : 1.5}
                strokeDasharray={edge.kind === 'chord' ? '7 4' : undefined}
                markerEnd={`url(#${edge.kind === 'chord' ? chordArrow : arrow})`}
                className={edge.kind === 'chord' ? 'stroke-accent' : 'stroke-ink-muted'}
              />
            );
          })}
        </g>
        {layout.groups.filter((box) => !box.open).map((box) => (
          <ClosedGroup key={box.key} box={box} />
        ))}
        {layout.tasks.map((box) => (
          <TaskNode key={box.key} box={box} current={box.node.id === currentId} onNavigate={navigate} />
        ))}
      </svg>
    </div>
  );
}

function Legend() {
  return (
    <ul className="mt-2 flex flex-wrap gap-x-5 gap-y-1 text-xs text-ink-muted" aria-label="Legend">
      <li className="inline-flex items-center gap-1.5">
        <svg width="28" height="8" aria-hidden="true"><line x1="0" y1="4" x2="28" y2="4" strokeWidth="1.5" className="stroke-ink-muted" /></svg>
        chain (a task and the next, or one its handler sent)
      </li>
      <li className="inline-flex items-center gap-1.5">
        <svg width="28" height="8" aria-hidden="true"><line x1="0" y1="4" x2="28" y2="4" strokeWidth="2.5" strokeDasharray="7 4" className="stroke-accent" /></svg>
        chord (every member into the callback)
      </li>
      <li className="inline-flex items-center gap-1.5">
        <svg width="18" height="12" aria-hidden="true"><rect x="1" y="1" width="16" height="10" rx="2" strokeDasharray="3 2" className="fill-none stroke-ink-muted" /></svg>
        group (run in parallel)
      </li>
    </ul>
  );
}

/** Failed members hidden inside closed groups, as links (the drawing counts them; this reaches them). */
function FailedInClosedGroups({ graph, layout }: { graph: WorkflowGraph; layout: WorkflowLayout }) {
  const closed = new Set(layout.groups.filter((box) => !box.open).map((box) => box.id));
  const failed = graph.nodes.filter((node) => node.groupId !== null && closed.has(node.groupId) && RETRIABLE.includes(node.state) && node.retriedIntoId === null);
  if (failed.length === 0) return null;
  const shown = failed.slice(0, FAILED_LINKS_MAX);
  return (
    <div className="mt-3 text-sm">
      <h3 className="font-medium">Failed members of large groups</h3>
      <ul className="mt-1 flex flex-wrap gap-x-4 gap-y-1">
        {shown.map((node) => (
          <li key={node.id}>
            <Link href={`/tasks/${encodeURIComponent(node.id)}`} className="text-accent hover:underline">
              {node.name} #{node.groupIndex ?? '?'}
            </Link>{' '}
            <span className="text-bad">{node.state}</span>
          </li>
        ))}
        {failed.length > shown.length ? <li className="text-ink-muted">and {formatCount(failed.length - shown.length)} more</li> : null}
      </ul>
    </div>
  );
}

function RetryFailedMembers({ taskId, failed }: { taskId: string; failed: number }) {
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const [confirming, setConfirming] = useState(false);
  const mutation = useMutation({
    mutationFn: () => api.post<RetryFailedMembersResponse>(paths.retryWorkflowFailed(taskId)),
    onSuccess: (result) => {
      setConfirming(false);
      void queryClient.invalidateQueries({ queryKey: queryKeys.tasks.workflow(taskId) });
      void queryClient.invalidateQueries({ queryKey: queryKeys.tasks.detail(taskId) });
      toast({ tone: 'success', title: `Retried ${plural(result.retried.length, 'member')}`, description: 'Each re-run takes its place in the workflow.' });
    },
    onError: (error) => {
      setConfirming(false);
      toast({ tone: 'error', title: 'Could not retry the failed members', description: error instanceof Error ? error.message : undefined });
    },
  });
  return (
    <RequireRole role="operator">
      <Button onClick={() => setConfirming(true)}>Retry failed members</Button>
      <ConfirmDialog
        open={confirming}
        title="Retry the failed members?"
        confirmLabel="Retry failed members"
        busy={mutation.isPending}
        onCancel={() => setConfirming(false)}
        onConfirm={() => mutation.mutate()}
      >
        {`${plural(failed, 'failed or revoked member')} of this workflow ${failed === 1 ? 'is' : 'are'} sent again with the same arguments, each in its place in the workflow, linked to the run it replaces.`}
      </ConfirmDialog>
    </RequireRole>
  );
}

/**
 * The task's workflow (chain, group, chord) as a graph, live. Hidden when the task is in none.
 * `likely` (the task has a root, a group or children) shows a placeholder while it loads.
 */
export function WorkflowSection({ taskId, likely }: { taskId: string; likely: boolean }) {
  const queryClient = useQueryClient();
  const queryKey = queryKeys.tasks.workflow(taskId);
  const query = useQuery({
    queryKey,
    queryFn: async ({ signal }) => (await api.get<WorkflowResponse>(paths.taskWorkflow(taskId), { signal })).workflow,
  });
  const graph = query.data;
  const inWorkflow = graph !== undefined && graph.total > 1;
  const refetch = useThrottledCallback(() => void queryClient.invalidateQueries({ queryKey, exact: true }), REFETCH_EVERY_MS);
  const layout = useMemo(() => (graph ? layoutWorkflow(graph) : null), [graph]);

  // Every member's change: a known node's state is folded in at once; a new member, or one a
  // closed group only counts, needs the graph again (at most every 2 s).
  useLiveRoom(
    inWorkflow ? 'tasks' : null,
    {
      onUpdate: (update) => {
        const known = queryClient.getQueryData<WorkflowGraph>(queryKey);
        if (!known) return;
        const nodes = new Map(known.nodes.map((node) => [node.id, node]));
        const changed = update.tasks.filter((task) => task.rootId === known.rootId || task.id === known.rootId);
        if (update.dropped > 0 || changed.some((task) => !nodes.has(task.id) || task.groupId !== null)) refetch();
        if (changed.length === 0) return;
        foldLiveUpdate<WorkflowGraph>(queryClient, queryKey, (current) =>
          current && {
            ...current,
            nodes: current.nodes.map((node) => {
              const next = changed.find((task) => task.id === node.id);
              return next ? { ...node, state: next.state, runtime: next.runtime } : node;
            }),
          },
        );
      },
      onJoined: refetch,
      onReconnect: refetch,
    },
    graph ? { rootId: graph.rootId } : undefined,
  );

  if (query.isPending) return likely ? <Skeleton rows={3} label="Loading the workflow" /> : null;
  if (!inWorkflow || !layout) return null;
  const failed = failedMembers(graph);
  return (
    <Card title="Workflow">
      <div className="mb-3 flex flex-wrap items-center justify-between gap-3">
        <p className="text-sm text-ink-muted">
          {plural(graph.total, 'task')}
          {graph.groups.length > 0 ? `, ${plural(graph.groups.length, 'group')}` : ''}
          {failed > 0 ? `; ${formatCount(failed)} failed or revoked` : ''}.
          {graph.truncated ? ` Large groups are drawn as one box with their counts; ${formatCount(graph.nodes.length)} of ${formatCount(graph.total)} tasks are listed.` : ''}
        </p>
        {failed > 0 ? <RetryFailedMembers taskId={taskId} failed={failed} /> : null}
      </div>
      <WorkflowDrawing graph={graph} layout={layout} />
      <Legend />
      <FailedInClosedGroups graph={graph} layout={layout} />
    </Card>
  );
}
