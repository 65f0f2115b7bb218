/**
 * @module edge/cache/cache-control
 * Parsers for the response fields that steer the edge cache: `Cache-Control` (RFC 9111 5.2),
 * `CDN-Cache-Control` (RFC 9213, a Structured Fields dictionary), `Surrogate-Control` (W3C Edge
 * Architecture Specification 1.0) and the tag fields `Surrogate-Key` / `Cache-Tag`. Every parser
 * is a hand-written scanner: no regex is compiled per call and malformed input never throws.
 */

/** Lower-case directive name to its value (`true` for a directive without an argument). */
export type Directives = Map<string, string | true>;

/** RFC 9111 1.2.2: a delta-seconds value too large to represent is taken as 2^31. */
export const DELTA_SECONDS_MAX = 2147483648;

const EMPTY: Directives = new Map();

/**
 * Parse `Cache-Control` (all lines joined with `,`). Names are case-insensitive; values may be
 * tokens or quoted strings (RFC 9111 5.2: recipients accept both forms, so `max-age="5"` is 5).
 * A directive repeated with a different value keeps its presence but gets the value `''`, which
 * `deltaSeconds` reads as invalid, hence stale: RFC 9111 4.2.1 allows treating conflicting
 * freshness information as stale, the conservative choice for a shared cache.
 *
 * @example parseCacheControl('public, max-age=60').get('max-age') // '60'
 */
export function parseCacheControl(value: string | undefined): Directives {
  if (value === undefined || value === '') return EMPTY;
  const out: Directives = new Map();
  const n = value.length;
  let i = 0;
  while (i < n) {
    while (i < n && isSepOrSpace(value.charCodeAt(i))) i++;
    if (i >= n) break;
    let j = i;
    while (j < n && value[j] !== '=' && value[j] !== ',') j++;
    const name = value.slice(i, j).trim().toLowerCase();
    let v: string | true = true;
    i = j;
    if (value[i] === '=') {
      i++;
      while (i < n && (value[i] === ' ' || value[i] === '\t')) i++;
      if (value[i] === '"') {
        const q = readQuoted(value, i);
        v = q.text;
        i = q.end;
        while (i < n && value[i] !== ',') i++;
      } else {
        j = i;
        while (j < n && value[j] !== ',') j++;
        v = value.slice(i, j).trim();
        i = j;
      }
    }
    if (name === '') continue;
    const prev = out.get(name);
    out.set(name, prev === undefined || prev === v ? v : '');
  }
  return out;
}

function isSepOrSpace(c: number): boolean {
  return c === 44 /* , */ || c === 32 || c === 9;
}

/** A quoted-string starting at `start` (the opening quote); backslash escapes one character. */
function readQuoted(s: string, start: number): { text: string; end: number } {
  let text = '';
  let i = start + 1;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      text += s[i + 1];
      i += 2;
    } else if (c === '"') {
      return { text, end: i + 1 };
    } else {
      text += c;
      i++;
    }
  }
  return { text, end: i };
}

/**
 * A delta-seconds directive: undefined when absent; 0 when present but invalid (not a
 * non-negative integer, or conflicting duplicates), since RFC 9111 4.2.1 encourages treating
 * invalid freshness information as stale; capped at 2^31 (RFC 9111 1.2.2).
 */
export function deltaSeconds(d: Directives, name: string): number | undefined {
  const v = d.get(name);
  if (v === undefined) return undefined;
  if (v === true || v === '') return 0;
  for (let k = 0; k < v.length; k++) {
    const c = v.charCodeAt(k);
    if (c < 48 || c > 57) return 0;
  }
  const num = Number(v);
  return num > DELTA_SECONDS_MAX ? DELTA_SECONDS_MAX : num;
}

/** Directives that take delta-seconds; in a targeted field anything else for them is ignored. */
const DELTA_DIRECTIVES = new Set(['max-age', 's-maxage', 'stale-while-revalidate', 'stale-if-error']);

/**
 * Parse a targeted field such as `CDN-Cache-Control` as an RFC 8941 Dictionary (RFC 9213 2.1).
 * Returns undefined when the field is absent, empty or fails to parse: RFC 9213 2.1 says such a
 * field MUST be ignored, and the cache falls back to `Cache-Control`. Values that violate a
 * directive's inferred type (a decimal or negative `max-age`) are not consumed (RFC 9213 2.1).
 * Boolean `?0` means the directive is absent; parameters are ignored.
 */
export function parseTargetedField(value: string | undefined): Directives | undefined {
  if (value === undefined) return undefined;
  const p = new SfParser(value);
  const dict = p.dictionary();
  if (dict === undefined || dict.size === 0) return undefined;
  const out: Directives = new Map();
  for (const [name, item] of dict) {
    if (item === false) continue;
    if (DELTA_DIRECTIVES.has(name)) {
      if (typeof item === 'number' && Number.isInteger(item) && item >= 0) out.set(name, String(item));
      continue;
    }
    out.set(name, item === true ? true : typeof item === 'object' ? String(item.dec) : String(item));
  }
  return out;
}

/** Integers are numbers; decimals are boxed so `max-age=1.0` can be told apart and refused. */
type SfItem = number | string | boolean | { dec: number };

/** The subset of RFC 8941 needed for dictionaries of bare items (section 4.2.2). */
class SfParser {
  #s: string;
  #i = 0;
  constructor(s: string) {
    this.#s = s;
  }
  dictionary(): Map<string, SfItem> | undefined {
    const s = this.#s;
    const out = new Map<string, SfItem>();
    this.#skip(' ');
    while (this.#i < s.length) {
      const key = this.#key();
      if (key === undefined) return undefined;
      let item: SfItem | undefined = true;
      if (s[this.#i] === '=') {
        this.#i++;
        item = this.#bareItem();
        if (item === undefined) return undefined;
      }
      if (!this.#params()) return undefined;
      out.set(key, item);
      this.#skipOws();
      if (this.#i >= s.length) return out;
      if (s[this.#i] !== ',') return undefined;
      this.#i++;
      this.#skipOws();
      if (this.#i >= s.length) return undefined; // trailing comma
    }
    return out;
  }
  #skip(ch: string): void {
    while (this.#s[this.#i] === ch) this.#i++;
  }
  #skipOws(): void {
    while (this.#s[this.#i] === ' ' || this.#s[this.#i] === '\t') this.#i++;
  }
  #key(): string | undefined {
    const s = this.#s;
    const start = this.#i;
    const c0 = s.charCodeAt(start);
    if (!((c0 >= 97 && c0 <= 122) || c0 === 42)) return undefined;
    let i = start + 1;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      const ok = (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 46 || c === 42;
      if (!ok) break;
    }
    this.#i = i;
    return s.slice(start, i);
  }
  #params(): boolean {
    while (this.#s[this.#i] === ';') {
      this.#i++;
      this.#skip(' ');
      if (this.#key() === undefined) return false;
      if (this.#s[this.#i] === '=') {
        this.#i++;
        if (this.#bareItem() === undefined) return false;
      }
    }
    return true;
  }
  #bareItem(): SfItem | undefined {
    const s = this.#s;
    const c = s[this.#i];
    if (c === undefined) return undefined;
    if (c === '-' || (c >= '0' && c <= '9')) return this.#number();
    if (c === '"') return this.#string();
    if (c === '?') {
      const b = s[this.#i + 1];
      this.#i += 2;
      return b === '1' ? true : b === '0' ? false : undefined;
    }
    if (c === '*' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return this.#token();
    return undefined; // byte sequences and inner lists carry no cache directive we honour
  }
  #number(): number | { dec: number } | undefined {
    const s = this.#s;
    let i = this.#i;
    if (s[i] === '-') i++;
    const start = i;
    let dot = -1;
    for (; i < s.length; i++) {
      const ch = s[i]!;
      if (ch === '.' && dot < 0) dot = i;
      else if (ch < '0' || ch > '9') break;
    }
    const intDigits = (dot < 0 ? i : dot) - start;
    if (intDigits === 0 || (dot < 0 ? intDigits > 15 : intDigits > 12 || i - dot - 1 < 1 || i - dot - 1 > 3)) {
      return undefined;
    }
    const text = s.slice(this.#i, i);
    this.#i = i;
    return dot < 0 ? parseInt(text, 10) : { dec: parseFloat(text) };
  }
  #string(): string | undefined {
    const s = this.#s;
    let out = '';
    let i = this.#i + 1;
    for (; i < s.length; i++) {
      const ch = s[i]!;
      if (ch === '\\') {
        const nx = s[i + 1];
        if (nx !== '"' && nx !== '\\') return undefined;
        out += nx;
        i++;
      } else if (ch === '"') {
        this.#i = i + 1;
        return out;
      } else {
        const code = ch.charCodeAt(0);
        if (code < 0x20 || code > 0x7e) return undefined;
        out += ch;
      }
    }
    return undefined;
  }
  #token(): string {
    const s = this.#s;
    const start = this.#i;
    let i = start + 1;
    for (; i < s.length; i++) {
      const ch = s[i]!;
      if (ch === ',' || ch === ';' || ch === ' ' || ch === '\t' || ch === '=' || ch === '"' || ch === '(' || ch === ')')
        break;
    }
    this.#i = i;
    return s.slice(start, i);
  }
}

/**
 * Verge's device token in the Edge Architecture Specification 1.0: the edge announces
 * `Surrogate-Capability: verge="Surrogate/1.0"` to origins, and `Surrogate-Control` directives
 * targeted at `;verge` apply to it (and win over untargeted ones, as the spec's section 2.2 says).
 */
export const SURROGATE_DEVICE_TOKEN = 'verge';

/** The `Surrogate-Capability` value the edge appends to origin requests. */
export const SURROGATE_CAPABILITY = `${SURROGATE_DEVICE_TOKEN}="Surrogate/1.0"`;

/**
 * Parse `Surrogate-Control` (Edge Architecture Specification 1.0): `max-age=N[+M]`, `no-store`,
 * `no-store-remote` (a CDN is a remote surrogate, so it counts as `no-store`). Directives
 * targeted at another device (`max-age=60;edge1`) are skipped; those targeted at ours
 * (`;verge`) replace the untargeted ones. The `+M` extension is ignored. Returns undefined when
 * nothing applicable is present.
 */
export function parseSurrogateControl(value: string | undefined): Directives | undefined {
  if (value === undefined || value === '') return undefined;
  const general: Directives = new Map();
  const mine: Directives = new Map();
  for (const raw of value.split(',')) {
    const semi = raw.indexOf(';');
    const target = semi < 0 ? undefined : raw.slice(semi + 1).trim();
    if (target !== undefined && target.toLowerCase() !== SURROGATE_DEVICE_TOKEN) continue;
    const out = target === undefined ? general : mine;
    for (const [name, v] of parseCacheControl(semi < 0 ? raw : raw.slice(0, semi))) {
      if (name === 'no-store' || name === 'no-store-remote') out.set('no-store', true);
      else if (name === 'max-age' && typeof v === 'string') {
        const plus = v.indexOf('+');
        out.set('max-age', plus < 0 ? v : v.slice(0, plus));
      }
    }
  }
  const out = mine.size > 0 ? mine : general;
  return out.size === 0 ? undefined : out;
}

/** At most this many tags per response; a runaway header cannot blow up the index. */
export const MAX_TAGS = 1000;

/**
 * Tags from `Surrogate-Key` (space separated, Fastly's convention) and `Cache-Tag` (comma
 * separated, Cloudflare's), de-duplicated, case-sensitive, in first-seen order.
 */
export function parseTags(surrogateKey: string | undefined, cacheTag: string | undefined): string[] {
  if (surrogateKey === undefined && cacheTag === undefined) return [];
  const seen = new Set<string>();
  const add = (raw: string, sep: string): void => {
    for (const part of raw.split(sep)) {
      const t = part.trim();
      if (t !== '' && seen.size < MAX_TAGS) seen.add(t);
    }
  };
  if (surrogateKey !== undefined) add(surrogateKey.replace(/\t/g, ' '), ' ');
  if (cacheTag !== undefined) add(cacheTag, ',');
  return [...seen];
}
