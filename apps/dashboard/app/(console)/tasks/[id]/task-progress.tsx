'use client';

import { Card } from '@/components/ui/card';
import { RelativeTime } from '@/components/ui/relative-time';
import { previewJson } from '@/lib/format';
import type { TaskProgress, TaskState } from '@/lib/monitor';

/** The latest `currentTask().progress()`, updated live from the detail room; nothing when the task never reported any. */
export function TaskProgressSection({ progress, state }: { progress: TaskProgress | null; state: TaskState }) {
  if (!progress) return null;
  const percent = Math.round(progress.value * 1000) / 10;
  const running = state === 'STARTED' || state === 'RECEIVED';
  const meta = progress.meta === null ? '' : previewJson(progress.meta, 120);
  return (
    <Card title="Progress">
      <div className="flex items-baseline justify-between gap-4 text-sm">
        <span id="task-progress-label" className="font-medium">
          {running ? 'Running' : 'Last reported'}: {percent}%
        </span>
        <span className="text-ink-muted">
          reported <RelativeTime value={progress.at} />
        </span>
      </div>
      <div
        role="progressbar"
        aria-labelledby="task-progress-label"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={meta ? `${percent}%, ${meta}` : `${percent}%`}
        className="mt-2 h-3 w-full overflow-hidden rounded-full bg-line"
      >
        <div className="h-full rounded-full bg-accent transition-[width] duration-300" style={{ width: `${percent}%` }} />
      </div>
      {meta ? <p className="mt-2 font-mono text-xs break-all text-ink-muted">{meta}</p> : null}
    </Card>
  );
}
