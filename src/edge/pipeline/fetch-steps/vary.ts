/**
 * @module edge/pipeline/fetch-steps/vary
 * Fetch step `vary`: spec 7.10: Vary keeps only Accept-Encoding, Cookie, the header names
 * forwarded to the origin, and User-Agent when device headers are forwarded; `*` stays (7.4).
 * The origin cannot have varied on a header it never got, so keeping such a name would only
 * split the cache.
 */
import { cloudFrontHeaderForwarded, viewerHeaderForwarded } from '../../origin/index.js';
import type { FetchStepName } from '../fetch-table.js';
import type { FetchTxn } from '../transaction.js';

const DEVICE_HEADERS = [
  'cloudfront-is-desktop-viewer',
  'cloudfront-is-mobile-viewer',
  'cloudfront-is-tablet-viewer',
  'cloudfront-is-smarttv-viewer',
];

export function vary(f: FetchTxn): FetchStepName {
  const r = f.response!;
  const list = r.headers['vary'];
  if (!list) return 'compress';
  const { cachePolicy: cp, originRequestPolicy: orp } = f.behavior;
  const keep = (n: string): boolean =>
    n === '*' ||
    n === 'accept-encoding' ||
    n === 'cookie' ||
    (n.startsWith('cloudfront-') ? cloudFrontHeaderForwarded(n, cp, orp) : viewerHeaderForwarded(n, cp, orp)) ||
    (n === 'user-agent' && DEVICE_HEADERS.some((d) => cloudFrontHeaderForwarded(d, cp, orp)));
  const names = list
    .flatMap((e) => e.value.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '' && keep(v.toLowerCase()));
  if (names.length === 0) delete r.headers['vary'];
  else r.headers['vary'] = [{ key: list[0]!.key ?? 'Vary', value: names.join(', ') }];
  return 'compress';
}
