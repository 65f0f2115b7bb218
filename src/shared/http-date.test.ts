/**
 * @module shared/http-date.test
 * The HTTP-date grammar of RFC 9110 5.6.7: the three forms it accepts and the near misses it does
 * not (the invalid `Expires` values of the HTTP caching suite's expires-parse tests among them).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHttpDate } from './http-date.js';

const NOW = Date.UTC(2026, 6, 1);
const SUNDAY_1994 = Date.UTC(1994, 10, 6, 8, 49, 37);
const parse = (s: string): number | undefined => parseHttpDate(s, NOW);

describe('parseHttpDate: the three forms of RFC 9110 5.6.7', () => {
  test('IMF-fixdate', () => assert.equal(parse('Sun, 06 Nov 1994 08:49:37 GMT'), SUNDAY_1994));
  test('obsolete RFC 850 form', () => assert.equal(parse('Sunday, 06-Nov-94 08:49:37 GMT'), SUNDAY_1994));
  test('ANSI C asctime() form, GMT by definition', () => {
    assert.equal(parse('Sun Nov  6 08:49:37 1994'), SUNDAY_1994);
    assert.equal(parse('Thu Aug 18 02:01:18 2050'), Date.UTC(2050, 7, 18, 2, 1, 18));
  });
  test('surrounding whitespace of a field value is not part of it', () =>
    assert.equal(parse('  Sun, 06 Nov 1994 08:49:37 GMT \t'), SUNDAY_1994));
  test('RFC 850 two-digit years: more than 50 years ahead means the previous century', () => {
    assert.equal(parse('Thursday, 18-Aug-50 02:01:18 GMT'), Date.UTC(2050, 7, 18, 2, 1, 18));
    assert.equal(parse('Saturday, 18-Aug-77 02:01:18 GMT'), Date.UTC(1977, 7, 18, 2, 1, 18));
    assert.equal(parse('Saturday, 18-Aug-77 02:01:18 GMT'.replace('77', '76')), Date.UTC(2076, 7, 18, 2, 1, 18));
  });
  test('far and 32-bit boundary dates', () => {
    assert.equal(parse('Tue, 19 Jan 2038 03:14:08 GMT'), 2 ** 31 * 1000);
    assert.equal(parse('Sun, 21 Nov 2286 04:46:39 GMT'), Date.UTC(2286, 10, 21, 4, 46, 39));
    assert.equal(parse('Mon, 01 Jan 0001 00:00:00 GMT'), -62135596800000);
  });
  test('day names, month names and GMT in another case are accepted (the suite calls it optimal)', () => {
    assert.equal(parse('SUN, 06 Nov 1994 08:49:37 GMT'), SUNDAY_1994);
    assert.equal(parse('Sun, 06 NOV 1994 08:49:37 GMT'), SUNDAY_1994);
    assert.equal(parse('Sun, 06 Nov 1994 08:49:37 gMT'), SUNDAY_1994);
  });
  test('a leap second is accepted', () =>
    assert.equal(parse('Wed, 31 Dec 2008 23:59:60 GMT'), Date.UTC(2009, 0, 1, 0, 0, 0)));
});

describe('parseHttpDate: what is not an HTTP-date', () => {
  const invalid: Array<[string, string]> = [
    ['UTC zone', 'Thu, 18 Aug 2050 02:01:18 UTC'],
    ['other zone', 'Thu, 18 Aug 2050 02:01:18 AEST'],
    ['numeric zone', 'Thu, 18 Aug 2050 02:01:18 +0000'],
    ['two-digit year in IMF-fixdate', 'Thu, 18 Aug 50 02:01:18 GMT'],
    ['missing comma', 'Thu 18 Aug 2050 02:01:18 GMT'],
    ['doubled spaces', 'Thu, 18  Aug  2050 02:01:18 GMT'],
    ['dashes in IMF-fixdate', 'Thu, 18-Aug-2050 02:01:18 GMT'],
    ['periods in the time', 'Thu, 18 Aug 2050 02.01.18 GMT'],
    ['one-digit hour', 'Thu, 18 Aug 2050 2:01:18 GMT'],
    ['one-digit day', 'Thu, 8 Aug 2050 02:01:18 GMT'],
    ['no zone', 'Thu, 18 Aug 2050 02:01:18'],
    ['hour 24', 'Thu, 18 Aug 2050 24:01:18 GMT'],
    ['minute 60', 'Thu, 18 Aug 2050 02:60:18 GMT'],
    ['31 February', 'Thu, 31 Feb 2050 02:01:18 GMT'],
    ['29 February of a common year', 'Mon, 29 Feb 2027 02:01:18 GMT'],
    ['unknown month', 'Thu, 18 Agu 2050 02:01:18 GMT'],
    ['unknown day name', 'Thr, 18 Aug 2050 02:01:18 GMT'],
    ['short day name in RFC 850', 'Thu, 18-Aug-50 02:01:18 GMT'],
    ['four-digit year in RFC 850', 'Thursday, 18-Aug-2050 02:01:18 GMT'],
    ['asctime with a zero-padded day', 'Thu Aug 08 02:01:18 2050'.replace('08 02', '8  02')],
    ['asctime with a zone', 'Thu Aug  8 02:01:18 2050 GMT'],
    ['a number', '0'],
    ['empty', ''],
    ['ISO 8601', '2050-08-18T02:01:18Z'],
    ['a list of two dates', 'Thu, 18 Aug 2050 02:01:18 GMT, Thu, 18 Aug 2050 02:01:19 GMT'],
  ];
  for (const [why, value] of invalid) {
    test(`${why}: ${JSON.stringify(value)}`, () => assert.equal(parse(value), undefined));
  }
  test('undefined stays undefined', () => assert.equal(parseHttpDate(undefined, NOW), undefined));
  test('Date.parse accepts the invalid forms this parser refuses (why it is not used)', () => {
    assert.ok(!Number.isNaN(Date.parse('Thu, 18 Aug 2050 02:01:18 UTC')));
    assert.ok(!Number.isNaN(Date.parse('Thu, 18 Aug 2050 2:01:18 GMT')));
  });
});
