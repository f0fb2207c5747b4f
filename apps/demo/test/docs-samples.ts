// Finds the fenced blocks of the guides (docs/*.md and the README). A block
// preceded by `<!-- sample: PATH -->` is an excerpt of that file of the
// repository and must stay one; `<!-- output: NAME -->` marks program output,
// `<!-- illustration -->` a diagram. docs-blocks.test.ts checks every block.
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

/** Any fenced block of a guide, whatever its language. */
export interface Block extends Sample {
  /** The fence's info string (`ts`, `sh`, `text`, …); '' when untagged. */
  lang: string;
  /** `<!-- output: NAME -->`: what program output the block shows. */
  outputOf: string | undefined;
  /** `<!-- illustration -->`: a diagram or another project's code, not ours to run. */
  illustration: boolean;
}

export function guideFiles(): string[] {
  const docs = readdirSync(path.join(repoRoot, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs.sort()];
}

export function blocksOf(doc: string): Block[] {
  const lines = readFileSync(path.join(repoRoot, doc), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!fence) continue;
    // A marker sits on the line before the fence, or the one before a blank line.
    const before = [lines[i - 1] ?? '', lines[i - 2] ?? ''];
    const marker = (pattern: RegExp): string | undefined =>
      before.map((l) => pattern.exec(l)?.[1]).find((m) => m !== undefined);
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end] !== '```') end++;
    blocks.push({
      doc,
      line: start + 1,
      lang: fence[1]!,
      code: lines.slice(start, end).join('\n'),
      excerptOf: marker(/^<!-- sample: (\S+) -->$/),
      outputOf: marker(/^<!-- output: (\S+) -->$/),
      illustration: marker(/^<!-- (illustration) -->$/) !== undefined,
    });
    i = end;
  }
  return blocks;
}

/** The TypeScript blocks: compiled, or compared with the file they quote. */
export function samplesOf(doc: string): Sample[] {
  return blocksOf(doc)
    .filter((block) => block.lang === 'ts' || block.lang === 'typescript')
    .map(({ doc: d, line, code, excerptOf }) => ({ doc: d, line, code, excerptOf }));
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
