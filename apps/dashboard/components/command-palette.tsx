'use client';

// Find anything: Ctrl-K / ⌘-K (or the header's button) opens a search over pages, workers,
// queues and schedules (fuzzy, on the names the API lists) and task ids (exact, asked of the
// API). "g" then a letter goes to a page; "?" lists the shortcuts.
import { useQuery } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useId, useMemo, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import { api, ApiError } from '@/lib/api-client';
import { fuzzyFilter } from '@/lib/fuzzy-match';
import { paths, type QueueList, type ScheduleList, type TaskDetail, type TaskDetailResponse, type WorkerList } from '@/lib/monitor';
import { navigation, pageShortcuts } from '@/lib/navigation';
import { queryKeys } from '@/lib/query-keys';
import { Button } from './ui/button';
import { Modal } from './ui/dialog';

interface Entry {
  id: string;
  kind: 'Page' | 'Task' | 'Worker' | 'Queue' | 'Schedule';
  label: string;
  detail?: string;
  href: string;
}

/** How many matches of each kind the list shows. */
const PER_KIND = 5;
/** What could be a task id: no spaces, at least 8 characters. */
const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{7,199}$/;
/** How long after the last keystroke a task id is looked up. */
const LOOKUP_DELAY_MS = 200;
/**
 * How long after "g" the page letter may come, between the two keystrokes as the user typed them
 * (the events' timeStamps): a page busy rendering may handle the second one later than that.
 */
const CHORD_MS = 1_500;

const shortcutHelp: [string, string][] = [
  ['Ctrl K / ⌘ K', 'Find anything'],
  ...Object.entries(pageShortcuts).map(([key, href]): [string, string] => [`g ${key}`, `Go to ${navigation.find((item) => item.href === href)?.label ?? href}`]),
  ['?', 'Show these shortcuts'],
];

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

function useTaskLookup(text: string) {
  const [id, setId] = useState('');
  useEffect(() => {
    const candidate = text.trim();
    const timer = setTimeout(() => setId(TASK_ID.test(candidate) ? candidate : ''), LOOKUP_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text]);
  const query = useQuery({
    queryKey: queryKeys.palette.task(id),
    enabled: id !== '',
    retry: false,
    staleTime: 10_000,
    queryFn: async ({ signal }): Promise<TaskDetail | null> => {
      try {
        return (await api.get<TaskDetailResponse>(paths.task(id), { signal })).task;
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
  });
  return { id, task: id !== '' && query.data && query.data.id === id ? query.data : null, looking: id !== '' && query.isFetching };
}

function PaletteSearch({ onGo }: { onGo: (href: string) => void }) {
  const listId = useId();
  const inputId = useId();
  const [text, setText] = useState('');
  const [active, setActive] = useState(0);
  const workers = useQuery({ queryKey: queryKeys.workers.list(), queryFn: ({ signal }) => api.get<WorkerList>(paths.workers, { signal }), staleTime: 30_000 });
  const queues = useQuery({ queryKey: queryKeys.queues.list(), queryFn: ({ signal }) => api.get<QueueList>(paths.queues, { signal }), staleTime: 30_000 });
  const schedules = useQuery({ queryKey: queryKeys.schedules.list(), queryFn: ({ signal }) => api.get<ScheduleList>(paths.schedules, { signal }), staleTime: 30_000 });
  const lookup = useTaskLookup(text);

  const entries = useMemo((): Entry[] => {
    const pages = navigation.map((item): Entry => ({ id: `page:${item.href}`, kind: 'Page', label: item.label, href: item.href }));
    const found: Entry[] = [];
    if (lookup.task) {
      found.push({ id: `task:${lookup.task.id}`, kind: 'Task', label: lookup.task.name, detail: `${lookup.task.state} · ${lookup.task.id}`, href: `/tasks/${encodeURIComponent(lookup.task.id)}` });
    }
    found.push(...fuzzyFilter(pages, text, (entry) => entry.label, PER_KIND));
    if (text.trim() === '') return found;
    const hostnames = (workers.data?.workers ?? []).map((worker): Entry => ({ id: `worker:${worker.hostname}`, kind: 'Worker', label: worker.hostname, detail: worker.online ? 'online' : 'offline', href: `/workers/${encodeURIComponent(worker.hostname)}` }));
    const queueNames = [...new Set((queues.data?.queues ?? []).map((queue) => queue.name))].map((name): Entry => ({ id: `queue:${name}`, kind: 'Queue', label: name, href: '/queues' }));
    const scheduleNames = (schedules.data?.schedules ?? []).map((schedule): Entry => ({ id: `schedule:${schedule.name}`, kind: 'Schedule', label: schedule.name, detail: schedule.task, href: `/schedules/${encodeURIComponent(schedule.name)}` }));
    for (const list of [hostnames, queueNames, scheduleNames]) found.push(...fuzzyFilter(list, text, (entry) => entry.label, PER_KIND));
    return found;
  }, [text, lookup.task, workers.data, queues.data, schedules.data]);

  const current = entries.length === 0 ? -1 : Math.min(active, entries.length - 1);
  const optionId = useCallback((index: number) => `${listId}-option-${index}`, [listId]);
  // The dialog scrolls when the list is long: the chosen option stays in sight.
  useEffect(() => {
    if (current >= 0) document.getElementById(optionId(current))?.scrollIntoView({ block: 'nearest' });
  }, [current, optionId]);

  function onKeyDown(event: ReactKeyboardEvent<HTMLInputElement>) {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      if (entries.length === 0) return;
      const step = event.key === 'ArrowDown' ? 1 : -1;
      setActive((current + step + entries.length) % entries.length);
    } else if (event.key === 'Enter') {
      event.preventDefault();
      const entry = entries[current];
      if (entry) onGo(entry.href);
    }
  }

  const status = lookup.looking
    ? 'Looking the task id up…'
    : entries.length === 0
      ? lookup.id !== ''
        ? `No task with id ${lookup.id}, and nothing else matches.`
        : 'Nothing matches.'
      : `${entries.length} match${entries.length === 1 ? '' : 'es'}; arrows to choose, Enter to go.`;

  return (
    <div className="mt-3">
      <label htmlFor={inputId} className="mb-1 block text-sm font-medium">
        Task id, worker, queue, schedule or page
      </label>
      <input
        id={inputId}
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={entries.length > 0}
        {...(entries.length > 0 ? { 'aria-controls': listId } : {})}
        {...(current >= 0 ? { 'aria-activedescendant': optionId(current) } : {})}
        autoComplete="off"
        spellCheck={false}
        value={text}
        onChange={(event) => {
          setText(event.target.value);
          setActive(0);
        }}
        onKeyDown={onKeyDown}
        className="block w-full rounded-md border border-line bg-surface px-3 py-2 text-sm text-ink"
      />
      <p role="status" className="mt-2 text-xs text-ink-muted">
        {status}
      </p>
      {entries.length > 0 ? (
        <ul id={listId} role="listbox" aria-label="Matches" className="mt-2">
          {entries.map((entry, index) => (
            <li
              key={entry.id}
              id={optionId(index)}
              role="option"
              aria-selected={index === current}
              onMouseDown={(event) => event.preventDefault()}
              onMouseMove={() => setActive(index)}
              onClick={() => onGo(entry.href)}
              className={`flex cursor-pointer items-baseline gap-3 rounded-md px-3 py-2 text-sm ${index === current ? 'bg-accent/15' : ''}`}
            >
              <span className="w-16 shrink-0 text-xs text-ink-muted">{entry.kind}</span>
              <span className="min-w-0 truncate font-medium">{entry.label}</span>
              {entry.detail ? <span className="ml-auto truncate font-mono text-xs text-ink-muted">{entry.detail}</span> : null}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** The header's "Find anything" button, the palette, the page shortcuts and their help. */
export function CommandPalette() {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [helpOpen, setHelpOpen] = useState(false);
  /** When "g" was typed (its event's timeStamp), or -Infinity when no chord is under way. */
  const chord = useRef(Number.NEGATIVE_INFINITY);

  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 'k') {
        event.preventDefault();
        setHelpOpen(false);
        setOpen((wasOpen) => !wasOpen);
        return;
      }
      if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented || isTyping(event.target)) return;
      // Another dialog (a confirmation, say) owns the keyboard while it is open.
      if (document.querySelector('dialog[open]')) return;
      if (event.key === '?') {
        event.preventDefault();
        setHelpOpen(true);
        return;
      }
      if (event.timeStamp - chord.current < CHORD_MS) {
        chord.current = Number.NEGATIVE_INFINITY;
        const href = pageShortcuts[event.key.toLowerCase()];
        if (href) {
          event.preventDefault();
          router.push(href);
          return;
        }
      }
      if (event.key === 'g') chord.current = event.timeStamp;
    }
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [router]);

  return (
    <>
      <button
        type="button"
        aria-keyshortcuts="Control+K Meta+K"
        onClick={() => setOpen(true)}
        className="inline-flex items-center gap-2 rounded-md border border-line bg-surface px-3 py-1 text-sm text-ink-muted hover:text-ink"
      >
        Find anything
        <kbd aria-hidden="true" className="rounded border border-line px-1 font-mono text-xs">
          Ctrl K
        </kbd>
      </button>
      <Modal open={open} wide title="Find anything" onCancel={() => setOpen(false)}>
        {() =>
          open ? (
            <PaletteSearch
              onGo={(href) => {
                setOpen(false);
                router.push(href);
              }}
            />
          ) : null
        }
      </Modal>
      <Modal open={helpOpen} title="Keyboard shortcuts" onCancel={() => setHelpOpen(false)}>
        {() => (
          <>
            <dl className="mt-4 grid grid-cols-[auto_1fr] gap-x-6 gap-y-2 text-sm">
              {shortcutHelp.map(([keys, what]) => (
                <div key={keys} className="contents">
                  <dt>
                    <kbd className="rounded border border-line px-1.5 font-mono text-xs">{keys}</kbd>
                  </dt>
                  <dd>{what}</dd>
                </div>
              ))}
            </dl>
            <div className="mt-5 flex justify-end">
              <Button onClick={() => setHelpOpen(false)}>Close</Button>
            </div>
          </>
        )}
      </Modal>
    </>
  );
}
