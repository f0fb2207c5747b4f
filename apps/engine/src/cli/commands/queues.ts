// `lovage queues`: per-queue counts, head age and rates.
import type { Command } from 'commander';
import { action, EXIT, withConnection, type CommonOptions } from '../common.js';
import { duration, printJson, println, table } from '../output.js';

export function registerQueues(program: Command): void {
  withConnection(program.command('queues').description('show every queue: ready, delayed, reserved, dead, oldest age, rates')).action(
    action(async (app, opts: CommonOptions) => {
      const queues = await app.queues.list();
      if (opts.json) printJson(queues);
      else {
        const rows = queues.map((q) => [q.name, String(q.ready), String(q.delayed), String(q.reserved), String(q.dead), duration(q.oldestAgeMs), String(q.enqueuedPerMinute), String(q.dequeuedPerMinute)]);
        println(table(['QUEUE', 'READY', 'DELAYED', 'RESERVED', 'DEAD', 'OLDEST', 'IN/MIN', 'OUT/MIN'], rows));
      }
      return EXIT.ok;
    }),
  );
}
