// Every TypeScript sample of the guides compiles against the workspace's own
// packages, and every excerpt of the demo still matches the demo's source.
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { blocksOf, guideFiles, missingLines, repoRoot, samplesOf, type Sample } from './docs-samples.js';

const run = promisify(execFile);
const demoDir = fileURLToPath(new URL('..', import.meta.url));
// Inside the demo workspace, so the samples resolve @lovage/* and Prisma as the demo does
// (test-results/ is ignored by git and ESLint).
const outDir = path.join(demoDir, 'test-results/docs-samples');
const samples: Sample[] = guideFiles().flatMap(samplesOf);
const compiled = samples.filter((s) => !s.excerptOf);
const fileName = (s: Sample): string => `${s.doc.replace(/[/.]/g, '_')}_L${s.line}.ts`;

describe('docs samples', { timeout: 120_000 }, () => {
  it('finds the samples of every guide', () => {
    const docs = new Set(samples.map((s) => s.doc));
    for (const doc of [
      'README.md',
      'docs/engine.md',
      'docs/beat.md',
      'docs/getting-started.md',
      'docs/coming-from-bullmq.md',
    ]) {
      expect(docs, doc).toContain(doc);
    }
  });

  it('type-checks every ```ts block of README.md and docs/*.md', async () => {
    await rm(outDir, { recursive: true, force: true });
    await mkdir(outDir, { recursive: true });
    // Each block is a module of its own; docs-prelude.d.ts declares the names
    // that fragments use without defining (the app, a task, a Prisma client).
    // Excerpts of the demo are checked as part of the demo itself (and quoted verbatim, below).
    for (const sample of compiled) {
      await writeFile(path.join(outDir, fileName(sample)), `${sample.code}\nexport {};\n`);
    }
    // Samples import "their" generated Prisma client from ./generated/prisma: the demo's.
    await mkdir(path.join(outDir, 'generated/prisma'), { recursive: true });
    await writeFile(
      path.join(outDir, 'generated/prisma/client.ts'),
      "export * from '../../../../src/generated/prisma/client.js';\n",
    );
    await writeFile(
      path.join(outDir, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../../../tsconfig.base.json',
        compilerOptions: {
          noEmit: true,
          noUnusedLocals: false,
          declaration: false,
          declarationMap: false,
          sourceMap: false,
        },
        files: ['../../test/docs-prelude.d.ts', ...compiled.map(fileName)],
      }),
    );
    const tsc = path.join(repoRoot, 'node_modules/typescript/bin/tsc');
    const result = await run(
      process.execPath,
      [tsc, '-p', path.join(outDir, 'tsconfig.json'), '--pretty', 'false'],
      { cwd: demoDir },
    ).then(
      () => '',
      (error: Error & { stdout?: string }) => error.stdout || error.message,
    );
    // Name the document and its line, not the temporary file.
    const located = result.replace(
      /^(?:test-results\/docs-samples\/)?(\S+?)_L(\d+)\.ts\((\d+),(\d+)\)/gm,
      (_m, doc: string, line: string, row: string) => {
        const sample = compiled.find((s) => fileName(s) === `${doc}_L${line}.ts`);
        return `${sample?.doc ?? doc}:${Number(line) + Number(row) - 1}`;
      },
    );
    expect(located).toBe('');
  });

  it('keeps each `<!-- sample: PATH -->` excerpt identical to the file it quotes', async () => {
    // TypeScript quoted from the demo, and the outbox's Prisma model quoted from the engine.
    const excerpts = guideFiles()
      .flatMap(blocksOf)
      .filter((b) => b.excerptOf);
    expect(excerpts.length).toBeGreaterThanOrEqual(5);
    expect(excerpts.some((b) => b.lang === 'prisma')).toBe(true);
    for (const sample of excerpts) {
      const source = await readFile(path.join(repoRoot, sample.excerptOf!), 'utf8');
      expect(
        missingLines(sample.code, source),
        `${sample.doc}:${sample.line} quotes ${sample.excerptOf}`,
      ).toEqual([]);
    }
  });
});

describe('missingLines', () => {
  it('reports a line the source lacks, and one that is out of order', () => {
    const source = 'const a = 1;\nconst b = 2;\n';
    expect(missingLines('const a = 1;\n// …\nconst b = 2;', source)).toEqual([]);
    expect(missingLines('const b = 2;\nconst a = 1;', source)).toEqual(['const a = 1;']);
    expect(missingLines('const c = 3;', source)).toEqual(['const c = 3;']);
  });
});
