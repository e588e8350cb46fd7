/**
 * Suggestions for misspelt keys and values: `pre-build` → `pre_build`, `comands` → `commands`.
 */

/** The closest candidate to `word`, or undefined when nothing is close enough to be a likely typo. */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const normal = normalize(word);
  const exact = candidates.find((candidate) => normalize(candidate) === normal);
  if (exact !== undefined) return exact;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(normal, normalize(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(1, Math.min(3, Math.floor(normal.length / 3)));
  return bestDistance <= allowed ? best : undefined;
}

/** ` (did you mean `x`?)` or an empty string. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const match = closestMatch(word, candidates);
  return match === undefined ? '' : ` Did you mean \`${match}\`?`;
}

// Case and `-`/`_` mix-ups are the most common buildspec typos (`pre-build`, `Runtime_Versions`).
function normalize(word: string): string {
  return word.toLowerCase().replace(/_/g, '-');
}

/** Edit distance counting a swap of two neighbours as one edit (`biuld` → `build`), capped for long input. */
function editDistance(a: string, b: string): number {
  if (a.length > 64 || b.length > 64) return Math.abs(a.length - b.length) + 64;
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      let best = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, (beforePrevious[j - 2] ?? 0) + 1);
      current.push(best);
    }
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length] ?? 0;
}
