// Finds the TypeScript samples of the guides: every ```ts block of docs/*.md and
// the README. A block preceded by `<!-- sample: PATH -->` is an excerpt of that
// file of the repository (the demo's source), and must stay one.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

export interface Sample {
  /** The document, relative to the repository root. */
  doc: string;
  /** 1-based line of the block's first code line in the document. */
  line: number;
  code: string;
  /** The repository file this block is an excerpt of, if marked. */
  excerptOf: string | undefined;
}

export function guideFiles(): string[] {
  const docs = readdirSync(path.join(repoRoot, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs.sort()];
}

export function samplesOf(doc: string): Sample[] {
  const lines = readFileSync(path.join(repoRoot, doc), 'utf8').split('\n');
  const samples: Sample[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue;
    const marker = /^<!-- sample: (\S+) -->$/.exec(lines[i - 1] ?? '') ?? /^<!-- sample: (\S+) -->$/.exec(lines[i - 2] ?? '');
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end] !== '```') end++;
    samples.push({ doc, line: start + 1, code: lines.slice(start, end).join('\n'), excerptOf: marker?.[1] });
    i = end;
  }
  return samples;
}

/**
 * The lines of `excerpt` that are missing from `source`, where the excerpt's
 * lines must appear in order (blank lines and `// …` elisions are skipped).
 */
export function missingLines(excerpt: string, source: string): string[] {
  const sourceLines = source.split('\n').map((l) => l.trim());
  let at = 0;
  const missing: string[] = [];
  for (const raw of excerpt.split('\n')) {
    const line = raw.trim();
    if (line === '' || line === '// …') continue;
    const found = sourceLines.indexOf(line, at);
    if (found === -1) missing.push(line);
    else at = found + 1;
  }
  return missing;
}
