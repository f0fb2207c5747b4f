// Vitest global setup: generates the Prisma client the after-commit tests use
// (prisma-client generator, no native engine needed; see ENVIRONMENT.md).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const schema = fileURLToPath(new URL('./schema.prisma', import.meta.url));
  const out = fileURLToPath(new URL('../generated/prisma/client.ts', import.meta.url));
  if (existsSync(out)) return;
  const cli = createRequire(import.meta.url).resolve('prisma/build/index.js');
  execFileSync(process.execPath, [cli, 'generate', '--schema', schema], {
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? '/bin/true', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    stdio: 'ignore',
  });
}
