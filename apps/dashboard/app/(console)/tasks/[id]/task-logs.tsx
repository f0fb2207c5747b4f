'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { CopyButton } from '@/components/ui/copy-button';
import { ErrorState, Skeleton } from '@/components/ui/states';
import { api } from '@/lib/api-client';
import { formatAbsolute } from '@/lib/format';
import { createBatcher, useLiveEvent } from '@/lib/live';
import { paths, type TaskLogLine, type TaskLogPage } from '@/lib/monitor';
import { queryKeys } from '@/lib/query-keys';

/** Lines fetched when the page opens (the newest); the gateway keeps 1,000 per task by default. */
const PAGE = 1_000;
/** Lines held in the page at most, however long it stays open on a chatty task. */
const KEEP = 5_000;

interface LogState {
  /** Oldest first. */
  lines: TaskLogLine[];
  /** Older lines exist beyond what was fetched. */
  truncated: boolean;
}

const levelTone: Record<string, string> = {
  warn: 'text-ink',
  error: 'text-bad',
  fatal: 'text-bad',
  debug: 'text-ink-muted',
  trace: 'text-ink-muted',
};

function lineText(line: TaskLogLine): string {
  const fields = line.fields && Object.keys(line.fields).length > 0 ? ` ${JSON.stringify(line.fields)}` : '';
  return `${line.at} ${line.level.toUpperCase()} [attempt ${line.attempt}] ${line.message}${fields}`;
}

/** One line; memoized, so a live append renders only the new lines. */
const LogLineItem = memo(function LogLineItem({ line }: { line: TaskLogLine }) {
  const fields = line.fields && Object.keys(line.fields).length > 0 ? JSON.stringify(line.fields) : null;
  return (
    <li className="flex items-start gap-3 border-b border-line py-2 last:border-b-0" data-log-id={line.id}>
      <div className="w-40 shrink-0 text-xs text-ink-muted">
        <time dateTime={line.at} title={formatAbsolute(line.at)}>
          {formatAbsolute(line.at)}
        </time>
        <div>
          <span className={`font-semibold uppercase ${levelTone[line.level] ?? ''}`}>{line.level}</span> · attempt {line.attempt}
        </div>
      </div>
      <div className="min-w-0 flex-1">
        <pre className="font-mono text-xs whitespace-pre-wrap break-all">{line.message}</pre>
        {fields ? <pre className="mt-1 font-mono text-xs whitespace-pre-wrap break-all text-ink-muted">{fields}</pre> : null}
      </div>
      <CopyButton text={lineText(line)} label={`Copy log line from ${formatAbsolute(line.at)}`} />
    </li>
  );
});

function merge(current: LogState, incoming: TaskLogLine[]): LogState {
  const seen = new Set(current.lines.map((line) => line.id));
  const fresh = incoming.filter((line) => !seen.has(line.id));
  if (fresh.length === 0) return current;
  const lines = [...current.lines, ...fresh].sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || Number(BigInt(a.id) - BigInt(b.id)));
  return lines.length > KEEP ? { lines: lines.slice(lines.length - KEEP), truncated: true } : { lines, truncated: current.truncated };
}

/** The task's log lines: the newest page fetched once, then lines appended live from the detail room's 'task:logs'. */
export function TaskLogsSection({ taskId }: { taskId: string }) {
  const queryClient = useQueryClient();
  const key = queryKeys.tasks.logs(taskId);
  const [newestFirst, setNewestFirst] = useState(false);
  const query = useQuery({
    queryKey: key,
    queryFn: async ({ signal }): Promise<LogState> => {
      const page = await api.get<TaskLogPage>(paths.taskLogs(taskId), { signal, query: { order: 'desc', limit: PAGE } });
      return { lines: [...page.logs].reverse(), truncated: page.nextCursor !== null };
    },
  });

  // Live lines arrive in bursts: appended a few times a second, not once per message. They are
  // kept apart from the fetched page and merged when shown, so a line that arrives while a fetch
  // is in flight (stored after the fetch read, sent before its answer) is never lost to it.
  const [live, setLive] = useState<TaskLogLine[]>([]);
  const batcher = useRef<ReturnType<typeof createBatcher<TaskLogLine>> | null>(null);
  useEffect(() => {
    setLive([]);
    const current = createBatcher<TaskLogLine>(250, (lines) => setLive((held) => [...held, ...lines].slice(-KEEP)));
    batcher.current = current;
    return () => current.cancel();
  }, [taskId]);
  useLiveEvent(
    'task:logs',
    (update) => {
      if (update.taskId !== taskId) return;
      if (update.dropped > 0) void queryClient.invalidateQueries({ queryKey: queryKeys.tasks.logs(taskId) });
      for (const line of update.logs) batcher.current?.push(line);
    },
    () => void queryClient.invalidateQueries({ queryKey: queryKeys.tasks.logs(taskId) }),
  );

  const state = useMemo(() => (query.data ? merge(query.data, live) : undefined), [query.data, live]);
  const lines = state?.lines;
  const shown = useMemo(() => (lines ? (newestFirst ? [...lines].reverse() : lines) : []), [lines, newestFirst]);
  const allText = useMemo(() => shown.map(lineText).join('\n'), [shown]);

  return (
    <Card title="Logs">
      {query.isPending ? (
        <Skeleton rows={3} label="Loading the task's log" />
      ) : query.isError ? (
        <ErrorState what="the task's log" error={query.error} onRetry={() => void query.refetch()} />
      ) : shown.length === 0 ? (
        <p className="text-sm text-ink-muted">
          No log lines. A task writes them with <code className="font-mono">currentTask().log()</code> or <code className="font-mono">currentTask().logger</code>.
        </p>
      ) : (
        <>
          <div className="mb-2 flex flex-wrap items-center gap-2 text-sm">
            <span className="text-ink-muted" aria-live="polite">
              {shown.length} {shown.length === 1 ? 'line' : 'lines'}
              {state?.truncated ? ' (the newest; older ones are not shown)' : ''}
            </span>
            <span className="flex-1" />
            <Button variant="secondary" size="sm" aria-pressed={newestFirst} onClick={() => setNewestFirst((value) => !value)}>
              {newestFirst ? 'Newest first' : 'Oldest first'}
            </Button>
            <CopyButton text={allText} label="Copy all log lines" />
          </div>
          <ol aria-label="Log lines" className="max-h-[32rem] overflow-auto rounded-md border border-line bg-surface px-3">
            {shown.map((line) => (
              <LogLineItem key={line.id} line={line} />
            ))}
          </ol>
        </>
      )}
    </Card>
  );
}
