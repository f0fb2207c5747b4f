// The `lovage` command line. This issue ships `lovage worker`; the full CLI
// (beat, inspect, control, call, result, purge, events, status) comes later.
import { Command, InvalidArgumentError } from 'commander';
import pc from 'picocolors';
import { loadApp } from './load-app.js';

const program = new Command('lovage').description('Lovage: a Celery-style task queue for TypeScript');

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

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
  .action(async (opts: { app: string; queues?: string; concurrency: number; prefetch?: number; pool: string; hostname?: string; grace: string }) => {
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
    const stop = (signal: string): void => {
      if (stopping) {
        // Second signal: leave now; our leases expire and other workers take the tasks.
        console.error(pc.red(`${signal} again: exiting without waiting`));
        process.exit(1);
      }
      stopping = true;
      console.log(pc.yellow(`${signal}: finishing running tasks (again to force)`));
      void worker
        .close()
        .then(() => app.close())
        .then(() => process.exit(0));
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    await worker.start();
    console.log(
      `${pc.green('lovage worker ready')} ${worker.hostname} queues=${worker.queues.join(',')} pool=${worker.pool} concurrency=${worker.concurrency} broker=${app.config.broker.replace(/\/\/[^@]*@/, '//***@')}`,
    );
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(pc.red(err instanceof Error ? `${err.name}: ${err.message}` : String(err)));
  process.exit(1);
});
