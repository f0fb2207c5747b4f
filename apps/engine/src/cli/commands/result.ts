// `lovage result ID [--wait]`: a task's state, result or error, and attempts.
import type { Command } from 'commander';
import { action, durationMs, EXIT, withConnection, type CommonOptions } from '../common.js';
import { c, printJson, println } from '../output.js';

interface ResultOptions extends CommonOptions {
  wait?: boolean;
  timeout: number;
}

export function registerResult(program: Command): void {
  withConnection(
    program
      .command('result')
      .description('show the state and result of a task')
      .argument('<id>', 'task id')
      .option('-w, --wait', 'wait until the task is done')
      .option('-t, --timeout <duration>', 'longest wait with --wait', durationMs, 30_000),
  ).action(
    action(async (app, opts: ResultOptions, id: string) => {
      const r = app.asyncResult(id);
      if (opts.wait) await r.get({ timeout: opts.timeout }).catch(() => undefined);
      const info = await r.info();
      if (opts.json) {
        printJson(info ?? { id, state: 'PENDING' });
        return info ? EXIT.ok : EXIT.failure;
      }
      if (!info) {
        println(`${id} ${c.yellow('PENDING')} (unknown or not started)`);
        return EXIT.failure;
      }
      const color = info.state === 'SUCCESS' ? c.green : info.state === 'FAILURE' || info.state === 'REVOKED' ? c.red : c.yellow;
      println(`${c.bold('id')}       ${info.id}`);
      println(`${c.bold('task')}     ${info.task ?? '-'}`);
      println(`${c.bold('state')}    ${color(info.state)}`);
      if (info.result !== undefined) println(`${c.bold('result')}   ${JSON.stringify(info.result)}`);
      if (info.error) println(`${c.bold('error')}    ${info.error.name}: ${info.error.message}`);
      println(`${c.bold('attempts')} ${info.attempts.length}${info.worker ? ` (last on ${info.worker})` : ''}`);
      return EXIT.ok;
    }),
  );
}
