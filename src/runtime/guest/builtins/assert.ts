/**
 * @module runtime/guest/builtins/assert
 * Node's `assert` (the basic surface): ok, equal family, deep equal family, throws/rejects,
 * match, ifError, fail, AssertionError, and `assert.strict`.
 */
import { deepEqual } from './lib/deep-equal.js';
import { inspect } from './lib/inspect.js';

class AssertionError extends Error {
  readonly code = 'ERR_ASSERTION';
  readonly actual: unknown;
  readonly expected: unknown;
  readonly operator: string;
  readonly generatedMessage: boolean;
  constructor(opts: { message?: string | Error; actual?: unknown; expected?: unknown; operator?: string }) {
    const generated = opts.message === undefined;
    super(generated ? `${inspect(opts.actual)} ${opts.operator} ${inspect(opts.expected)}` : String(opts.message));
    this.name = 'AssertionError';
    this.actual = opts.actual;
    this.expected = opts.expected;
    this.operator = opts.operator ?? 'fail';
    this.generatedMessage = generated;
  }
}

type Msg = string | Error | undefined;

function check(pass: boolean, actual: unknown, expected: unknown, operator: string, message: Msg): void {
  if (pass) return;
  if (message instanceof Error) throw message;
  throw new AssertionError({ message, actual, expected, operator });
}

function matches(err: unknown, expected: unknown): boolean {
  if (expected === undefined) return true;
  if (typeof expected === 'function') {
    if (expected.prototype !== undefined && err instanceof (expected as new () => unknown)) return true;
    if (Error.isPrototypeOf(expected) || expected === Error) return false;
    return (expected as (e: unknown) => unknown)(err) === true;
  }
  if (expected instanceof RegExp) return expected.test(String(err));
  if (typeof expected === 'object' && expected !== null) {
    return Object.keys(expected).every((k) => {
      const want = (expected as any)[k];
      const got = (err as any)?.[k];
      return want instanceof RegExp && typeof got === 'string' ? want.test(got) : deepEqual(got, want, true);
    });
  }
  return false;
}

function makeAssert(strict: boolean) {
  const ok = (...args: unknown[]): void =>
    check(
      Boolean(args[0]),
      args[0],
      true,
      '==',
      args.length === 0 ? 'No value argument passed to `assert.ok()`' : (args[1] as Msg),
    );
  const a: any = (...args: unknown[]) => ok(...args);
  const eq = (x: unknown, y: unknown) => (strict ? Object.is(x, y) : x == y || (x !== x && y !== y));
  Object.assign(a, {
    AssertionError,
    ok,
    fail: (message: Msg = 'Failed') => check(false, undefined, undefined, 'fail', message),
    equal: (x: unknown, y: unknown, m?: Msg) => check(eq(x, y), x, y, strict ? 'strictEqual' : '==', m),
    notEqual: (x: unknown, y: unknown, m?: Msg) => check(!eq(x, y), x, y, strict ? 'notStrictEqual' : '!=', m),
    strictEqual: (x: unknown, y: unknown, m?: Msg) => check(Object.is(x, y), x, y, 'strictEqual', m),
    notStrictEqual: (x: unknown, y: unknown, m?: Msg) => check(!Object.is(x, y), x, y, 'notStrictEqual', m),
    deepEqual: (x: unknown, y: unknown, m?: Msg) =>
      check(deepEqual(x, y, strict), x, y, strict ? 'deepStrictEqual' : 'deepEqual', m),
    notDeepEqual: (x: unknown, y: unknown, m?: Msg) => check(!deepEqual(x, y, strict), x, y, 'notDeepEqual', m),
    deepStrictEqual: (x: unknown, y: unknown, m?: Msg) => check(deepEqual(x, y, true), x, y, 'deepStrictEqual', m),
    notDeepStrictEqual: (x: unknown, y: unknown, m?: Msg) =>
      check(!deepEqual(x, y, true), x, y, 'notDeepStrictEqual', m),
    match: (s: string, re: RegExp, m?: Msg) => check(typeof s === 'string' && re.test(s), s, re, 'match', m),
    doesNotMatch: (s: string, re: RegExp, m?: Msg) =>
      check(typeof s === 'string' && !re.test(s), s, re, 'doesNotMatch', m),
    ifError: (v: unknown) => {
      if (v !== null && v !== undefined)
        throw v instanceof Error
          ? v
          : new AssertionError({
              message: `ifError got unwanted exception: ${inspect(v)}`,
              actual: v,
              operator: 'ifError',
            });
    },
    throws(fn: () => unknown, expected?: unknown, m?: Msg) {
      if (typeof expected === 'string') [m, expected] = [expected, undefined];
      try {
        fn();
      } catch (e) {
        if (!matches(e, expected)) throw e;
        return;
      }
      check(false, undefined, expected, 'throws', m ?? 'Missing expected exception.');
    },
    doesNotThrow(fn: () => unknown, m?: Msg) {
      try {
        fn();
      } catch (e) {
        check(
          false,
          e,
          undefined,
          'doesNotThrow',
          m ?? `Got unwanted exception.\nActual message: "${(e as Error)?.message}"`,
        );
      }
    },
    async rejects(p: Promise<unknown> | (() => Promise<unknown>), expected?: unknown, m?: Msg) {
      if (typeof expected === 'string') [m, expected] = [expected, undefined];
      try {
        await (typeof p === 'function' ? p() : p);
      } catch (e) {
        if (!matches(e, expected)) throw e;
        return;
      }
      check(false, undefined, expected, 'rejects', m ?? 'Missing expected rejection.');
    },
    async doesNotReject(p: Promise<unknown> | (() => Promise<unknown>), m?: Msg) {
      try {
        await (typeof p === 'function' ? p() : p);
      } catch (e) {
        check(false, e, undefined, 'doesNotReject', m ?? 'Got unwanted rejection.');
      }
    },
  });
  return a;
}

export default function factory() {
  const assert = makeAssert(false);
  assert.strict = makeAssert(true);
  assert.strict.strict = assert.strict;
  return assert;
}
