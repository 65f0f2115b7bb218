/**
 * @module edge/geo/types
 * What the geo leaf knows about a viewer address: the fields behind CloudFront's
 * `CloudFront-Viewer-*` location headers (spec 3.3).
 */

export interface GeoLocation {
  /** ISO 3166-1 alpha-2. */
  countryCode: string;
  countryName?: string;
  /** ISO 3166-2 first-level subdivision code without the country prefix (≤ 3 chars). */
  regionCode?: string;
  regionName?: string;
  city?: string;
  latitude?: number;
  longitude?: number;
  /** IANA zone, e.g. `America/Los_Angeles`. */
  timeZone?: string;
  postalCode?: string;
  /** US DMA code (CloudFront sends it for the US only). */
  metroCode?: string;
  /** Autonomous system number, digits only. */
  asn?: string;
}

export interface GeoLookup {
  /** Location for an address, or undefined (unknown, loopback, private, or not an IP). */
  lookup(ip: string): GeoLocation | undefined;
}
