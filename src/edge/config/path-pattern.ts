/**
 * @module edge/config/path-pattern
 * CloudFront's cache-behavior path matcher (spec 7.1), compiled once per pattern: `*` is zero or
 * more characters and crosses `/`, `?` is exactly one character, nothing else is special,
 * matching is case-sensitive, and a leading `/` is optional on both the pattern and the path.
 * No RegExp: the pattern is split at `*` into fixed-length pieces matched by position, with fast
 * paths for the common shapes (exact, `prefix*`, `*suffix`).
 */

export type PathMatcher = (path: string) => boolean;

/** Does `s` hold `piece` (where `?` matches any one character) at index `at`? */
function pieceAt(s: string, piece: string, at: number, hasQ: boolean): boolean {
  if (at < 0 || at + piece.length > s.length) return false;
  if (!hasQ) return s.startsWith(piece, at);
  for (let i = 0; i < piece.length; i++) {
    const c = piece.charCodeAt(i);
    if (c !== 63 /* ? */ && c !== s.charCodeAt(at + i)) return false;
  }
  return true;
}

/** The first index ≥ from where `piece` occurs in `s`, or -1. */
function findPiece(s: string, piece: string, from: number, hasQ: boolean): number {
  if (!hasQ) return s.indexOf(piece, from);
  for (let at = from; at + piece.length <= s.length; at++) if (pieceAt(s, piece, at, true)) return at;
  return -1;
}

function strip(s: string): string {
  return s.charCodeAt(0) === 47 /* / */ ? s.slice(1) : s;
}

/** Compile a CloudFront path pattern into a matcher over request paths (without query string). */
export function compilePathPattern(pattern: string): PathMatcher {
  const p = strip(pattern);
  const hasQ = p.includes('?');
  const pieces = p.split('*');
  if (pieces.length === 1) {
    if (!hasQ) return (path) => strip(path) === p;
    return (path) => {
      const s = strip(path);
      return s.length === p.length && pieceAt(s, p, 0, true);
    };
  }
  const head = pieces[0]!;
  const tail = pieces[pieces.length - 1]!;
  const middle = pieces.slice(1, -1).filter((x) => x !== '');
  const fixed = head.length + tail.length + middle.reduce((n, x) => n + x.length, 0);
  if (!hasQ && middle.length === 0) {
    if (tail === '') return (path) => strip(path).startsWith(head);
    if (head === '') return (path) => strip(path).endsWith(tail);
  }
  return (path) => {
    const s = strip(path);
    if (s.length < fixed) return false;
    if (!pieceAt(s, head, 0, hasQ) || !pieceAt(s, tail, s.length - tail.length, hasQ)) return false;
    // Leftmost placement of each middle piece is optimal: the stars between them absorb the rest.
    let pos = head.length;
    const end = s.length - tail.length;
    for (const piece of middle) {
      const found = findPiece(s, piece, pos, hasQ);
      if (found < 0 || found + piece.length > end) return false;
      pos = found + piece.length;
    }
    return true;
  };
}
