/**
 * @module cli/output
 * How commands print: `--output table` (the default: aligned columns for people) or
 * `--output json` (the API's objects, for scripts and `jq`). Also small helpers for times,
 * sizes and unicode sparklines.
 */
import { UsageError } from './args.js';

export type OutputFormat = 'table' | 'json';

export function outputFormat(v: string | undefined): OutputFormat {
  if (v === undefined || v === 'table') return 'table';
  if (v === 'json') return 'json';
  throw new UsageError(`--output must be json or table, got "${v}"`);
}

export type Cell = string | number | boolean | null | undefined;

function cellText(c: Cell): string {
  if (c === null || c === undefined || c === '') return '-';
  return String(c);
}

/** Display width, counting each code point as one column (good enough for our glyphs). */
function width(s: string): number {
  return [...s].length;
}

/** Columns padded to the widest cell; the last column is not padded. */
export function table(headers: string[], rows: Cell[][]): string {
  const text = [headers, ...rows.map((r) => r.map(cellText))];
  const widths = headers.map((_, i) => Math.max(...text.map((r) => width(r[i] ?? ''))));
  return text
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - width(c))))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `key: value` lines for one object. */
export function fields(pairs: [string, Cell][]): string {
  const w = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k}:${' '.repeat(w - k.length + 1)}${cellText(v)}`).join('\n');
}

export function json(v: unknown): string {
  return JSON.stringify(v, null, 2);
}

/** Print `value` as JSON, or the table text `render` makes of it. */
export function emit(
  format: OutputFormat,
  value: unknown,
  render: () => string,
  write: (s: string) => void = (s) => process.stdout.write(s + '\n'),
): void {
  write(format === 'json' ? json(value) : render());
}

const BARS = '▁▂▃▄▅▆▇█';

/** A one-line chart of `values` (null = no data, shown as a space). */
export function sparkline(values: (number | null | undefined)[]): string {
  const nums = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (nums.length === 0) return '';
  const min = Math.min(...nums);
  const span = Math.max(...nums) - min;
  return values
    .map((v) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) return ' ';
      return BARS[span === 0 ? 0 : Math.round(((v - min) / span) * (BARS.length - 1))];
    })
    .join('');
}

export function bytes(n: number | undefined): string {
  if (n === undefined) return '-';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** ISO time without milliseconds, from an ISO string or epoch ms. */
export function time(t: string | number | null | undefined): string {
  if (t === null || t === undefined || t === '') return '-';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `12s ago`, `3m ago`; `-` for none. */
export function ago(t: string | number | null | undefined, now = Date.now()): string {
  if (t === null || t === undefined || t === '') return '-';
  const ms = now - new Date(t).getTime();
  if (!Number.isFinite(ms)) return String(t);
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}
