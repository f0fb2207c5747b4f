// `lovage control ping|revoke|rate-limit|time-limit|pool-grow|pool-shrink|add-consumer|cancel-consumer|shutdown`
import type { Command } from 'commander';
import type { ControlOk, Replies } from '../../control/control.js';
import type { Lovage } from '../../app/lovage.js';
import { action, destinationOption, durationMs, EXIT, positiveInt, timeoutOption, UsageError, withConnection, type CommonOptions } from '../common.js';
import { c, printJson, println } from '../output.js';

interface ControlCliOptions extends CommonOptions {
  destination?: string[];
  timeout: number;
  terminate?: boolean;
  soft?: number;
  hard?: number;
}

function report(replies: Replies<ControlOk>, json: boolean | undefined): number {
  const hosts = Object.keys(replies).sort();
  if (json) printJson(replies);
  else if (hosts.length === 0) console.error(c.red('no workers replied'));
  else
    for (const host of hosts) {
      const r = replies[host]!;
      println('error' in r ? `${c.red('->')} ${host}: ${c.red(r.error)}` : `${c.green('->')} ${host}: ${r.ok}`);
    }
  if (hosts.length === 0) return EXIT.failure;
  return hosts.some((h) => 'error' in replies[h]!) ? EXIT.failure : EXIT.ok;
}

function sub(
  parent: Command,
  name: string,
  description: string,
  run: (app: Lovage, opts: ControlCliOptions, ...args: string[]) => Promise<Replies<ControlOk>>,
): Command {
  const cmd = parent.command(name).description(description).addOption(destinationOption()).addOption(timeoutOption());
  withConnection(cmd);
  cmd.action(
    action(async (app, opts: ControlCliOptions, ...args: string[]) => report(await run(app, opts, ...args), opts.json)),
  );
  return cmd;
}

const target = (o: ControlCliOptions): { destination: string[] | undefined; timeout: number } => ({ destination: o.destination, timeout: o.timeout });

function count(value: string | undefined): number {
  if (value === undefined) return 1;
  try {
    return positiveInt(value);
  } catch {
    throw new UsageError(`N: must be a positive integer, got ${JSON.stringify(value)}`);
  }
}

export function registerControl(program: Command): void {
  const control = program.command('control').description('send a remote-control command to workers');
  sub(control, 'ping', 'check which workers answer', (app, o) => app.control.ping(target(o)));
  sub(control, 'revoke', 'revoke tasks (running ones are aborted; --terminate cuts them loose)', (app, o, ...ids) =>
    app.control.revokeAndWait(ids.flat(), { ...target(o), terminate: o.terminate === true }),
  )
    .argument('<ids...>', 'task ids')
    .option('--terminate', 'stop running tasks after the terminate grace period');
  sub(control, 'rate-limit', 'set a task rate limit on workers (e.g. 10/s, 100/m; "none" removes it)', (app, o, task, rate) =>
    app.control.rateLimit(task, rate === 'none' ? null : rate, target(o)),
  )
    .argument('<task>', 'task name')
    .argument('<rate>', 'N/s, N/m, N/h or none');
  sub(control, 'time-limit', 'set a task time limit on workers', (app, o, task) => {
    if (o.soft === undefined && o.hard === undefined) throw new UsageError('time-limit: give --soft and/or --hard');
    return app.control.timeLimit(task, { soft: o.soft ?? null, hard: o.hard ?? null }, target(o));
  })
    .argument('<task>', 'task name')
    .option('--soft <duration>', 'soft time limit', durationMs)
    .option('--hard <duration>', 'hard time limit', durationMs);
  sub(control, 'pool-grow', 'run N more tasks at once (async pool)', (app, o, n) => app.control.poolGrow(count(n), target(o))).argument('[n]', 'how many', '1');
  sub(control, 'pool-shrink', 'run N fewer tasks at once (async pool)', (app, o, n) => app.control.poolShrink(count(n), target(o))).argument('[n]', 'how many', '1');
  sub(control, 'add-consumer', 'start consuming a queue', (app, o, q) => app.control.addConsumer(q, target(o))).argument('<queue>', 'queue name');
  sub(control, 'cancel-consumer', 'stop consuming a queue', (app, o, q) => app.control.cancelConsumer(q, target(o))).argument('<queue>', 'queue name');
  sub(control, 'shutdown', 'shut workers down warmly', (app, o) => app.control.shutdown(target(o)));
}
