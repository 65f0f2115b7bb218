/**
 * The egress policy's pieces: address parsing (shared/config/egress.ts), allow-list entries and
 * their errors, the classification of special-purpose addresses, and decisions (allow-list by
 * host, CIDR and port; the PoP's own ports refused whatever the list says).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { egressProblems, parseEgressEntry, parseIP } from '../../../shared/config/egress.js';
import { claimOwnPorts, decide, egressPolicy, specialReason } from './policy.js';

const hex = (b: Uint8Array | null) => (b ? Buffer.from(b).toString('hex') : null);

test('IP parsing: dotted quads only, IPv6 with :: and embedded IPv4', () => {
  assert.equal(hex(parseIP('127.0.0.1')), '7f000001');
  for (const bad of ['2130706433', '0x7f.1', '0177.0.0.1', '127.1', '1.2.3.256', '1.2.3', ''])
    assert.equal(parseIP(bad), null, bad);
  assert.equal(hex(parseIP('::1')), '00000000000000000000000000000001');
  assert.equal(hex(parseIP('::')), '0'.repeat(32));
  assert.equal(hex(parseIP('::ffff:127.0.0.1')), '00000000000000000000ffff7f000001');
  assert.equal(hex(parseIP('[fe80::1]')), 'fe800000000000000000000000000001');
  assert.equal(hex(parseIP('2001:db8:0:0:1:0:0:1')), '20010db8000000000001000000000001');
  assert.equal(hex(parseIP('64:ff9b::10.0.0.1')), '0064ff9b00000000000000000a000001');
  for (const bad of [':::', '1::2::3', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', '::ffff:1.2.3', 'g::1'])
    assert.equal(parseIP(bad), null, bad);
});

test('allow-list entries: hosts, wildcards, addresses, CIDR blocks, ports and ranges', () => {
  assert.deepEqual(parseEgressEntry('Origin.Internal'), {
    kind: 'host',
    host: 'origin.internal',
    wildcard: false,
    ports: null,
  });
  assert.deepEqual(parseEgressEntry('*.corp.example:443'), {
    kind: 'host',
    host: 'corp.example',
    wildcard: true,
    ports: { from: 443, to: 443 },
  });
  const cidr = parseEgressEntry('10.0.0.0/8:8000-8999');
  assert.ok(typeof cidr !== 'string' && cidr.kind === 'cidr');
  assert.equal(cidr.prefix, 8);
  assert.deepEqual(cidr.ports, { from: 8000, to: 8999 });
  const v6 = parseEgressEntry('[fd00::]/8:443');
  assert.ok(typeof v6 !== 'string' && v6.kind === 'cidr' && v6.prefix === 8 && v6.ports?.from === 443);
  const bare6 = parseEgressEntry('fd00::/8');
  assert.ok(typeof bare6 !== 'string' && bare6.kind === 'cidr' && bare6.prefix === 8 && bare6.ports === null);
  const one = parseEgressEntry('127.0.0.1:9000');
  assert.ok(typeof one !== 'string' && one.kind === 'cidr' && one.prefix === 32);
  for (const [bad, why] of [
    ['10.1.2.3/8', /bits set past the prefix/],
    ['10.0.0.0/33', /prefix length/],
    ['host:0', /outside 1\.\.65535/],
    ['host:90-80', /reversed/],
    ['host:http', /not a number/],
    ['bad host!', /not a host name/],
    ['[::1', /does not close/],
    ['', /an entry is/],
  ] as const)
    assert.match(String(parseEgressEntry(bad)), why, bad);
  assert.deepEqual(
    egressProblems({ allow: ['ok.example', 'x:99999'], extra: 1 }, '$.egress').map((p) => p.path),
    ['$.egress.extra', '$.egress.allow[1]'],
  );
  assert.equal(egressProblems({ allow: 'x' }, '$.e')[0]!.path, '$.e.allow');
});

test('special-purpose addresses are named; public unicast is not', () => {
  const reason = (a: string) => specialReason(parseIP(a)!);
  for (const [a, r] of [
    ['127.0.0.1', /loopback/],
    ['10.1.2.3', /private/],
    ['172.31.255.255', /private/],
    ['192.168.1.1', /private/],
    ['100.64.0.1', /CGNAT/],
    ['169.254.169.254', /link-local/],
    ['0.0.0.0', /unspecified/],
    ['224.0.0.1', /multicast/],
    ['240.0.0.1', /reserved/],
    ['255.255.255.255', /reserved/],
    ['198.18.0.1', /benchmarking/],
    ['::1', /loopback/],
    ['::', /unspecified/],
    ['::ffff:8.8.8.8', /IPv4-mapped/],
    ['::8.8.8.8', /IPv4-compatible/],
    ['64:ff9b::7f00:1', /NAT64/],
    ['2002:7f00:1::', /6to4/],
    ['2001:0:4136:e378::', /Teredo/],
    ['fd12::1', /unique-local/],
    ['fe80::1', /link-local/],
    ['ff02::1', /multicast/],
    ['4000::1', /reserved IPv6/],
  ] as const)
    assert.match(String(reason(a)), r, a);
  for (const a of ['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111', '2a00:1450:4001::200e'])
    assert.equal(reason(a), null, a);
});

test('decisions: public by default, the allow-list by host, block and port, never the PoP itself', () => {
  const none = egressPolicy(undefined);
  assert.deepEqual(decide(none, 'example.com', '93.184.216.34', 443), { ok: true });
  assert.equal(decide(none, 'example.com', '127.0.0.1', 443).ok, false, 'a name resolving to loopback');
  const p = egressPolicy({ allow: ['origin.internal', '10.0.0.0/8:8443', '[fd00::]/8', '*.corp.example:80'] });
  assert.equal(decide(p, 'origin.internal', '192.168.7.7', 1234).ok, true, 'a listed host, any address and port');
  assert.equal(decide(p, 'x.origin.internal', '192.168.7.7', 1234).ok, false, 'not a subdomain of an exact host');
  assert.equal(decide(p, 'a.b.corp.example', '10.9.9.9', 80).ok, true, 'wildcard host');
  assert.equal(decide(p, 'corp.example', '10.9.9.9', 80).ok, false, 'the wildcard is for subdomains');
  assert.equal(decide(p, 'a.corp.example', '10.9.9.9', 81).ok, false, 'wrong port');
  assert.equal(decide(p, '10.2.3.4', '10.2.3.4', 8443).ok, true, 'a block with its port');
  assert.equal(decide(p, '10.2.3.4', '10.2.3.4', 80).ok, false, 'a block, another port');
  assert.equal(decide(p, 'fd00::5', 'fd00::5', 22).ok, true);
  assert.equal(decide(p, '127.0.0.1', '127.0.0.1', 80).ok, false);
  // A host entry does not match the address written as a literal.
  assert.equal(decide(egressPolicy({ allow: ['localhost'] }), '127.0.0.1', '127.0.0.1', 80).ok, false);
  assert.equal(decide(egressPolicy({ allow: ['localhost'] }), 'localhost', '127.0.0.1', 80).ok, true);

  const loop = egressPolicy({ allow: ['127.0.0.0/8', '::1'] });
  const release = claimOwnPorts([45678]);
  try {
    const v = decide(loop, '127.0.0.1', '127.0.0.1', 45678);
    assert.deepEqual(v, { ok: false, reason: 'port 45678 of this PoP' });
    assert.equal(decide(loop, '::1', '::1', 45678).ok, false);
    assert.equal(decide(loop, '127.0.0.1', '127.0.0.1', 45679).ok, true);
  } finally {
    release();
  }
  assert.equal(decide(loop, '127.0.0.1', '127.0.0.1', 45678).ok, true, 'released when the PoP stops listening');
  assert.throws(() => egressPolicy({ allow: ['ok', '300.1.1.1/8'] }), /egress\.allow\[1\] "300\.1\.1\.1\/8"/);
  assert.equal(egressPolicy({ allow: ['B', 'a'] }).key, egressPolicy({ allow: ['a', 'b'] }).key);
});
