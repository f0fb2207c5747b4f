// Generates the demo's Prisma client (src/generated/prisma) from prisma/schema.prisma
// when it is missing or older than the schema (--force: always). Prisma's
// `generate` needs only WebAssembly; pointing PRISMA_SCHEMA_ENGINE_BINARY at any
// file stops the CLI from downloading the native engine it would not use.
//
// npm runs this before start, typecheck, lint and test, and turbo runs those
// side by side: a lock directory makes one process generate while the others
// wait, so none reads a half-written client.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const schema = fileURLToPath(new URL('../prisma/schema.prisma', import.meta.url));
const client = fileURLToPath(new URL('../src/generated/prisma/client.ts', import.meta.url));
const lock = fileURLToPath(new URL('../src/generated.lock', import.meta.url));
const force = process.argv.includes('--force');

const fresh = () => existsSync(client) && statSync(client).mtimeMs >= statSync(schema).mtimeMs;
if (!force && fresh()) process.exit(0);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function acquire() {
  for (;;) {
    try {
      mkdirSync(lock);
      return;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      // A lock older than a minute belongs to a process that died while generating.
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })?.mtimeMs > 60_000) rmSync(lock, { recursive: true, force: true });
      await sleep(200);
    }
  }
}

await acquire();
try {
  if (force || !fresh()) {
    const cli = createRequire(import.meta.url).resolve('prisma/build/index.js');
    // eslint-disable-next-line no-restricted-properties -- a build script hands its environment to the Prisma CLI
    const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1' };
    env.PRISMA_SCHEMA_ENGINE_BINARY ||= schema;
    const { status, stdout, stderr } = spawnSync(process.execPath, [cli, 'generate', '--schema', schema], { env, encoding: 'utf8' });
    if (status !== 0) {
      process.stderr.write(stdout + stderr);
      console.error('demo: generating the Prisma client failed; see the output above.');
      process.exitCode = status ?? 1;
    }
  }
} finally {
  rmSync(lock, { recursive: true, force: true });
}
