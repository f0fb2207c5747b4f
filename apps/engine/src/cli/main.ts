// The `lovage` command line. Each command lives in ./commands/<name>.ts; this
// file wires them up and turns errors into exit codes: 0 ok, 1 failure, 2 usage.
import { Command } from 'commander';
import { registerBeatCommand } from './beat-command.js';
import { reportError } from './common.js';
import { registerCall } from './commands/call.js';
import { registerControl } from './commands/control.js';
import { registerDlq } from './commands/dlq.js';
import { registerEvents } from './commands/events.js';
import { registerInspect } from './commands/inspect.js';
import { registerPurge } from './commands/purge.js';
import { registerQueues } from './commands/queues.js';
import { registerResult } from './commands/result.js';
import { registerStatus } from './commands/status.js';
import { registerWorker } from './commands/worker.js';

const program = new Command('lovage')
  .description('Lovage: a Celery-style task queue for TypeScript')
  .exitOverride()
  .showSuggestionAfterError()
  // Each command parses its own options, so `queues pause NAME --broker URL` gives --broker to `pause`.
  .enablePositionalOptions()
  .configureHelp({ sortSubcommands: false });

registerWorker(program);

registerBeatCommand(program);
registerInspect(program);
registerControl(program);
registerCall(program);
registerResult(program);
registerPurge(program);
registerEvents(program);
registerStatus(program);
registerQueues(program);
registerDlq(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.exit(reportError(err));
});
