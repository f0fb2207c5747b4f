// `lovage call TASK --args '[42]' [--kwargs '{"z": 1}'] [--queue Q] [--countdown 10s] [--wait]`
import type { Command } from 'commander';
import { action, durationMs, EXIT, positiveInt, UsageError, withConnection, type CommonOptions } from '../common.js';
import { c, printJson, println } from '../output.js';

interface CallOptions extends CommonOptions {
  args: string;
  kwargs?: string;
  queue?: string;
  countdown?: number;
  priority?: number;
  wait?: boolean;
  timeout: number;
}

export function registerCall(program: Command): void {
  withConnection(
    program
      .command('call')
      .description('send a task by name and print its id (--wait: and its result)')
      .argument('<task>', 'task name')
      .option('-a, --args <json>', 'arguments as a JSON array', '[]')
      .option('-k, --kwargs <json>', 'keyword arguments as a JSON object (the handler gets them as its last argument)')
      .option('-q, --queue <name>', 'queue (default: the task’s or the app’s)')
      .option('--countdown <duration>', 'run no earlier than this from now', durationMs)
      .option('--priority <n>', '0 (lowest) to 9', (v) => positiveInt(String(Number(v) + 1)) - 1)
      .option('-w, --wait', 'wait for the result and print it')
      .option('-t, --timeout <duration>', 'longest wait with --wait', durationMs, 30_000),
  ).action(
    action(async (app, opts: CallOptions, name: string) => {
      let args: unknown;
      try {
        args = JSON.parse(opts.args);
      } catch {
        throw new UsageError(`--args: not valid JSON: ${opts.args}`);
      }
      if (!Array.isArray(args)) throw new UsageError(`--args: must be a JSON array, got ${opts.args}`);
      let kwargs: unknown;
      try {
        kwargs = opts.kwargs === undefined ? undefined : JSON.parse(opts.kwargs);
      } catch {
        throw new UsageError(`--kwargs: not valid JSON: ${opts.kwargs}`);
      }
      if (kwargs !== undefined && (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs))) {
        throw new UsageError(`--kwargs: must be a JSON object, got ${opts.kwargs}`);
      }
      // Without --app the task code is not here: a stand-in registration is enough to send it by name.
      if (!app.tasks.has(name)) app.task(name, () => undefined);
      const result = await app.sendTask(name, args, {
        kwargs: kwargs as Record<string, unknown> | undefined,
        queue: opts.queue,
        countdown: opts.countdown,
        priority: opts.priority,
      });
      if (!opts.wait) {
        if (opts.json) printJson({ id: result.id });
        else println(result.id);
        return EXIT.ok;
      }
      try {
        const value = await result.get({ timeout: opts.timeout });
        if (opts.json) printJson({ id: result.id, state: 'SUCCESS', result: value });
        else println(`${result.id} ${c.green('SUCCESS')} ${JSON.stringify(value)}`);
        return EXIT.ok;
      } catch (err) {
        const state = await result.state();
        if (opts.json) printJson({ id: result.id, state, error: err instanceof Error ? err.message : String(err) });
        else println(`${result.id} ${c.red(state)} ${err instanceof Error ? err.message : String(err)}`);
        return EXIT.failure;
      }
    }),
  );
}
