import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VergeError } from '../../shared/errors.js';
import { countryNameFor, defaultDatabasePaths, openGeo, recordToLocation } from './geo.js';
import type { GeoLookup } from './geo.js';

const dir = mkdtempSync(join(tmpdir(), 'verge-geo-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function writeJson(name: string, value: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
  return p;
}

describe('recordToLocation', () => {
  test('MaxMind GeoIP2 City layout', () => {
    const rec = {
      city: { names: { en: 'Ann Arbor', de: 'Ann Arbor' } },
      country: { iso_code: 'US', names: { en: 'United States' } },
      location: { latitude: 42.3068, longitude: -83.7059, metro_code: 505, time_zone: 'America/Detroit' },
      postal: { code: '48105' },
      subdivisions: [{ iso_code: 'MI', names: { en: 'Michigan' } }],
      traits: { autonomous_system_number: 237 },
    };
    assert.deepEqual(recordToLocation(rec), {
      countryCode: 'US',
      countryName: 'United States',
      regionCode: 'MI',
      regionName: 'Michigan',
      city: 'Ann Arbor',
      latitude: 42.3068,
      longitude: -83.7059,
      timeZone: 'America/Detroit',
      postalCode: '48105',
      metroCode: '505',
      asn: '237',
    });
  });
  test('MaxMind record with only registered_country still yields a country', () => {
    assert.deepEqual(recordToLocation({ registered_country: { iso_code: 'FR' } }), {
      countryCode: 'FR',
      countryName: 'France',
    });
  });
  test('ip-location-db flat layout, with region codes from names', () => {
    const rec = {
      city: 'Bracknell',
      country_code: 'GB',
      latitude: 51.4,
      longitude: -0.76,
      postcode: 'RG12',
      state1: 'England',
      state2: 'Bracknell Forest',
      timezone: 'Europe/London',
    };
    assert.deepEqual(recordToLocation(rec), {
      countryCode: 'GB',
      countryName: 'United Kingdom',
      regionCode: 'ENG',
      regionName: 'England',
      city: 'Bracknell',
      latitude: 51.4,
      longitude: -0.76,
      timeZone: 'Europe/London',
      postalCode: 'RG12',
    });
    assert.deepEqual(recordToLocation({ country_code: 'US', city: '', state1: '', postcode: '' }), {
      countryCode: 'US',
      countryName: 'United States',
    });
  });
  test('records without a country give no location', () => {
    assert.equal(recordToLocation(null), undefined);
    assert.equal(recordToLocation({ city: { names: { en: 'X' } } }), undefined);
    assert.equal(recordToLocation({ country_code: '' }), undefined);
  });
  test('country names from ISO codes', () => {
    assert.equal(countryNameFor('DE'), 'Germany');
    assert.equal(countryNameFor('ZZZ'), undefined);
  });
});

describe('openGeo with the bundled database', () => {
  let geo: GeoLookup;
  before(async () => {
    const overrides = writeJson('ov.json', {
      '10.0.0.0/8': {
        countryCode: 'DE',
        regionCode: 'BE',
        city: 'Berlin',
        latitude: 52.52,
        longitude: 13.4,
        timeZone: 'Europe/Berlin',
        postalCode: '10115',
      },
      '10.1.0.0/16': { countryCode: 'FR', city: 'Paris' },
      '::1/128': { countryCode: 'JP', city: 'Tōkyō' },
      '81.2.69.142/32': { countryCode: 'IE' },
    });
    geo = await openGeo({ overridesPath: overrides });
  });
  test('IPv4 and IPv6 addresses resolve from the database', () => {
    const a = geo.lookup('81.2.69.160');
    assert.equal(a?.countryCode, 'GB');
    assert.equal(a?.countryName, 'United Kingdom');
    assert.equal(typeof a?.latitude, 'number');
    const b = geo.lookup('2a00:1450:4001::1');
    assert.equal(b?.countryCode, 'DE');
    assert.match(b?.timeZone ?? '', /^Europe\//);
  });
  test('IPv4-mapped IPv6 resolves like IPv4', () => {
    assert.deepEqual(geo.lookup('::ffff:81.2.69.160'), geo.lookup('81.2.69.160'));
  });
  test('overrides come first and the most specific prefix wins', () => {
    assert.equal(geo.lookup('10.9.9.9')?.city, 'Berlin');
    assert.equal(geo.lookup('10.9.9.9')?.regionCode, 'BE');
    assert.equal(geo.lookup('10.1.2.3')?.city, 'Paris');
    assert.equal(geo.lookup('::ffff:10.1.2.3')?.city, 'Paris');
    assert.equal(geo.lookup('::1')?.countryCode, 'JP');
    assert.equal(geo.lookup('81.2.69.142')?.countryCode, 'IE');
  });
  test('loopback and private space without an override have no location', () => {
    for (const ip of ['127.0.0.1', '192.168.0.10', '172.16.5.5', 'fd12::1', 'not-an-ip'])
      assert.equal(geo.lookup(ip), undefined, ip);
  });
  test('repeated lookups return the same answer (cache)', () => {
    const first = geo.lookup('2.16.0.1');
    assert.equal(first?.countryCode !== undefined, true);
    assert.deepEqual(geo.lookup('2.16.0.1'), first);
  });
});

describe('openGeo options and validation', () => {
  test('--geo-db path opens a single database file', async () => {
    const geo = await openGeo({ dbPath: defaultDatabasePaths().v4 });
    assert.equal(geo.lookup('81.2.69.160')?.countryCode, 'GB');
    // An IPv4-only file cannot answer IPv6.
    assert.equal(geo.lookup('2a00:1450:4001::1'), undefined);
  });
  test('a file that is not an mmdb is CONFIG_INVALID; a missing one CONFIG_UNREADABLE', async () => {
    await assert.rejects(
      openGeo({ dbPath: writeJson('bad.mmdb', 'hello') }),
      (e: unknown) => e instanceof VergeError && e.code === 'CONFIG_INVALID',
    );
    await assert.rejects(
      openGeo({ dbPath: join(dir, 'missing.mmdb') }),
      (e: unknown) => e instanceof VergeError && e.code === 'CONFIG_UNREADABLE',
    );
  });
  const bad: Array<[string, unknown, string]> = [
    ['bad key', { '10.0.0.0/40': { countryCode: 'DE' } }, '10.0.0.0/40'],
    ['lower-case country', { '10.0.0.0/8': { countryCode: 'de' } }, '10.0.0.0/8'],
    ['unknown field', { '::1': { countryCode: 'DE', town: 'x' } }, '::1'],
    ['latitude out of range', { '1.2.3.4/32': { countryCode: 'DE', latitude: 91 } }, '1.2.3.4/32'],
    ['non-object value', { '1.2.3.0/24': 'DE' }, '1.2.3.0/24'],
  ];
  for (const [name, json, key] of bad) {
    test(`overrides: ${name} → CONFIG_INVALID naming the key`, async () => {
      const p = writeJson(`${name.replace(/\W/g, '_')}.json`, json);
      await assert.rejects(openGeo({ overridesPath: p, noDatabase: true }), (e: unknown) => {
        assert.ok(e instanceof VergeError);
        assert.equal(e.code, 'CONFIG_INVALID');
        assert.ok(e.message.includes(`"${key}"`), e.message);
        return true;
      });
    });
  }
  test('overrides: not JSON → CONFIG_UNREADABLE; an array → CONFIG_INVALID', async () => {
    await assert.rejects(
      openGeo({ overridesPath: writeJson('x.json', '{'), noDatabase: true }),
      (e: unknown) => e instanceof VergeError && e.code === 'CONFIG_UNREADABLE',
    );
    await assert.rejects(
      openGeo({ overridesPath: writeJson('y.json', []), noDatabase: true }),
      (e: unknown) => e instanceof VergeError && e.code === 'CONFIG_INVALID',
    );
  });
});
