/**
 * @module console/forms
 * Helpers for forms: `KEY=value` lines to an object and back, a zip file to base64, and a
 * client-side problem in the API's own shape (so fields show it the same way).
 */
import { ClientError } from './api.js';

export function parseKeyValues(text: string, path: string): Record<string, string> {
  const out: Record<string, string> = {};
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    if (eq <= 0) throw localProblem(path, `line ${i + 1}: write KEY=value`);
    out[line.slice(0, eq).trim()] = line.slice(eq + 1);
  });
  return out;
}

export function formatKeyValues(o: Record<string, string> | undefined): string {
  return Object.entries(o ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
}

/** A problem found before sending, shaped like the API's VALIDATION_FAILED. */
export function localProblem(path: string, message: string): ClientError {
  return new ClientError(400, 'VALIDATION_FAILED', 'Check the highlighted field.', { fields: [{ path, message }] });
}

export async function fileToBase64(file: File): Promise<string> {
  const buf = new Uint8Array(await file.arrayBuffer());
  let bin = '';
  for (let i = 0; i < buf.length; i += 0x8000) bin += String.fromCharCode(...buf.subarray(i, i + 0x8000));
  return btoa(bin);
}

export function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw localProblem(path, `not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * The deploy gate's refusal (FUNCTION_CODE_INVALID, docs/errors.md) as an editor problem: its
 * `details.line`/`column`, or `file:line:column` at the start of the message when details lack
 * them. Undefined for any other error, or when the error names no line.
 */
export function codeProblem(e: unknown): { line: number; column?: number; message: string; file?: string } | undefined {
  if (!(e instanceof ClientError) || e.code !== 'FUNCTION_CODE_INVALID') return undefined;
  const d = e.details ?? {};
  const num = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);
  let line = num(d.line);
  let column = num(d.column);
  let file = typeof d.file === 'string' ? d.file : undefined;
  if (line === undefined) {
    const m = /([^\s:]+):(\d+):(\d+)/.exec(e.message);
    if (!m) return undefined;
    file = m[1];
    line = Number(m[2]);
    column = Number(m[3]);
  }
  const message = typeof d.error === 'string' ? d.error : e.message;
  return { line, message, ...(column ? { column } : {}), ...(file ? { file } : {}) };
}
