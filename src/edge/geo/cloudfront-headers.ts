/**
 * @module edge/geo/cloudfront-headers
 * The `CloudFront-*` request headers a cache policy or origin request policy can ask for
 * (spec 3.3, DG "Adding CloudFront request headers"), with CloudFront's exact names and value
 * formats. The caller says which ones it wants; only those are computed, and the geo lookup and
 * the User-Agent parse happen only when a wanted header needs them.
 */
import type { CfHeaders } from '../../shared/lambda-edge/index.js';
import { detectDevice } from './device.js';
import type { DeviceFlags } from './device.js';
import { displayIp } from './ip.js';
import type { GeoLocation } from './types.js';

/** Every header CloudFront can add, in the order we emit them (spelling as CloudFront sends it). */
export const CLOUDFRONT_HEADER_NAMES = [
  'CloudFront-Forwarded-Proto',
  'CloudFront-Is-Android-Viewer',
  'CloudFront-Is-Desktop-Viewer',
  'CloudFront-Is-IOS-Viewer',
  'CloudFront-Is-Mobile-Viewer',
  'CloudFront-Is-SmartTV-Viewer',
  'CloudFront-Is-Tablet-Viewer',
  'CloudFront-Viewer-Address',
  'CloudFront-Viewer-ASN',
  'CloudFront-Viewer-City',
  'CloudFront-Viewer-Country',
  'CloudFront-Viewer-Country-Name',
  'CloudFront-Viewer-Country-Region',
  'CloudFront-Viewer-Country-Region-Name',
  'CloudFront-Viewer-Header-Count',
  'CloudFront-Viewer-Header-Order',
  'CloudFront-Viewer-Http-Version',
  'CloudFront-Viewer-JA3-Fingerprint',
  'CloudFront-Viewer-JA4-Fingerprint',
  'CloudFront-Viewer-Latitude',
  'CloudFront-Viewer-Longitude',
  'CloudFront-Viewer-Metro-Code',
  'CloudFront-Viewer-Postal-Code',
  'CloudFront-Viewer-Time-Zone',
  'CloudFront-Viewer-TLS',
] as const;

export type CloudFrontHeaderName = (typeof CLOUDFRONT_HEADER_NAMES)[number];

/** Lower-case names, for membership tests against policy lists. */
export const CLOUDFRONT_HEADER_SET: ReadonlySet<string> = new Set(CLOUDFRONT_HEADER_NAMES.map((n) => n.toLowerCase()));

/** `CloudFront-Viewer-Header-Order` is cut at this many characters (spec 3.3). */
export const HEADER_ORDER_LIMIT = 7_680;

export interface CloudFrontHeaderInput {
  clientIp: string;
  clientPort: number;
  userAgent: string | undefined;
  protocol: 'http' | 'https';
  /** Node's `req.httpVersion` (`1.0`, `1.1`, `2.0`). */
  httpVersion: string;
  tls?: { version: string; cipher: string; handshake: 'fullHandshake' | 'sessionResumed' | 'connectionReused' };
  /** The viewer's header names as sent, in order. */
  viewerHeaderNames: readonly string[];
  /** A location, or a function computing it (called at most once, only if a geo header is wanted). */
  geo: GeoLocation | undefined | (() => GeoLocation | undefined);
  /** JA3 / JA4 fingerprints, when the TLS layer computed them (HTTPS only). */
  ja3?: string;
  ja4?: string;
}

/**
 * CloudFront percent-encodes non-ASCII characters of geo values (DG: RFC 3986 2.1); control
 * characters are encoded too, since they cannot appear in a header value.
 */
export function encodeGeoValue(v: string): string {
  return v.replace(/[^\x20-\x7e]+/gu, (m) => {
    try {
      return encodeURIComponent(m);
    } catch {
      return ''; // a lone surrogate cannot be encoded; drop it
    }
  });
}

/** Latitude/longitude as CloudFront prints them: five decimals (`42.30680`, `-83.70590`). */
const coord = (n: number | undefined): string | undefined => (n === undefined ? undefined : n.toFixed(5));
const bool = (b: boolean): string => (b ? 'true' : 'false');

/** Node says `2.0`; HTTP/1.x stays as is. */
function httpVersionValue(v: string): string {
  return v === '2' ? '2.0' : v === '3' ? '3.0' : v;
}

type Getter = (ctx: Ctx) => string | undefined;

class Ctx {
  #device: DeviceFlags | undefined;
  #geo: GeoLocation | undefined;
  #geoDone = false;
  constructor(readonly input: CloudFrontHeaderInput) {}
  get device(): DeviceFlags {
    return (this.#device ??= detectDevice(this.input.userAgent));
  }
  get geo(): GeoLocation | undefined {
    if (!this.#geoDone) {
      const g = this.input.geo;
      this.#geo = typeof g === 'function' ? g() : g;
      this.#geoDone = true;
    }
    return this.#geo;
  }
}

function geoText(pick: (g: GeoLocation) => string | undefined): Getter {
  return (c) => {
    const g = c.geo;
    const v = g ? pick(g) : undefined;
    return v === undefined || v === '' ? undefined : encodeGeoValue(v);
  };
}

function headerOrder(names: readonly string[]): string {
  const s = names.join(':');
  // (inf) CloudFront documents truncation at 7,680 characters without saying whether a partial
  // name is kept; we cut at the limit exactly.
  return s.length > HEADER_ORDER_LIMIT ? s.slice(0, HEADER_ORDER_LIMIT) : s;
}

const GETTERS: Record<CloudFrontHeaderName, Getter> = {
  'CloudFront-Forwarded-Proto': (c) => c.input.protocol,
  'CloudFront-Is-Android-Viewer': (c) => bool(c.device.android),
  'CloudFront-Is-Desktop-Viewer': (c) => bool(c.device.desktop),
  'CloudFront-Is-IOS-Viewer': (c) => bool(c.device.ios),
  'CloudFront-Is-Mobile-Viewer': (c) => bool(c.device.mobile),
  'CloudFront-Is-SmartTV-Viewer': (c) => bool(c.device.smartTv),
  'CloudFront-Is-Tablet-Viewer': (c) => bool(c.device.tablet),
  'CloudFront-Viewer-Address': (c) => `${displayIp(c.input.clientIp)}:${c.input.clientPort}`,
  'CloudFront-Viewer-ASN': (c) => c.geo?.asn,
  'CloudFront-Viewer-City': geoText((g) => g.city),
  'CloudFront-Viewer-Country': (c) => c.geo?.countryCode,
  'CloudFront-Viewer-Country-Name': geoText((g) => g.countryName),
  'CloudFront-Viewer-Country-Region': geoText((g) => g.regionCode),
  'CloudFront-Viewer-Country-Region-Name': geoText((g) => g.regionName),
  'CloudFront-Viewer-Header-Count': (c) => String(c.input.viewerHeaderNames.length),
  'CloudFront-Viewer-Header-Order': (c) => headerOrder(c.input.viewerHeaderNames),
  'CloudFront-Viewer-Http-Version': (c) => httpVersionValue(c.input.httpVersion),
  'CloudFront-Viewer-JA3-Fingerprint': (c) => (c.input.protocol === 'https' ? c.input.ja3 : undefined),
  'CloudFront-Viewer-JA4-Fingerprint': (c) => (c.input.protocol === 'https' ? c.input.ja4 : undefined),
  'CloudFront-Viewer-Latitude': (c) => coord(c.geo?.latitude),
  'CloudFront-Viewer-Longitude': (c) => coord(c.geo?.longitude),
  // Metro (DMA) codes exist for the United States only (spec 3.3).
  'CloudFront-Viewer-Metro-Code': (c) => (c.geo?.countryCode === 'US' ? c.geo.metroCode : undefined),
  'CloudFront-Viewer-Postal-Code': geoText((g) => g.postalCode),
  'CloudFront-Viewer-Time-Zone': (c) => c.geo?.timeZone,
  'CloudFront-Viewer-TLS': (c) => {
    const t = c.input.tls;
    return c.input.protocol === 'https' && t ? `${t.version}:${t.cipher}:${t.handshake}` : undefined;
  },
};

/**
 * The CloudFront headers `wanted` accepts (called with each lower-case name), as a header map.
 * Headers whose value is unknown (no geo for this address, no TLS on HTTP) are left out, as
 * CloudFront leaves them out.
 */
export function cloudFrontHeaders(input: CloudFrontHeaderInput, wanted: (lowerName: string) => boolean): CfHeaders {
  const out: CfHeaders = {};
  const ctx = new Ctx(input);
  for (const name of CLOUDFRONT_HEADER_NAMES) {
    const lower = name.toLowerCase();
    if (!wanted(lower)) continue;
    const value = GETTERS[name](ctx);
    if (value !== undefined) out[lower] = [{ key: name, value }];
  }
  return out;
}
