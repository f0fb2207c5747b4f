// docs/cli.md is generated from `lovage --help`; this fails when the CLI's help
// changed and the page was not regenerated (node docs/scripts/cli-reference.mjs).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './docs-samples.js';

const run = promisify(execFile);

describe('docs/cli.md', () => {
  // The script starts `lovage <command> --help` two at a time for each of the 24 pages: a cold
  // Node process that loads the CLI through tsx, about a CPU-second each (three times that on a
  // slow machine, and a shared core).
  it('matches the help of every lovage command', { timeout: 180_000 }, async () => {
    const script = path.join(repoRoot, 'docs/scripts/cli-reference.mjs');
    const outcome = await run(process.execPath, [script, '--check'], { cwd: repoRoot }).then(
      ({ stdout }) => stdout.trim(),
      (error: Error & { stderr?: string }) => error.stderr?.trim() || error.message,
    );
    expect(outcome).toBe('docs/cli.md matches `lovage --help`');
  });
});
