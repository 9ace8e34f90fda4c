/** "did you mean ...?" for a mistyped name (a flag, a command, a context key, a run option). */

/** Edit distance (insertions, deletions, substitutions; a swap of two neighbours counts once). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The known name closest to `name` (case-insensitive), when it is close enough to be a typo: within a third
 * of the name's length (at least 2 edits), or one is a prefix of the other. Undefined when nothing is close.
 */
export function closestName(name: string, known: Iterable<string>): string | undefined {
  const lower = name.toLowerCase();
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of known) {
    const c = candidate.toLowerCase();
    const distance = c.startsWith(lower) || lower.startsWith(c) ? Math.min(1, Math.abs(c.length - lower.length)) : editDistance(lower, c);
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  if (!best) return undefined;
  return best.distance <= Math.max(2, Math.floor(name.length / 3)) ? best.candidate : undefined;
}

/** `"; did you mean X?"` when a known name is close to `name`, else `""`. */
export function didYouMean(name: string, known: Iterable<string>, format: (s: string) => string = (s) => s): string {
  const match = closestName(name, known);
  return match === undefined ? '' : `; did you mean ${format(match)}?`;
}
