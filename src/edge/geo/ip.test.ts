import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { PrefixTable, displayIp, isNonPublic, parseCidr, parseIp } from './ip.js';

describe('parseIp', () => {
  test('parses IPv4 and IPv6, folds IPv4-mapped IPv6 to IPv4', () => {
    assert.deepEqual(parseIp('1.2.3.4'), { family: 4, value: 0x01020304n });
    assert.deepEqual(parseIp('::ffff:1.2.3.4'), { family: 4, value: 0x01020304n });
    assert.deepEqual(parseIp('::ffff:0102:0304'), { family: 4, value: 0x01020304n });
    assert.deepEqual(parseIp('::1'), { family: 6, value: 1n });
    assert.deepEqual(parseIp('2001:db8::'), { family: 6, value: 0x20010db8n << 96n });
    assert.deepEqual(parseIp('[fe80::1%eth0]'), { family: 6, value: (0xfe80n << 112n) | 1n });
    assert.equal(parseIp('64:ff9b::1.2.3.4')?.value, (0x64n << 112n) | (0xff9bn << 96n) | 0x01020304n);
  });
  test('rejects non-addresses', () => {
    for (const s of ['', 'x', '1.2.3', '256.1.1.1', '1::2::3', 'example.com']) assert.equal(parseIp(s), undefined, s);
  });
  test('displayIp unwraps mapped addresses only', () => {
    assert.equal(displayIp('::ffff:10.0.0.1'), '10.0.0.1');
    assert.equal(displayIp('2001:db8::1'), '2001:db8::1');
    assert.equal(displayIp('10.0.0.1'), '10.0.0.1');
  });
});

describe('parseCidr and PrefixTable', () => {
  test('masks host bits and validates prefixes', () => {
    assert.deepEqual(parseCidr('10.1.2.3/8'), { family: 4, network: 0x0a000000n, prefix: 8 });
    assert.deepEqual(parseCidr('10.1.2.3'), { family: 4, network: 0x0a010203n, prefix: 32 });
    assert.deepEqual(parseCidr('::ffff:10.0.0.0/104'), { family: 4, network: 0x0a000000n, prefix: 8 });
    assert.equal(parseCidr('10.0.0.0/33'), undefined);
    assert.equal(parseCidr('::/129'), undefined);
    assert.equal(parseCidr('10.0.0.0/x'), undefined);
    assert.equal(parseCidr('nope/8'), undefined);
  });
  test('most specific prefix wins, per family', () => {
    const t = new PrefixTable<string>();
    t.add(parseCidr('10.0.0.0/8')!, 'wide');
    t.add(parseCidr('10.1.0.0/16')!, 'narrow');
    t.add(parseCidr('0.0.0.0/0')!, 'any4');
    t.add(parseCidr('2001:db8::/32')!, 'doc6');
    assert.equal(t.match(parseIp('10.1.9.9')!), 'narrow');
    assert.equal(t.match(parseIp('10.2.0.1')!), 'wide');
    assert.equal(t.match(parseIp('::ffff:10.1.0.1')!), 'narrow');
    assert.equal(t.match(parseIp('8.8.8.8')!), 'any4');
    assert.equal(t.match(parseIp('2001:db8:1::1')!), 'doc6');
    assert.equal(t.match(parseIp('2001:db9::1')!), undefined);
    assert.equal(t.size, 4);
  });
  test('isNonPublic covers loopback, private and link-local space', () => {
    for (const s of [
      '127.0.0.1',
      '10.9.9.9',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.0.1',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
    ])
      assert.equal(isNonPublic(parseIp(s)!), true, s);
    for (const s of ['8.8.8.8', '172.32.0.1', '81.2.69.142', '2a00:1450:4001::1'])
      assert.equal(isNonPublic(parseIp(s)!), false, s);
  });
});
