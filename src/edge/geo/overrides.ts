/**
 * @module edge/geo/overrides
 * The `--geo-overrides` file: a JSON object from CIDR (IPv4 or IPv6) to a GeoLocation, checked
 * before the database so that test rigs and private networks can pretend to be anywhere. The most
 * specific prefix wins. Every problem is reported as CONFIG_INVALID naming the offending key.
 */
import { readFileSync } from 'node:fs';
import { VergeError } from '../../shared/errors.js';
import { PrefixTable, parseCidr } from './ip.js';
import type { GeoLocation } from './types.js';

const STRING_FIELDS = [
  'countryCode',
  'countryName',
  'regionCode',
  'regionName',
  'city',
  'timeZone',
  'postalCode',
  'metroCode',
  'asn',
] as const;
const NUMBER_FIELDS = ['latitude', 'longitude'] as const;
const KNOWN = new Set<string>([...STRING_FIELDS, ...NUMBER_FIELDS]);

function invalid(file: string, key: string, problem: string): VergeError {
  return new VergeError('CONFIG_INVALID', `geo overrides ${file}: "${key}": ${problem}`, {
    details: { file, key, problem },
  });
}

/** Validate one entry and return a clean GeoLocation (unknown fields are errors, not ignored). */
function toLocation(file: string, key: string, raw: unknown): GeoLocation {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw invalid(file, key, 'value must be an object');
  const obj = raw as Record<string, unknown>;
  for (const f of Object.keys(obj)) if (!KNOWN.has(f)) throw invalid(file, key, `unknown field "${f}"`);
  const cc = obj.countryCode;
  if (typeof cc !== 'string' || !/^[A-Z]{2}$/.test(cc))
    throw invalid(file, key, 'countryCode must be two upper-case letters (ISO 3166-1 alpha-2)');
  const out: GeoLocation = { countryCode: cc };
  for (const f of STRING_FIELDS) {
    const v = obj[f];
    if (v === undefined || f === 'countryCode') continue;
    // metroCode and asn are numeric in databases; accept numbers and keep them as strings.
    if (typeof v === 'number' && (f === 'metroCode' || f === 'asn') && Number.isInteger(v)) out[f] = String(v);
    else if (typeof v === 'string') out[f] = v;
    else throw invalid(file, key, `${f} must be a string`);
  }
  if (out.regionCode !== undefined && !/^[A-Z0-9]{1,3}$/.test(out.regionCode)) {
    throw invalid(file, key, 'regionCode must be 1-3 upper-case letters or digits (ISO 3166-2 subdivision)');
  }
  for (const f of NUMBER_FIELDS) {
    const v = obj[f];
    if (v === undefined) continue;
    const limit = f === 'latitude' ? 90 : 180;
    if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > limit)
      throw invalid(file, key, `${f} must be a number within ±${limit}`);
    out[f] = v;
  }
  return out;
}

/** Build a prefix table from an already-parsed overrides object. */
export function parseOverrides(json: unknown, file = '<inline>'): PrefixTable<GeoLocation> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new VergeError(
      'CONFIG_INVALID',
      `geo overrides ${file}: the file must hold a JSON object of CIDR → location`,
      { details: { file } },
    );
  }
  const table = new PrefixTable<GeoLocation>();
  for (const [key, raw] of Object.entries(json)) {
    const cidr = parseCidr(key);
    if (!cidr) throw invalid(file, key, 'not an IPv4 or IPv6 CIDR (e.g. "10.0.0.0/8", "::1/128")');
    table.add(cidr, toLocation(file, key, raw));
  }
  return table;
}

/** Read and validate an overrides file. */
export function loadOverrides(path: string): PrefixTable<GeoLocation> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new VergeError('CONFIG_UNREADABLE', `geo overrides ${path}: ${(e as Error).message}`, {
      cause: e,
      details: { file: path },
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new VergeError('CONFIG_UNREADABLE', `geo overrides ${path}: not JSON: ${(e as Error).message}`, {
      cause: e,
      details: { file: path },
    });
  }
  return parseOverrides(json, path);
}
