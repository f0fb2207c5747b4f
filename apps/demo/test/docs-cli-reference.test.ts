// docs/cli.md is generated from `lovage --help`; this fails when the CLI's help
// changed and the page was not regenerated (node docs/scripts/cli-reference.mjs).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './docs-samples.js';

const run = promisify(execFile);

describe('docs/cli.md', () => {
  it('matches the help of every lovage command', { timeout: 120_000 }, async () => {
    const script = path.join(repoRoot, 'docs/scripts/cli-reference.mjs');
    const outcome = await run(process.execPath, [script, '--check'], { cwd: repoRoot }).then(
      ({ stdout }) => stdout.trim(),
      (error: Error & { stderr?: string }) => error.stderr?.trim() || error.message,
    );
    expect(outcome).toBe('docs/cli.md matches `lovage --help`');
  });
});
