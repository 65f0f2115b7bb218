import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePathPattern } from './path-pattern.js';

/** Spec 7.1's reference matcher (a RegExp per call), used as an oracle for the compiled one. */
function reference(pattern: string, path: string): boolean {
  const p = pattern.startsWith('/') ? pattern.slice(1) : pattern;
  const s = path.startsWith('/') ? path.slice(1) : path;
  const re =
    '^' +
    p
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.') +
    '$';
  return new RegExp(re, 's').test(s);
}

describe('compilePathPattern (spec 7.1)', () => {
  const cases: Array<[string, string, boolean]> = [
    ['/images/*.jpg', '/images/a.jpg', true],
    ['/images/*.jpg', '/images/a/b.jpg', true], // * crosses /
    ['/images/*.jpg', '/images/a.JPG', false], // case-sensitive
    ['*.jpg', '/LOGO.JPG', false],
    ['*.jpg', '/logo.jpg', true],
    ['images/*', '/images/x', true], // leading slash optional on the pattern
    ['/images/*', 'images/x', true], // ... and on the path
    ['/images/*', '/images', false],
    ['/images*', '/images', true],
    ['/a?c', '/abc', true],
    ['/a?c', '/ac', false],
    ['/a?c', '/abbc', false],
    ['/a?c', '/a/c', true], // ? is any one character
    ['/exact.html', '/exact.html', true],
    ['/exact.html', '/exact.htmlx', false],
    ['/*/thumb/*.png', '/u/1/thumb/a.png', true],
    ['/*/thumb/*.png', '/u/1/thumbs/a.png', false],
    ['/a*b*c', '/abc', true],
    ['/a*b*c', '/aXbYc', true],
    ['/a*b*c', '/acb', false],
    ['/ab*ba', '/aba', false], // head and tail must not overlap
    ['/a.b', '/aXb', false], // . is literal
    ['/a+b', '/a+b', true],
    ['*', '/anything/at/all', true],
    ['/x/??/*', '/x/ab/c', true],
    ['/x/??/*', '/x/a/c', false],
  ];
  for (const [pattern, path, want] of cases) {
    test(`${pattern} ${want ? 'matches' : 'does not match'} ${path}`, () => {
      assert.equal(compilePathPattern(pattern)(path), want);
      assert.equal(reference(pattern, path), want, 'the case itself agrees with the spec reference');
    });
  }

  test('agrees with the spec reference matcher on generated inputs', () => {
    const alphabet = ['a', 'b', '/', '.'];
    const patterns = ['*', 'a*', '*a', 'a*b', '*a*', 'a?b', '?*?', '/a*/b?', 'a*b*a', '*.b', 'ab*ba', '??', 'a/*/b'];
    let checked = 0;
    // Every path over the alphabet up to length 5: bounded (4^0 + … + 4^5 = 1365 paths).
    const paths: string[] = [''];
    for (let len = 1; len <= 5; len++) {
      for (const prev of paths.filter((p) => p.length === len - 1)) for (const c of alphabet) paths.push(prev + c);
    }
    for (const pattern of patterns) {
      const m = compilePathPattern(pattern);
      for (const path of paths) {
        assert.equal(m(path), reference(pattern, path), `${pattern} vs ${JSON.stringify(path)}`);
        checked++;
      }
    }
    assert.equal(checked, patterns.length * 1365);
  });
});
