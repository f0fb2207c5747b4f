// `lovage inspect active|reserved|scheduled|revoked|registered|stats|conf|active-queues [-d HOSTS]`
import { Argument, type Command } from 'commander';
import { INSPECT_METHODS, type InspectWhat, type Replies, type TaskInfo, type WorkerStats } from '../../control/control.js';
import { action, destinationOption, EXIT, timeoutOption, withConnection, type CommonOptions } from '../common.js';
import { c, duration, printJson, println, table } from '../output.js';

const kebab = (s: string): string => s.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);
const byKebab = new Map(INSPECT_METHODS.map((m) => [kebab(m), m]));

interface InspectOptions extends CommonOptions {
  destination?: string[];
  timeout: number;
}

function human(what: InspectWhat, replies: Replies<unknown>): void {
  for (const [host, reply] of Object.entries(replies).sort(([a], [b]) => a.localeCompare(b))) {
    println(`${c.cyan('->')} ${c.bold(host)}`);
    if (what === 'active' || what === 'reserved' || what === 'scheduled') {
      const tasks = reply as TaskInfo[];
      if (tasks.length === 0) println('   (none)');
      else {
        const rows = tasks.map((t) => [t.id, t.name, t.queue, t.args, t.startedAt === null ? '-' : duration(Date.now() - t.startedAt)]);
        println(table(['ID', 'TASK', 'QUEUE', 'ARGS', 'RUNNING'], rows).replace(/^/gm, '   '));
      }
    } else if (what === 'stats') {
      const s = reply as WorkerStats;
      println(`   pid ${s.pid}  pool ${s.pool.kind}/${s.pool.size}  prefetch ${s.prefetch}  active ${s.active}  processed ${s.processed}  succeeded ${s.succeeded}  failed ${s.failed}  uptime ${s.uptime}s  rss ${Math.round(s.rss / 1048576)}MB`);
    } else if (Array.isArray(reply)) {
      if (reply.length === 0) println('   (none)');
      for (const item of reply) println(`   ${typeof item === 'string' ? item : ((item as { name?: string }).name ?? JSON.stringify(item))}`);
    } else {
      for (const [k, v] of Object.entries(reply as Record<string, unknown>)) println(`   ${k}: ${JSON.stringify(v)}`);
    }
  }
}

export function registerInspect(program: Command): void {
  withConnection(
    program
      .command('inspect')
      .description('ask workers what they are doing')
      .addArgument(new Argument('<method>', 'what to inspect').choices([...byKebab.keys()]))
      .addOption(destinationOption())
      .addOption(timeoutOption()),
  ).action(
    action(async (app, opts: InspectOptions, method: string) => {
      const what = byKebab.get(method)!;
      const inspector = app.control.inspect({ destination: opts.destination, timeout: opts.timeout });
      const replies = (await inspector[what]()) as Replies<unknown>;
      const none = Object.keys(replies).length === 0;
      if (opts.json) printJson(replies);
      else if (none) console.error(c.red('no workers replied'));
      else human(what, replies);
      return none ? EXIT.failure : EXIT.ok;
    }),
  );
}
