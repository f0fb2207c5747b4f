// `lovage status`: live workers from the heartbeat registry, with their last heartbeat.
import type { Command } from 'commander';
import { action, EXIT, withConnection, type CommonOptions } from '../common.js';
import { ago, c, printJson, println, table } from '../output.js';

export function registerStatus(program: Command): void {
  withConnection(program.command('status').description('list live workers and their last heartbeat')).action(
    action(async (app, opts: CommonOptions) => {
      const workers = await app.control.workers();
      if (opts.json) {
        printJson(workers);
        return workers.length === 0 ? EXIT.failure : EXIT.ok;
      }
      if (workers.length === 0) {
        console.error(c.red('no workers online'));
        return EXIT.failure;
      }
      const rows = workers.map((w) => {
        const hb = w.heartbeat;
        return [
          c.green('●') + ' ' + w.hostname,
          ago(w.lastHeartbeat),
          hb ? hb.queues.join(',') : '-',
          hb ? `${hb.pool.kind}/${hb.pool.size}` : '-',
          hb ? String(hb.active) : '-',
          hb ? String(hb.processed) : '-',
          hb ? String(hb.failed) : '-',
          hb ? `${Math.round(hb.rss / 1048576)}MB` : '-',
          hb ? String(hb.pid) : '-',
        ];
      });
      println(table(['WORKER', 'HEARTBEAT', 'QUEUES', 'POOL', 'ACTIVE', 'PROCESSED', 'FAILED', 'RSS', 'PID'], rows));
      println(c.dim(`${workers.length} worker${workers.length === 1 ? '' : 's'} online`));
      return EXIT.ok;
    }),
  );
}
