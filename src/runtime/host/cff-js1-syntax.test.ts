/**
 * cloudfront-js-1.0's language (spec 8.3, AWS's "JavaScript runtime 1.0 features"): each
 * construct 1.0 lacks is refused with CloudFront's `Token "X" not supported in this version` at
 * its line and column, each one it has is accepted; and the load of a 1.0 function refuses it
 * (the same code loads as cloudfront-js-2.0 where 2.0 has the construct).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../shared/clock.js';
import type { FunctionRuntimeKind } from '../../shared/lambda-edge/index.js';
import { findJs1Refusal, js1Message } from './cff-js1-syntax.js';
import { createFunctionRuntime } from './index.js';

const wrap = (body: string) => `function handler(event) {\n  ${body}\n  return event.request;\n}\n`;

// [construct, code inside the handler, the token CloudFront names]
const REFUSED: Array<[string, string, string]> = [
  ['let', 'let a = 1;', 'let'],
  ['const', 'const a = 1;', 'const'],
  ['class declaration', 'class A {}', 'class'],
  ['class expression', 'var A = class {};', 'class'],
  ['async function', 'var f = async function () {};', 'async'],
  ['async arrow', 'var f = async () => 1;', 'async'],
  ['generator', 'var g = function* () {};', '*'],
  ['for...of', 'for (var x of [1]) {}', 'of'],
  ['object destructuring', 'var { uri } = event.request;', '{'],
  ['array destructuring', 'var [a, b] = [1, 2];', '['],
  ['destructured parameter', 'var f = function ({ a }) { return a; };', '{'],
  ['default parameter', 'var f = function (a = 1) { return a; };', '='],
  ['object spread', 'var o = { ...event.request };', '...'],
  ['optional chaining', 'var h = event.request.headers.host?.value;', '?.'],
  ['nullish coalescing', 'var u = event.request.uri ?? "/";', '??'],
  ['logical assignment', 'var u; u ||= "/";', '||='],
  ['BigInt literal', 'var n = 10n;', '10n'],
  ['numeric separator', 'var n = 1_000;', '1_000'],
  ['optional catch binding', 'try { event.x(); } catch { }', '{'],
  ['debugger', 'debugger;', 'debugger'],
  ['new.target', 'var F = function () { return new.target; };', 'new.target'],
];

// What 1.0 has (AWS's page, and what its engine accepts without the page naming it).
const ACCEPTED: Array<[string, string]> = [
  [
    'var and ES 5.1 statements',
    'var a = 1; do { a++; } while (a < 3); for (var k in event) {} lbl: for (;;) { break lbl; }',
  ],
  ['template literals, nested', 'var s = `a${`b${1 + 1}`}c\nd`;'],
  ['tagged template', 'var t = function (s) { return s; }; var r = t`x`;'],
  ['arrow functions', 'var f = (a) => a * 2; var g = () => { return 1; };'],
  ['rest parameters', 'var f = function (a, ...rest) { return rest.length; };'],
  ['exponentiation', 'var p = 2 ** 10; p **= 2;'],
  ['array and call spread', 'var a = [1, ...[2, 3]]; Math.max(...a);'],
  [
    'shorthand, computed keys, methods, accessors',
    'var k = "x"; var o = { k, [k]: 1, m() { return 1; }, get g() { return 2; } };',
  ],
  ['named capture groups', 'var m = /(?<year>\\d{4})/.exec("2026");'],
  ['require', 'var crypto = require("crypto");'],
];

describe('cloudfront-js-1.0 language check', () => {
  for (const [what, body, token] of REFUSED) {
    test(`refuses ${what} with CloudFront's message at its line`, () => {
      const r = findJs1Refusal(wrap(body));
      assert.ok(r, `${what} must be refused`);
      assert.equal(r.token, token);
      assert.equal(r.line, 2, what);
      assert.match(
        js1Message(r),
        new RegExp(
          `^SyntaxError: Token "${token.replace(/[.*?|[\]{}()]/g, '\\$&')}" not supported in this version \\(cloudfront-js-1\\.0: .+\\)$`,
        ),
      );
    });
  }

  for (const [what, body] of ACCEPTED) {
    test(`accepts ${what}`, () => {
      assert.equal(findJs1Refusal(wrap(body)), null);
    });
  }

  test('import and export are 2.0 module syntax', () => {
    assert.equal(
      findJs1Refusal(`import cf from 'cloudfront';\nfunction handler(e) { return e.request; }`)?.token,
      'import',
    );
    assert.equal(findJs1Refusal(`export function handler(e) { return e.request; }`)?.token, 'export');
  });

  test('the column points at the construct; a plain syntax error is left to the compiler', () => {
    const r = findJs1Refusal(`function handler(event) {\n  var a = 1; let b = 2;\n  return event.request;\n}\n`);
    assert.deepEqual([r?.line, r?.column], [2, 14]);
    assert.equal(findJs1Refusal('function handler(event) { var = 1; }'), null);
  });

  test('a 1.0 function that uses const does not load; the same code loads as 2.0', async () => {
    const rt = createFunctionRuntime({ clock: new FakeClock(Date.UTC(2026, 11, 7)) });
    const code = `function handler(event) {\n  var request = event.request;\n  const uri = request.uri;\n  return request;\n}\n`;
    const source = (runtime: FunctionRuntimeKind, n: number) => ({
      id: `js1-${n}`,
      name: `js1-${n}`,
      version: '1',
      runtime,
      handler: '',
      code: { files: { 'index.js': code } },
    });
    try {
      await assert.rejects(rt.load(source('cloudfront-js-1.0', 1), { eventTypes: ['viewer-request'] }), (e: Error) => {
        assert.equal((e as { code?: string }).code, 'FUNCTION_LOAD_ERROR');
        assert.match(
          e.message,
          /Could not compile the function: index\.js:3:3: SyntaxError: Token "const" not supported in this version \(cloudfront-js-1\.0: declare it with var/,
        );
        return true;
      });
      const fn = await rt.load(source('cloudfront-js-2.0', 2), { eventTypes: ['viewer-request'] });
      await rt.unload(fn);
    } finally {
      await rt.close();
    }
  });
});
