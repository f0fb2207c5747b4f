// `lovage worker --app ./src/app.ts -Q default,emails -c 16 --pool async|threads`
import { InvalidArgumentError, type Command } from 'commander';
import { loadApp } from '../load-app.js';
import { c } from '../output.js';
import { positiveInt } from '../common.js';

interface WorkerCommandOptions {
  app: string;
  queues?: string;
  concurrency: number;
  prefetch?: number;
  pool: string;
  hostname?: string;
  grace: string;
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run a worker that consumes queues')
    .requiredOption('-A, --app <module>', 'module exporting the Lovage app')
    .option('-Q, --queues <names>', 'comma-separated queues to consume (default: the app default queue)')
    .option('-c, --concurrency <n>', 'tasks run at once', positiveInt, 10)
    .option('--prefetch <n>', 'messages reserved at once (default 2 × concurrency)', positiveInt)
    .option('-P, --pool <pool>', 'async | threads', 'async')
    .option('-n, --hostname <name>', 'worker name')
    .option('--grace <duration>', 'shutdown grace period', '30s')
    .action(async (opts: WorkerCommandOptions) => {
      if (opts.pool !== 'async' && opts.pool !== 'threads') throw new InvalidArgumentError(`--pool must be async or threads, got ${opts.pool}`);
      const { app, path } = await loadApp(opts.app);
      const worker = app.worker({
        queues: opts.queues?.split(',').map((q) => q.trim()).filter(Boolean),
        concurrency: opts.concurrency,
        prefetch: opts.prefetch,
        pool: opts.pool,
        appModule: path,
        hostname: opts.hostname,
        shutdownGrace: opts.grace as `${number}s`,
      });
      let stopping = false;
      const stop = (reason: string): void => {
        if (stopping) {
          // Second signal: leave now; our leases expire and other workers take the tasks.
          console.error(c.red(`${reason} again: exiting without waiting`));
          process.exit(1);
        }
        stopping = true;
        console.log(c.yellow(`${reason}: finishing running tasks (again to force)`));
        void worker
          .close()
          .then(() => app.close())
          .then(() => process.exit(0));
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      // A remote `shutdown` closes the worker: the process follows.
      worker.onClosed(() => {
        if (!stopping) {
          stopping = true;
          console.log(c.yellow('remote shutdown: worker stopped'));
          void app.close().then(() => process.exit(0));
        }
      });
      await worker.start();
      console.log(
        `${c.green('lovage worker ready')} ${worker.hostname} queues=${worker.queues.join(',')} pool=${worker.pool} concurrency=${worker.concurrency} broker=${app.config.broker.replace(/\/\/[^@]*@/, '//***@')}`,
      );
    });
}
