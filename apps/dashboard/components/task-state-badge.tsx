import type { TaskState } from '@/lib/monitor';

const tones: Record<TaskState, string> = {
  PENDING: 'bg-line/60 text-ink',
  RECEIVED: 'bg-sky-500/15 text-sky-800 dark:text-sky-300',
  STARTED: 'bg-amber-500/15 text-amber-800 dark:text-amber-300',
  RETRY: 'bg-orange-500/15 text-orange-800 dark:text-orange-300',
  SUCCESS: 'bg-ok/15 text-ok',
  FAILURE: 'bg-bad/15 text-bad',
  REVOKED: 'bg-purple-500/15 text-purple-800 dark:text-purple-300',
  REJECTED: 'bg-bad/10 text-bad',
};

/** A task's state as a coloured label (the word itself carries the meaning, not the colour). */
export function TaskStateBadge({ state }: { state: TaskState | null | undefined }) {
  if (!state) return <span className="text-ink-muted">—</span>;
  return (
    <span className={`inline-block rounded px-1.5 py-0.5 font-mono text-xs font-semibold ${tones[state]}`}>
      {state}
    </span>
  );
}
