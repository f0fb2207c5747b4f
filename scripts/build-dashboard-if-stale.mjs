// Builds the dashboard only when its production build is missing or older than its sources,
// so repeated starts and e2e runs skip the slow `next build`. Used by `npm start` and e2e.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dashboard = new URL('../apps/dashboard/', import.meta.url).pathname;
const buildId = join(dashboard, '.next', 'BUILD_ID');
const sources = [
  'app',
  'components',
  'lib',
  'public',
  'proxy.ts',
  'next.config.ts',
  'postcss.config.mjs',
  'package.json',
  'tsconfig.json',
];

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

const builtAt = existsSync(buildId) ? statSync(buildId).mtimeMs : 0;
const changedAt = Math.max(...sources.map((source) => newestMtime(join(dashboard, source))));

if (builtAt > changedAt) {
  console.log('lovage: the dashboard build is up to date');
} else {
  console.log(`lovage: ${builtAt ? 'the dashboard sources changed' : 'no dashboard build yet'}: building it (about a minute)`);
  const result = spawnSync('npm', ['run', 'build', '-w', '@lovage/dashboard'], {
    cwd: join(dashboard, '..', '..'),
    stdio: 'inherit',
  });
  process.exit(result.status ?? 1);
}
