/**
 * @module edge/policies/put-header
 * The "origin override" rule every response-headers-policy section shares (spec 7.9, DG
 * "Understanding response headers policies"): a header the response lacks is always added; one it
 * has is replaced only when `override` is true.
 */
import type { CfHeaders } from '../../shared/lambda-edge/index.js';
import { getHeaderJoined, setHeader } from '../../shared/lambda-edge/index.js';

/** Add or replace `name` per the override rule; `key` is the spelling sent to the viewer. Returns true when written. */
export function putHeader(h: CfHeaders, key: string, value: string, override: boolean): boolean {
  const lower = key.toLowerCase();
  if (h[lower]?.length && !override) return false;
  h[lower] = [{ key, value }];
  return true;
}

/** Add a field name to Vary unless it (or `*`) is already listed; several Vary lines become one. */
export function addVary(h: CfHeaders, name: string): void {
  const current = getHeaderJoined(h, 'vary');
  const names = (current ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.includes('*') || names.some((n) => n.toLowerCase() === name.toLowerCase())) return;
  setHeader(h, 'vary', [...names, name].join(', '), 'Vary');
}
