/**
 * @module runtime/python/handler-name.test
 * Python handler strings: split at the last dot as Lambda's Python runtime does, any module
 * name importlib accepts (`my-func.lambda_handler`), and a message saying what is wrong with a
 * really malformed one.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePythonHandler } from './package.js';

describe('parsePythonHandler', () => {
  test('module names importlib accepts, folders and packages', () => {
    assert.deepEqual(parsePythonHandler('my-func.lambda_handler'), {
      module: 'my-func',
      fn: 'lambda_handler',
      file: ['my-func.py', 'my-func/__init__.py'],
    });
    assert.deepEqual(parsePythonHandler('lambda_function.lambda_handler').file, [
      'lambda_function.py',
      'lambda_function/__init__.py',
    ]);
    assert.deepEqual(parsePythonHandler('src/app.main').file, ['src/app.py', 'src/app/__init__.py']);
    assert.deepEqual(parsePythonHandler('pkg.app-v2.main').file, ['pkg/app-v2.py', 'pkg/app-v2/__init__.py']);
    assert.equal(parsePythonHandler('2fa.check').module, '2fa');
  });

  test('a malformed handler says what is wrong', () => {
    const cases: Array<[string, RegExp]> = [
      ['index', /Bad handler 'index': there is no '\.' between the module and the function/],
      ['.handler', /the module name before the last '\.' is empty/],
      ['index.', /the function name after the last '\.' is empty/],
      ['index.my-handler', /'my-handler' is not a Python function name/],
      ['a..b.handler', /the module path 'a\.\.b' has an empty part/],
      ['/abs.handler', /the module path '\/abs' has an empty part/],
      ['a\\b.handler', /control character or a backslash/],
    ];
    for (const [h, re] of cases) {
      assert.throws(
        () => parsePythonHandler(h),
        (e: Error & { code?: string }) =>
          e.code === 'FUNCTION_LOAD_ERROR' && /^Runtime\.MalformedHandlerName: /.test(e.message) && re.test(e.message),
        h,
      );
    }
  });
});
