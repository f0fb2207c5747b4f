// `lovage events [--from 0] [--limit N] [--json]`: follow the event stream.
import type { Command } from 'commander';
import type { LovageEvent } from '../../events/events.js';
import { action, EXIT, positiveInt, withConnection, type CommonOptions } from '../common.js';
import { c, printJson, println } from '../output.js';

interface EventsOptions extends CommonOptions {
  from: string;
  limit?: number;
  type?: string[];
}

function line(e: LovageEvent): string {
  const time = new Date(e.timestamp).toISOString().slice(11, 23);
  const color = e.type.endsWith('failed') || e.type.endsWith('rejected') || e.type.endsWith('offline') ? c.red : e.type.endsWith('succeeded') || e.type.endsWith('online') ? c.green : c.cyan;
  const parts: string[] = [];
  const r = e as unknown as Record<string, unknown>;
  for (const key of ['name', 'id', 'queue', 'args', 'result', 'runtime', 'reason', 'schedule', 'active', 'processed', 'progress', 'level']) {
    if (r[key] !== undefined) parts.push(`${key}=${typeof r[key] === 'string' ? (r[key]) : JSON.stringify(r[key])}`);
  }
  if (e.type === 'task-failed' || e.type === 'task-retried') parts.push(`error=${e.error.name}: ${e.error.message}`);
  // One event, one line: a multi-line message is shown quoted.
  if (e.type === 'task-log') parts.push(`message=${JSON.stringify(e.message)}`);
  return `${c.dim(time)} ${color(e.type.padEnd(16))} ${c.dim(`${e.hostname}#${e.seq}`)} ${parts.join(' ')}`;
}

export function registerEvents(program: Command): void {
  withConnection(
    program
      .command('events')
      .description('follow the event stream (task, worker and beat events) until interrupted')
      .option('--from <id>', "start after this stream id: '$' only new events, '0' everything kept", '$')
      .option('-n, --limit <n>', 'exit after this many events', positiveInt)
      .option('--type <types>', 'only these event types (comma-separated, e.g. task-failed,worker-offline)', (v) => v.split(',')),
  ).action(
    action(async (app, opts: EventsOptions) => {
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      process.once('SIGTERM', () => controller.abort());
      let seen = 0;
      for await (const batch of app.events.tail({ fromId: opts.from, blockMs: 500, signal: controller.signal })) {
        for (const e of batch) {
          if (opts.type && !opts.type.includes(e.type)) continue;
          if (opts.json) printJson(e);
          else println(line(e));
          if (opts.limit !== undefined && ++seen >= opts.limit) return EXIT.ok;
        }
      }
      return EXIT.ok;
    }),
  );
}
