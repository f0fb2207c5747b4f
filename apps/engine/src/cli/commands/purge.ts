// `lovage purge [-Q QUEUES] [-f]`: delete every waiting message of queues.
import type { Command } from 'commander';
import { action, csv, EXIT, UsageError, withConnection, type CommonOptions } from '../common.js';
import { c, printJson, println, progress } from '../output.js';

interface PurgeOptions extends CommonOptions {
  queues?: string[];
  all?: boolean;
  force?: boolean;
}

export function registerPurge(program: Command): void {
  withConnection(
    program
      .command('purge')
      .description('delete all ready and delayed messages of queues (running tasks are not touched)')
      .option('-Q, --queues <names>', 'comma-separated queues (default: the app default queue)', csv)
      .option('--all', 'every queue the broker knows')
      .option('-f, --force', 'do not ask (required when stdin is not a terminal)'),
  ).action(
    action(async (app, opts: PurgeOptions) => {
      const names = opts.all ? await app.queues.list().then((l) => l.map((q) => q.name)) : (opts.queues ?? [app.config.defaultQueue]);
      if (!opts.force) {
        if (process.stdin.isTTY !== true) throw new UsageError('--force: purge deletes messages; pass --force when not on a terminal');
        const { createInterface } = await import('node:readline/promises');
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        const answer = await rl.question(`Delete all waiting messages of ${names.join(', ')}? [y/N] `);
        rl.close();
        if (!/^y(es)?$/i.test(answer.trim())) return EXIT.failure;
      }
      const bar = progress('purging');
      const purged: Record<string, number> = {};
      for (const [i, name] of names.entries()) {
        purged[name] = await app.queues.purge(name);
        bar.update(i + 1, names.length);
      }
      bar.stop();
      if (opts.json) printJson({ purged });
      else for (const [name, n] of Object.entries(purged)) println(`${c.green('purged')} ${n} message${n === 1 ? '' : 's'} from ${name}`);
      return EXIT.ok;
    }),
  );
}
