// `lovage beat --app ./src/app.ts`: runs a beat service until SIGTERM/SIGINT.
// Run as many as you like; one leads, the others stand by (docs/beat.md).
import type { Command } from 'commander';
import pc from 'picocolors';
import type { Duration } from '../time/duration.js';
import { loadApp } from './load-app.js';

interface BeatCommandOptions {
  app: string;
  lockTtl: string;
  maxInterval: string;
  sync: boolean;
  name?: string;
}

export function registerBeatCommand(program: Command): Command {
  return program
    .command('beat')
    .description('run the periodic task scheduler (any number of instances; one leads)')
    .requiredOption('-A, --app <module>', 'module exporting the Lovage app')
    .option('--lock-ttl <duration>', 'TTL of the leader lock: the longest failover gap', '10s')
    .option('--max-interval <duration>', 'longest wait between looks at the schedule store', '1s')
    .option('--no-sync', 'do not sync beatSchedule from code into the store at start')
    .option('-n, --name <name>', 'this beat instance\u2019s name in logs and events')
    .action(async (opts: BeatCommandOptions) => {
      const { app } = await loadApp(opts.app);
      const beat = app.beat({
        lockTtl: opts.lockTtl as Duration,
        maxInterval: opts.maxInterval as Duration,
        sync: opts.sync,
        name: opts.name,
      });
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) process.exit(1);
        stopping = true;
        console.log(pc.yellow(`${signal}: stopping beat`));
        void beat
          .close()
          .then(() => app.close())
          .then(
            () => process.exit(0),
            (err: unknown) => {
              console.error(pc.red(`beat did not close cleanly: ${String(err)}`));
              process.exit(1);
            },
          );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      await beat.start();
      const report = beat.syncReport;
      console.log(
        `${pc.green('lovage beat ready')} ${beat.name} lockTtl=${beat.lockTtlMs}ms role=${beat.isLeader ? 'leader' : 'standby'}` +
          (report
            ? ` synced created=${report.created.length} updated=${report.updated.length} removed=${report.removed.length}`
            : ''),
      );
    });
}
