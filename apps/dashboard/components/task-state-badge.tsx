import type { TaskState } from '@/lib/monitor';

/**
 * Each state's colour, once: as a label (`badge`) and as a shape in an SVG drawing (`fill` over
 * the surface, a stronger `stroke`), so the workflow graph and the badges never disagree.
 */
export const stateColours: Record<TaskState, { badge: string; fill: string; stroke: string }> = {
  PENDING: { badge: 'bg-line/60 text-ink', fill: 'fill-line/60', stroke: 'stroke-ink-muted' },
  RECEIVED: { badge: 'bg-sky-500/15 text-sky-800 dark:text-sky-300', fill: 'fill-sky-500/15', stroke: 'stroke-sky-700 dark:stroke-sky-300' },
  STARTED: { badge: 'bg-amber-500/15 text-amber-800 dark:text-amber-300', fill: 'fill-amber-500/15', stroke: 'stroke-amber-700 dark:stroke-amber-300' },
  RETRY: { badge: 'bg-orange-500/15 text-orange-800 dark:text-orange-300', fill: 'fill-orange-500/15', stroke: 'stroke-orange-700 dark:stroke-orange-300' },
  SUCCESS: { badge: 'bg-ok/15 text-ok', fill: 'fill-ok/15', stroke: 'stroke-ok' },
  FAILURE: { badge: 'bg-bad/15 text-bad', fill: 'fill-bad/15', stroke: 'stroke-bad' },
  REVOKED: { badge: 'bg-purple-500/15 text-purple-800 dark:text-purple-300', fill: 'fill-purple-500/15', stroke: 'stroke-purple-700 dark:stroke-purple-300' },
  REJECTED: { badge: 'bg-bad/10 text-bad', fill: 'fill-bad/10', stroke: 'stroke-bad' },
};

/** A task's state as a coloured label (the word itself carries the meaning, not the colour). */
export function TaskStateBadge({ state }: { state: TaskState | null | undefined }) {
  if (!state) return <span className="text-ink-muted">—</span>;
  return (
    <span className={`inline-block rounded px-1.5 py-0.5 font-mono text-xs font-semibold ${stateColours[state].badge}`}>
      {state}
    </span>
  );
}
