// `npm start`: the demo stack in one command.
//   - generates the Prisma client and builds the dashboard when they are missing or stale
//   - runs the demo's all-in-one process (gateway on :5555 with worker, beat and the
//     demo producer; in-process broker and embedded PGlite unless LOVAGE_BROKER_URL /
//     DATABASE_URL are set) and the dashboard on :3000, side by side
//   - Ctrl-C stops both
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function runOrExit(label, command, args) {
  console.log(`lovage: ${label}…`);
  const { status } = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (status !== 0) {
    console.error(`lovage: ${label} failed (exit ${status}); see the output above.`);
    process.exit(status ?? 1);
  }
}

if (!existsSync(join(root, 'apps/gateway/src/generated/prisma'))) {
  runOrExit('generating the Prisma client', 'node', ['scripts/db.mjs', 'generate']);
}
runOrExit('checking the dashboard build', 'node', ['scripts/build-dashboard-if-stale.mjs']);

// `npm start -- --rate 20`: the demo takes the flags after `--`.
const demoArgs = process.argv.slice(2);
// A gateway moved with PORT_GATEWAY is where the dashboard's server must look too.
const dashboardEnv = { ...process.env };
if (process.env.PORT_GATEWAY && !process.env.LOVAGE_GATEWAY_URL) {
  dashboardEnv.LOVAGE_GATEWAY_URL = `http://127.0.0.1:${process.env.PORT_GATEWAY}`;
}
const children = [
  spawn('npm', ['start', '-w', '@lovage/demo', ...(demoArgs.length > 0 ? ['--', ...demoArgs] : [])], { cwd: root, stdio: 'inherit' }),
  spawn('npm', ['start', '-w', '@lovage/dashboard'], { cwd: root, env: dashboardEnv, stdio: ['ignore', 'ignore', 'inherit'] }),
];
let stopping = false;
function stop(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 5000).unref();
  Promise.all(children.map((child) => new Promise((done) => (child.exitCode === null ? child.on('exit', done) : done()))))
    .then(() => process.exit(code));
}
for (const child of children) child.on('exit', (code) => stop(code ?? 0));
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
