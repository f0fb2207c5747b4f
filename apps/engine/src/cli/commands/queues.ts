// `lovage queues`: per-queue counts, head age and rates.
// `lovage queues pause|resume NAME... | --all`: stop or restart the delivery of a queue's messages.
// `lovage queues concurrency NAME LIMIT|none`: cap how many of a queue's tasks run at once, across workers.
import { Argument, type Command } from 'commander';
import { action, EXIT, UsageError, withConnection, type CommonOptions } from '../common.js';
import { c, duration, printJson, println, table } from '../output.js';

interface PauseOptions extends CommonOptions {
  all?: boolean;
}

/** `3` → 3, `none` → null (no limit); anything else is a usage error naming the value. */
function concurrencyLimit(value: string): number | null {
  if (value === 'none') return null;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (Number.isSafeInteger(n) && n >= 1) return n;
  const hint = n === 0 ? ' (to stop the queue, use lovage queues pause)' : '';
  throw new UsageError(`LIMIT: must be a whole number of at least 1, or none, got ${JSON.stringify(value)}${hint}`);
}

export function registerQueues(program: Command): void {
  // Positional options: after `pause` or `resume`, --broker and the rest belong to that subcommand.
  const queues = withConnection(
    program
      .command('queues')
      .description('show every queue: paused, concurrency limit, ready, delayed, reserved, dead, oldest age, rates')
      .enablePositionalOptions(),
  ).action(
    action(async (app, opts: CommonOptions) => {
      const queues = await app.queues.list();
      if (opts.json) printJson(queues);
      else {
        const rows = queues.map((q) => [
          q.name,
          q.paused ? 'paused' : '',
          q.concurrency === null ? '' : String(q.concurrency),
          String(q.ready),
          String(q.delayed),
          String(q.reserved),
          String(q.dead),
          duration(q.oldestAgeMs),
          String(q.enqueuedPerMinute),
          String(q.dequeuedPerMinute),
        ]);
        println(table(['QUEUE', 'STATE', 'LIMIT', 'READY', 'DELAYED', 'RESERVED', 'DEAD', 'OLDEST', 'IN/MIN', 'OUT/MIN'], rows));
      }
      return EXIT.ok;
    }),
  );
  for (const verb of ['pause', 'resume'] as const) {
    withConnection(
      queues
        .command(verb)
        .description(
          verb === 'pause'
            ? 'stop workers from starting messages of queues (they still take new ones; running tasks finish)'
            : 'let workers take messages of paused queues again',
        )
        .argument('[names...]', 'queue names')
        .option('--all', `${verb} every queue the broker knows`),
    ).action(
      action(async (app, opts: PauseOptions, names: string[]) => {
        if (names.length > 0 && opts.all) throw new UsageError('--all: give queue names or --all, not both');
        if (names.length === 0 && !opts.all) throw new UsageError(`${verb}: give the queues to ${verb}, or --all`);
        let done: string[];
        if (opts.all) done = verb === 'pause' ? await app.queues.pauseAll() : await app.queues.resumeAll();
        else {
          for (const name of names) await (verb === 'pause' ? app.queues.pause(name) : app.queues.resume(name));
          done = names;
        }
        const word = verb === 'pause' ? 'paused' : 'resumed';
        if (opts.json) printJson({ [word]: done });
        else println(done.length === 0 ? 'no queues' : `${c.green(word)} ${done.join(', ')}`);
        return EXIT.ok;
      }),
    );
  }
  withConnection(
    queues
      .command('concurrency')
      .description("run at most LIMIT of a queue's tasks at once across every worker (none removes the limit)")
      .argument('<name>', 'queue name')
      // Parsed with the arguments, so a bad LIMIT fails before any connection is made.
      .addArgument(new Argument('<limit>', 'a whole number of at least 1, or none').argParser(concurrencyLimit)),
  ).action(
    action(async (app, opts: CommonOptions, name: string, limit: number | null) => {
      await app.queues.setConcurrency(name, limit);
      if (opts.json) printJson({ queue: name, concurrency: limit });
      else println(limit === null ? `${c.green('unlimited')} ${name}` : `${c.green('limited')} ${name} to ${limit} running at once`);
      return EXIT.ok;
    }),
  );
}
