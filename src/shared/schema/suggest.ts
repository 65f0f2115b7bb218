/**
 * @module shared/schema/suggest
 * "Did you mean": the known name closest to a misspelt one (a field, an enum value, a country
 * code, a managed policy), for the problems `check.ts` and the config rules report.
 */

/** Levenshtein distance, bounded work for the short names it is used on. */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The known name closest to `name`, if it is close enough to be a likely typo. */
export function suggest(name: string, known: readonly string[]): string | undefined {
  if (name.length > 256) return undefined;
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = k.toLowerCase() === lower ? 0 : distance(lower, k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  const allowed = Math.max(1, Math.min(3, Math.floor(name.length / 3)));
  return bestD <= allowed ? best : undefined;
}

/** ` (did you mean "x"?)`, or nothing when no known name is close. */
export function didYouMean(name: string, known: readonly string[]): string {
  const s = suggest(name, known);
  return s === undefined ? '' : ` (did you mean "${s}"?)`;
}
