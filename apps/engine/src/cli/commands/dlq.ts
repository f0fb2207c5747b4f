// `lovage dlq list|requeue|drop QUEUE [IDS...] [--all]`: the dead-letter queue.
import type { Command } from 'commander';
import { action, EXIT, positiveInt, UsageError, withConnection, type CommonOptions } from '../common.js';
import { c, printJson, println, progress, table } from '../output.js';

interface DlqOptions extends CommonOptions {
  limit: number;
  all?: boolean;
}

function ids(list: string[], all: boolean | undefined, verb: string): string[] | undefined {
  if (list.length > 0 && all) throw new UsageError(`--all: give ids or --all, not both`);
  if (list.length === 0 && !all) throw new UsageError(`${verb}: give the ids to ${verb}, or --all`);
  return list.length > 0 ? list : undefined;
}

export function registerDlq(program: Command): void {
  const dlq = program.command('dlq').description('list, requeue or drop dead-lettered messages');
  withConnection(
    dlq
      .command('list')
      .description('show the newest dead letters of a queue')
      .argument('<queue>', 'queue name')
      .option('-n, --limit <n>', 'how many', positiveInt, 50),
  ).action(
    action(async (app, opts: DlqOptions, queue: string) => {
      const dead = await app.queues.deadLetters(queue, opts.limit);
      if (opts.json) printJson(dead.map(({ body: _body, ...rest }) => rest));
      else if (dead.length === 0) println(`no dead letters in ${queue}`);
      else println(table(['ID', 'TASK', 'WHEN', 'REASON'], dead.map((d) => [d.id, d.task ?? '?', new Date(d.at).toISOString(), d.reason])));
      return EXIT.ok;
    }),
  );
  for (const verb of ['requeue', 'drop'] as const) {
    withConnection(
      dlq
        .command(verb)
        .description(verb === 'requeue' ? 'put dead letters back in their queue' : 'delete dead letters for good')
        .argument('<queue>', 'queue name')
        .argument('[ids...]', 'message (task) ids')
        .option('--all', `${verb} every dead letter of the queue`),
    ).action(
      action(async (app, opts: DlqOptions, queue: string, list: string[]) => {
        const chosen = ids(list, opts.all, verb);
        const bar = progress(verb === 'requeue' ? 'requeueing' : 'dropping');
        const run = verb === 'requeue' ? app.queues.requeueDead.bind(app.queues) : app.queues.dropDead.bind(app.queues);
        const n = await run(queue, chosen, { onProgress: (done, total) => bar.update(done, total) });
        bar.stop();
        if (opts.json) printJson({ [verb === 'requeue' ? 'requeued' : 'dropped']: n });
        else println(`${c.green(verb === 'requeue' ? 'requeued' : 'dropped')} ${n} dead letter${n === 1 ? '' : 's'} of ${queue}`);
        return chosen && n < chosen.length ? EXIT.failure : EXIT.ok;
      }),
    );
  }
}
