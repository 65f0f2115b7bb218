/**
 * @module shared/http-date
 * The HTTP-date parser (RFC 9110 5.6.7): IMF-fixdate and the two obsolete forms a recipient must
 * still accept, RFC 850 and ANSI C asctime(). A hand-written scanner, not `Date.parse`: the JS
 * parser reads almost anything as a date (`UTC` and other zones, missing commas, doubled spaces,
 * dashes, one-digit hours, local time for asctime), and for `Expires` anything that is not an
 * HTTP-date must mean "already expired" (RFC 9111 5.3).
 *
 * One leniency, on purpose: day names, month names and `GMT` are matched without regard to case.
 * The grammar is case-sensitive, but the HTTP caching suite grades accepting `THU`, `AUG` and
 * `gMT` as the optimal behaviour, and a wrong case cannot change which instant is meant.
 */

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const LONG_DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** `n` ASCII digits at `at`, or -1. */
function digits(s: string, at: number, n: number): number {
  if (at + n > s.length) return -1;
  let v = 0;
  for (let k = at; k < at + n; k++) {
    const c = s.charCodeAt(k) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

function monthAt(s: string, at: number): number {
  return MONTHS.indexOf(s.slice(at, at + 3).toLowerCase());
}

/** `HH:MM:SS` at `at` (exactly two digits each), as seconds since midnight, or -1. */
function timeAt(s: string, at: number): number {
  if (s[at + 2] !== ':' || s[at + 5] !== ':') return -1;
  const h = digits(s, at, 2);
  const m = digits(s, at + 3, 2);
  const sec = digits(s, at + 6, 2);
  // RFC 9110 5.6.7 allows a leap second (60); Date.UTC carries it into the next minute.
  if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 60) return -1;
  return h * 3600 + m * 60 + sec;
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Epoch ms for a calendar date that exists (no 31 Feb), or undefined. */
function instant(year: number, month: number, day: number, secs: number): number | undefined {
  const dim = [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month]!;
  if (day < 1 || day > dim) return undefined;
  const midnight = new Date(Date.UTC(2000, month, day));
  midnight.setUTCFullYear(year); // Date.UTC would map years 0-99 to 1900-1999
  return midnight.getTime() + secs * 1000;
}

function gmtAt(s: string, at: number): boolean {
  return at + 3 === s.length && s.slice(at).toLowerCase() === 'gmt';
}

/** `Sun, 06 Nov 1994 08:49:37 GMT` */
function imfFixdate(s: string): number | undefined {
  if (s.length !== 29 || s[3] !== ',' || s[4] !== ' ' || s[7] !== ' ' || s[11] !== ' ' || s[16] !== ' ') return;
  if (s[25] !== ' ' || !DAYS.includes(s.slice(0, 3).toLowerCase())) return;
  const day = digits(s, 5, 2);
  const month = monthAt(s, 8);
  const year = digits(s, 12, 4);
  const time = timeAt(s, 17);
  if (day < 0 || month < 0 || year < 0 || time < 0 || !gmtAt(s, 26)) return;
  return instant(year, month, day, time);
}

/** `Sunday, 06-Nov-94 08:49:37 GMT` */
function rfc850(s: string, now: number): number | undefined {
  const comma = s.indexOf(',');
  if (comma < 0 || !LONG_DAYS.includes(s.slice(0, comma).toLowerCase())) return;
  const r = s.slice(comma + 1);
  if (r.length !== 23 || r[0] !== ' ' || r[3] !== '-' || r[7] !== '-' || r[10] !== ' ' || r[19] !== ' ') return;
  const day = digits(r, 1, 2);
  const month = monthAt(r, 4);
  const yy = digits(r, 8, 2);
  const time = timeAt(r, 11);
  if (day < 0 || month < 0 || yy < 0 || time < 0 || !gmtAt(r, 20)) return;
  // RFC 9110 5.6.7: a two-digit year more than 50 years in the future is the most recent past
  // year with those digits.
  const thisYear = new Date(now).getUTCFullYear();
  let year = Math.floor(thisYear / 100) * 100 + yy;
  if (year > thisYear + 50) year -= 100;
  return instant(year, month, day, time);
}

/** `Sun Nov  6 08:49:37 1994` (day padded with a space, no zone: GMT by definition). */
function asctime(s: string): number | undefined {
  if (s.length !== 24 || s[3] !== ' ' || s[7] !== ' ' || s[10] !== ' ' || s[19] !== ' ') return;
  if (!DAYS.includes(s.slice(0, 3).toLowerCase())) return;
  const month = monthAt(s, 4);
  const day = s[8] === ' ' ? digits(s, 9, 1) : digits(s, 8, 2);
  const time = timeAt(s, 11);
  const year = digits(s, 20, 4);
  if (month < 0 || day < 0 || time < 0 || year < 0) return;
  return instant(year, month, day, time);
}

/**
 * Parse an HTTP-date to epoch milliseconds, or undefined when `value` is not one. Surrounding
 * whitespace (OWS around a field value) is ignored; nothing else is. `now` (epoch ms) resolves
 * the century of an RFC 850 date.
 *
 * @example parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT', now) // 784111777000
 * @example parseHttpDate('Sun, 06 Nov 1994 08:49:37 UTC', now) // undefined
 */
export function parseHttpDate(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const s = value.trim();
  if (s.length === 29 && s[3] === ',') return imfFixdate(s);
  if (s.length === 24 && s[3] === ' ') return asctime(s);
  return rfc850(s, now);
}
