#!/usr/bin/env node
// Runs a bench on the built engine and gateway (their dist/, what users
// install), not on the TypeScript source: tsx's transform names every function
// it creates at run time and keeps source maps, which the built code does not
// pay, and the peers (BullMQ, Celery) run as installed too.
//
//   node run-built.mjs src/celery.ts --tasks 5000
//   node run-built.mjs src/gateway-ingest.ts --then src/gateway-query.ts   one after the other, built once
//
// Builds both packages first. A dist/ this script made is removed afterwards:
// the `lovage` and `lovage-gateway` commands run dist/ when it exists, so one
// left behind would go stale as the source changes.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const packages = ['apps/engine', 'apps/gateway'];
const distOf = (pkg) => join(root, pkg, 'dist');
const made = packages.filter((pkg) => !existsSync(distOf(pkg)));

/** Runs a command to its end; a Ctrl-C reaches it (same process group) and this script cleans up after. */
function run(command, args, cwd) {
  const { status, signal } = spawnSync(command, args, { cwd, stdio: 'inherit' });
  return signal ? 1 : (status ?? 1);
}

process.on('SIGINT', () => undefined);
let code = 0;
try {
  for (const pkg of packages) {
    // Each package's own build script, the one its release uses.
    code = run('npm', ['run', '--silent', 'build'], join(root, pkg));
    if (code !== 0) throw new Error(`building ${pkg} failed`);
  }
  // Each `--then` starts the next bench, once the one before it succeeded.
  const benches = [[]];
  for (const arg of process.argv.slice(2)) {
    if (arg === '--then') benches.push([]);
    else benches.at(-1).push(arg);
  }
  for (const bench of benches) {
    code = run('npx', ['tsx', ...bench], fileURLToPath(new URL('.', import.meta.url)));
    if (code !== 0) break;
  }
} catch (err) {
  process.stderr.write(`${err.message}\n`);
  code ||= 1;
} finally {
  for (const pkg of made) rmSync(distOf(pkg), { recursive: true, force: true });
}
process.exit(code);
