// A small fuzzy matcher for the command palette: a name matches when the query's characters
// appear in it in order; a plain substring, and one at the start or after a separator, ranks higher.

/** How well `name` matches `query` (higher is better), or null when it does not. */
export function fuzzyScore(name: string, query: string): number | null {
  const text = name.toLowerCase();
  const wanted = query.trim().toLowerCase();
  if (wanted === '') return 0;
  const at = text.indexOf(wanted);
  if (at === 0) return 1_000 - text.length;
  if (at > 0) return (/[\s._:/@-]/.test(text[at - 1] ?? '') ? 800 : 600) - at - text.length / 100;
  let score = 300;
  let from = 0;
  for (const char of wanted) {
    if (char === ' ') continue;
    const found = text.indexOf(char, from);
    if (found === -1) return null;
    score -= found - from;
    from = found + 1;
  }
  return score - text.length / 100;
}

/** The items whose name matches, best first, at most `limit`. */
export function fuzzyFilter<T>(items: readonly T[], query: string, nameOf: (item: T) => string, limit: number): T[] {
  const scored: { item: T; score: number }[] = [];
  for (const item of items) {
    const score = fuzzyScore(nameOf(item), query);
    if (score !== null) scored.push({ item, score });
  }
  return scored
    .sort((a, b) => b.score - a.score)
    .slice(0, limit)
    .map((entry) => entry.item);
}
