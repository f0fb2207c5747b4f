// `npm start`: the demo stack in one command.
//   - generates the Prisma client and builds the dashboard when they are missing or stale
//   - runs the demo's all-in-one process (gateway on :5555 with worker, beat and the
//     demo producer; in-process broker and embedded PGlite unless LOVAGE_BROKER_URL /
//     DATABASE_URL are set) and the dashboard on :3000, side by side
//   - Ctrl-C stops both
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dashboard = join(root, 'apps/dashboard');

/** The newest modification time of any file below `dir` (node_modules and build output left out). */
function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', '.next', 'test-results'].includes(entry.name)) continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

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
const buildId = join(dashboard, '.next/BUILD_ID');
if (!existsSync(buildId) || statSync(buildId).mtimeMs < newestMtime(dashboard)) {
  runOrExit('building the dashboard (first start only; about a minute)', 'npm', ['run', 'build', '-w', '@lovage/dashboard']);
}

const children = [
  spawn('npm', ['start', '-w', '@lovage/demo'], { cwd: root, stdio: 'inherit' }),
  spawn('npm', ['start', '-w', '@lovage/dashboard'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] }),
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
