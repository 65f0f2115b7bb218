/**
 * Guest querystring, url, buffer, path, util, string_decoder, events, assert and the Web text
 * globals, run inside a real isolate and compared with Node's own modules on the same inputs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import querystring from 'node:querystring';
import nodeUrl from 'node:url';
import nodePath from 'node:path';
import util from 'node:util';
import { createSandbox } from './test-harness.js';
import type { Sandbox } from './test-harness.js';

let sb: Sandbox;
before(async () => {
  sb = await createSandbox();
});
after(() => sb.dispose());

const j = JSON.stringify;

describe('querystring', () => {
  const inputs = [
    'auth=abc&foo=bar',
    'a=1&a=2&a=3&b=',
    'X-Experiment-Name=B&size=LARGE&Color=Red',
    'q=hello+world&x=%E2%82%AC&bad=%zz&pct=%',
    '&&a&=b&c==d&',
    'ünicode=✓&emoji=😀',
    'k%5B%5D=1&k%5B%5D=2',
    '%E0%A4%A=broken&%C3%28=x',
    'a=b;c=d',
  ];
  test('parse matches node:querystring, including malformed escapes', async () => {
    const got = await sb.run<unknown[]>(
      `const qs = require('querystring'); return ${j(inputs)}.map((s) => ({ ...qs.parse(s) }));`,
    );
    assert.deepEqual(
      got,
      inputs.map((s) => ({ ...querystring.parse(s) })),
    );
  });
  test('parse with sep, eq and maxKeys matches', async () => {
    const got = await sb.run(
      `const qs = require('querystring'); return [qs.parse('a:1;b:2;c:3', ';', ':'), qs.parse('a=1&b=2&c=3', null, null, { maxKeys: 2 }), qs.parse('a=1&b=2', '&', '=', { maxKeys: 0 })].map((o) => ({ ...o }));`,
    );
    assert.deepEqual(
      got,
      [
        querystring.parse('a:1;b:2;c:3', ';', ':'),
        querystring.parse('a=1&b=2&c=3', undefined, undefined, { maxKeys: 2 }),
        querystring.parse('a=1&b=2', '&', '=', { maxKeys: 0 }),
      ].map((o) => ({ ...o })),
    );
  });
  test('stringify and escape match byte for byte (AWS examples rebuild query strings)', async () => {
    const objs = [
      { auth: 'abc', foo: 'bar' },
      { a: [1, 2], b: 'x y', c: "!'()*~-._", d: 'ü€😀', e: true, f: null, g: 1e21, h: NaN },
      { '': '', 'sp ace': ['', 'v'] },
    ];
    const got = await sb.run(
      `const qs = require('querystring'); const objs = ${j(objs).replace('"g":1e+21', '"g":1e21').replace('"h":null', '"h":NaN')}; return [objs.map((o) => qs.stringify(o)), qs.stringify({a:'1',b:'2'}, ';', ':'), qs.escape('a b&c/ü'), qs.unescape('a%20b+c%zz')];`,
    );
    const objsHost = [objs[0], { ...objs[1], g: 1e21, h: NaN }, objs[2]];
    assert.deepEqual(got, [
      objsHost.map((o) => querystring.stringify(o as never)),
      querystring.stringify({ a: '1', b: '2' }, ';', ':'),
      querystring.escape('a b&c/ü'),
      querystring.unescape('a%20b+c%zz'),
    ]);
  });
  test('a lone surrogate throws URIError as in Node', async () => {
    const got = await sb.run(
      `try { require('querystring').escape('\\ud800'); return 'no'; } catch (e) { return e.name; }`,
    );
    assert.equal(got, 'URIError');
  });
});

describe('url', () => {
  const urls = [
    'https://user:pa%20ss@EXAMPLE.com:443/a/./b/../c?x=1&y=%41#frag',
    'http://[::1]:8080/p?q',
    'http://0x7f.1/',
    'https://münchen.de/ä?ö=ü',
    'HTTP://example.com:80/%7Efoo/ bar',
    'file:///C:/x/../y',
    'blob:https://a.example/uuid',
    'http://a/b/c/d;p?q',
  ];
  test('WHATWG URL parsing matches Node for tricky URLs', async () => {
    const fields = [
      'href',
      'origin',
      'protocol',
      'username',
      'password',
      'host',
      'hostname',
      'port',
      'pathname',
      'search',
      'hash',
    ];
    const got = await sb.run(
      `return ${j(urls)}.map((s) => { const u = new URL(s); return ${j(fields)}.map((f) => u[f]); });`,
    );
    assert.deepEqual(
      got,
      urls.map((s) => {
        const u = new URL(s);
        return fields.map((f) => (u as unknown as Record<string, string>)[f]);
      }),
    );
  });
  test('relative resolution, invalid input and setters match Node', async () => {
    const got = await sb.run(`
      const out = [new URL('../g?y#s', 'http://a/b/c/d;p?q').href, URL.canParse('nope'), URL.canParse('/x', 'http://h')];
      try { new URL('http://exa mple.com'); } catch (e) { out.push(e.code, e instanceof TypeError); }
      const u = new URL('http://h/p?a=1'); u.pathname = '/x y'; u.port = '8080'; u.hash = 'z'; u.search = '?b=2 3'; out.push(u.href);
      u.searchParams.set('c', 'é&'); u.searchParams.sort(); out.push(u.href, u.search);
      u.searchParams.delete('b'); u.searchParams.delete('c'); out.push(u.href);
      return out;`);
    const u = new URL('http://h/p?a=1');
    u.pathname = '/x y';
    u.port = '8080';
    u.hash = 'z';
    u.search = '?b=2 3';
    const want: unknown[] = [
      new URL('../g?y#s', 'http://a/b/c/d;p?q').href,
      URL.canParse('nope'),
      URL.canParse('/x', 'http://h'),
      'ERR_INVALID_URL',
      true,
      u.href,
    ];
    u.searchParams.set('c', 'é&');
    u.searchParams.sort();
    want.push(u.href, u.search);
    u.searchParams.delete('b');
    u.searchParams.delete('c');
    want.push(u.href);
    assert.deepEqual(got, want);
  });
  test('URLSearchParams parse/serialize matches Node', async () => {
    const inits = ['?a=1&a=2&b=%zz&c=+x+&d', 'x=%F0%9F%98%80&y=%C3', ''];
    const got = await sb.run(
      `return ${j(inits)}.map((s) => { const p = new URLSearchParams(s); p.append('n', 'a b~*\\'!'); return [p.toString(), [...p], p.getAll('a'), p.has('d'), p.size]; });`,
    );
    assert.deepEqual(
      got,
      inits.map((s) => {
        const p = new URLSearchParams(s);
        p.append('n', "a b~*'!");
        return [p.toString(), [...p], p.getAll('a'), p.has('d'), p.size];
      }),
    );
  });
  test('legacy parse, format and resolve match Node', async () => {
    const got = await sb.run(`const url = require('url');
      const p = url.parse('http://user@Host.com:8080/p/a/t/h?query=string&x=1#hash', true);
      return [{ ...p, query: { ...p.query } }, Object.getPrototypeOf(p.query) === null, url.format({ protocol: 'https', hostname: 'x.com', pathname: '/a b', query: { q: 'ü' } }),
        url.resolve('http://a/b/c', '../d'), url.format(new URL('http://u:p@h/x#f'), { auth: false, fragment: false }), url.parse('/only/path?x').pathname];`);
    const p = nodeUrl.parse('http://user@Host.com:8080/p/a/t/h?query=string&x=1#hash', true);
    const fields = Object.fromEntries(
      [
        'protocol',
        'slashes',
        'auth',
        'host',
        'port',
        'hostname',
        'hash',
        'search',
        'query',
        'pathname',
        'path',
        'href',
      ].map((k) => [k, (p as unknown as Record<string, unknown>)[k]]),
    );
    assert.deepEqual(got, [
      { ...fields, query: { ...p.query } },
      true,
      nodeUrl.format({ protocol: 'https', hostname: 'x.com', pathname: '/a b', query: { q: 'ü' } }),
      nodeUrl.resolve('http://a/b/c', '../d'),
      nodeUrl.format(new URL('http://u:p@h/x#f'), { auth: false, fragment: false }),
      '/only/path',
    ]);
  });
});

describe('buffer and text encodings', () => {
  const samples = ['', 'hello', 'héllo wörld €', '😀 emoji', '\u0000\u00ff\u0100', 'a'.repeat(100)];
  test('encodings round trip exactly like Node Buffer', async () => {
    const encs = ['base64', 'base64url', 'hex', 'utf8', 'latin1', 'binary', 'ascii', 'utf16le'];
    const got = await sb.run(
      `return ${j(samples)}.map((s) => ${j(encs)}.map((e) => { const b = Buffer.from(s); const t = b.toString(e); return [t, Buffer.from(t, e).toString('hex'), Buffer.byteLength(t, e)]; }));`,
    );
    assert.deepEqual(
      got,
      samples.map((s) =>
        encs.map((e) => {
          const b = Buffer.from(s);
          const t = b.toString(e as BufferEncoding);
          return [t, Buffer.from(t, e as BufferEncoding).toString('hex'), Buffer.byteLength(t, e as BufferEncoding)];
        }),
      ),
    );
  });
  test('concat, compare, slice, read/write integers match Node', async () => {
    const body = `const a = Buffer.from([1, 2, 3, 250]); const b = Buffer.alloc(10); b.writeUInt32BE(0xdeadbeef, 0); b.writeInt16LE(-2, 4); b.writeUInt8(7, 6);
      const c = Buffer.concat([a, b]); const s = c.subarray(2, 6); s[0] = 99;
      return [c.toString('hex'), Buffer.compare(a, b), a.equals(Buffer.from([1,2,3,250])), c.readUInt32BE(4), c.readInt16LE(8), c.readUInt16LE(0), a.slice(1).toString('hex'), Buffer.isBuffer(c), c instanceof Uint8Array, Buffer.from('YWJj', 'base64url').toString(), Buffer.isEncoding('base64url')];`;
    const got = await sb.run(body);
    const want = new Function('Buffer', body)(Buffer);
    assert.deepEqual(got, want);
  });
  test('TextDecoder: replacement, fatal, streaming, BOM', async () => {
    const got = await sb.run(`const bad = new Uint8Array([0x61, 0xf0, 0x9f, 0x98, 0x62, 0xed, 0xa0, 0x80, 0xc3]);
      const d = new TextDecoder(); const parts = [d.decode(new Uint8Array([0xe2, 0x82]), { stream: true }), d.decode(new Uint8Array([0xac]))];
      let fatal; try { new TextDecoder('utf-8', { fatal: true }).decode(bad); } catch (e) { fatal = e.name; }
      return [new TextDecoder().decode(bad), parts, fatal, new TextDecoder().decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])), [...new TextEncoder().encode('\\ud800x')], new TextDecoder('utf-16le').decode(new Uint8Array([0x41, 0, 0x3d, 0xd8, 0, 0xde]))];`);
    const bad = new Uint8Array([0x61, 0xf0, 0x9f, 0x98, 0x62, 0xed, 0xa0, 0x80, 0xc3]);
    const d = new TextDecoder();
    const parts = [d.decode(new Uint8Array([0xe2, 0x82]), { stream: true }), d.decode(new Uint8Array([0xac]))];
    assert.deepEqual(got, [
      new TextDecoder().decode(bad),
      parts,
      'TypeError',
      'A',
      [...new TextEncoder().encode('\ud800x')],
      new TextDecoder('utf-16le').decode(new Uint8Array([0x41, 0, 0x3d, 0xd8, 0, 0xde])),
    ]);
  });
  test('atob/btoa and buffer.atob agree with Node, including errors', async () => {
    const got =
      await sb.run(`const b = require('buffer'); const out = [btoa('\\x00\\xffab'), atob(' YW Jj\\n'), atob('YQ'), b.atob === atob];
      for (const f of [() => btoa('€'), () => atob('a')]) { try { f(); out.push('no'); } catch (e) { out.push(e.name); } } return out;`);
    assert.deepEqual(got, [
      btoa('\x00\xffab'),
      atob(' YW Jj\n'),
      atob('YQ'),
      true,
      'InvalidCharacterError',
      'InvalidCharacterError',
    ]);
  });
  test('string_decoder keeps split characters whole', async () => {
    const got = await sb.run(`const { StringDecoder } = require('string_decoder'); const bytes = Buffer.from('€😀x');
      const d = new StringDecoder('utf8'); let s = ''; for (const x of bytes) s += d.write(Buffer.from([x])); s += d.end(Buffer.from([0xe2]));
      const h = new StringDecoder('base64'); return [s, h.write(Buffer.from('ab')) + h.write(Buffer.from('c')) + h.end()];`);
    assert.deepEqual(got, ['€😀x\ufffd', 'YWJj']);
  });
});

describe('path, util, events, assert', () => {
  test('path (posix) matches Node', async () => {
    const cases: [string, unknown[]][] = [
      ['join', ['/a/', '../b', './c//d']],
      ['normalize', ['/x/./y/../z/']],
      ['basename', ['/a/b.html', '.html']],
      ['extname', ['file.tar.gz']],
      ['dirname', ['/a/b/c']],
      ['relative', ['/a/b/c', '/a/d']],
      ['parse', ['/home/u/f.txt']],
      ['isAbsolute', ['a/b']],
      ['resolve', ['/root', 'x', '../y']],
    ];
    const got = await sb.run(
      `const path = require('path'); return ${j(cases)}.map(([f, a]) => path[f](...a)).concat([path.sep, path.posix.join('a', 'b'), path.resolve('rel')]);`,
    );
    assert.deepEqual(got, [...cases.map(([f, a]) => (nodePath.posix as any)[f](...a)), '/', 'a/b', '/var/task/rel']);
  });
  test('util.format and inspect match Node for common cases', async () => {
    const got =
      await sb.run(`const util = require('util'); return [util.format('%s:%d:%i:%f:%j %%', 'a', '42', 3.9, '1.5', { x: [1] }, 'extra', 7), util.format(1, 'b', { c: 2 }),
      util.inspect({ a: 'str', b: [1, 2, { c: { d: { e: 1 } } }], s: new Set([1]), n: null, u: undefined, f() {} }), util.inspect('x'), util.inspect([new Date(0), /re/g, 10n, -0]), util.isDeepStrictEqual({ a: [1] }, { a: [1] }), util.types.isDate(new Date())];`);
    assert.deepEqual(got, [
      util.format('%s:%d:%i:%f:%j %%', 'a', '42', 3.9, '1.5', { x: [1] }, 'extra', 7),
      util.format(1, 'b', { c: 2 }),
      util.inspect({ a: 'str', b: [1, 2, { c: { d: { e: 1 } } }], s: new Set([1]), n: null, u: undefined, f() {} }),
      util.inspect('x'),
      util.inspect([new Date(0), /re/g, 10n, -0]),
      true,
      true,
    ]);
  });
  test('util.promisify, inherits and EventEmitter work together', async () => {
    const got = await sb.run(`const util = require('util'); const EventEmitter = require('events');
      function Legacy() { EventEmitter.call(this); } util.inherits(Legacy, EventEmitter);
      const l = new Legacy(); const seen = []; l.once('x', (v) => seen.push('once' + v)); l.on('x', (v) => seen.push('on' + v)); l.emit('x', 1); l.emit('x', 2);
      const p = util.promisify((a, cb) => cb(null, a * 2)); const v = await p(21);
      const [w] = await Promise.all([EventEmitter.once(l, 'y'), Promise.resolve().then(() => l.emit('y', 'z'))]);
      let unhandled; try { new EventEmitter().emit('error', new Error('boom')); } catch (e) { unhandled = e.message; }
      return [seen, v, w, unhandled, l.listenerCount('x'), l instanceof EventEmitter];`);
    assert.deepEqual(got, [['once1', 'on1', 'on2'], 42, ['z'], 'boom', 1, true]);
  });
  test('assert throws AssertionError with the right operator', async () => {
    const got = await sb.run(`const assert = require('assert'); const out = [];
      for (const f of [() => assert.strictEqual(1, 2), () => assert.deepStrictEqual({ a: 1 }, { a: '1' }), () => assert(false), () => assert.throws(() => {})]) {
        try { f(); out.push('passed'); } catch (e) { out.push([e.name, e.code, e.operator]); } }
      assert.deepEqual({ a: 1 }, { a: '1' }); assert.throws(() => { throw new TypeError('x'); }, TypeError); await assert.rejects(Promise.reject(new Error('r')), /r/);
      return out;`);
    assert.deepEqual(got, [
      ['AssertionError', 'ERR_ASSERTION', 'strictEqual'],
      ['AssertionError', 'ERR_ASSERTION', 'deepStrictEqual'],
      ['AssertionError', 'ERR_ASSERTION', '=='],
      ['AssertionError', 'ERR_ASSERTION', 'throws'],
    ]);
  });
  test('stream: Readable.from piped through a Transform into a Writable', async () => {
    const got = await sb.run(`const { Readable, Transform, Writable, pipeline } = require('stream'); const out = [];
      await new Promise((res, rej) => pipeline(Readable.from(['a', 'b', 'c']), new Transform({ transform(c, e, cb) { cb(null, String(c).toUpperCase()); } }),
        new Writable({ write(c, e, cb) { out.push(String(c)); cb(); } }), (err) => (err ? rej(err) : res())));
      return out.join('');`);
    assert.equal(got, 'ABC');
  });
  test('unknown modules fail with a message naming the module; node: prefix works', async () => {
    const got = await sb.run(
      `const out = [require('node:path') === require('path')]; try { require('child_process'); } catch (e) { out.push(e.message); } return out;`,
    );
    assert.deepEqual(got, [true, "Cannot find module 'child_process'"]);
  });
});
