/**
 * @module edge/origin/error-map.test
 * Which error, at which phase, becomes which code and whether it may be retried.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classify } from './error-map.js';

const err = (code: string, name = 'Error') => Object.assign(new Error(code), { code, name });

test('codes and retry rules by error and phase', () => {
  const cases: Array<[Error, 'connect' | 'sent' | 'headers', string, string]> = [
    [err('ENOTFOUND'), 'connect', 'ORIGIN_DNS_ERROR', 'never'],
    [err('EAI_AGAIN'), 'connect', 'ORIGIN_DNS_ERROR', 'never'],
    [err('DEPTH_ZERO_SELF_SIGNED_CERT'), 'connect', 'ORIGIN_TLS_ERROR', 'never'],
    [err('ERR_TLS_CERT_ALTNAME_INVALID'), 'connect', 'ORIGIN_TLS_ERROR', 'never'],
    [err('ERR_SSL_WRONG_VERSION_NUMBER'), 'connect', 'ORIGIN_TLS_ERROR', 'never'],
    [err('ECONNREFUSED'), 'connect', 'ORIGIN_CONNECT_ERROR', 'always'],
    [err('UND_ERR_CONNECT_TIMEOUT'), 'connect', 'ORIGIN_CONNECT_ERROR', 'always'],
    [err('ECONNRESET'), 'connect', 'ORIGIN_CONNECT_ERROR', 'always'],
    [err('UND_ERR_SOCKET'), 'sent', 'ORIGIN_RESET', 'idempotent'],
    [err('UND_ERR_HEADERS_TIMEOUT'), 'sent', 'ORIGIN_TIMEOUT', 'idempotent'],
    [err('UND_ERR_BODY_TIMEOUT'), 'headers', 'ORIGIN_TIMEOUT', 'idempotent'],
    [err('UND_ERR_SOCKET'), 'headers', 'ORIGIN_RESET', 'never'],
    [err('UND_ERR_RES_CONTENT_LENGTH_MISMATCH'), 'headers', 'ORIGIN_RESET', 'never'],
    [err('HPE_INVALID_CONSTANT'), 'sent', 'ORIGIN_BAD_RESPONSE', 'never'],
    [Object.assign(new Error('bad'), { name: 'HTTPParserError' }), 'sent', 'ORIGIN_BAD_RESPONSE', 'never'],
    [err('UND_ERR_HEADERS_OVERFLOW'), 'sent', 'ORIGIN_HEADERS_TOO_LARGE', 'never'],
    [err('VERGE_BODY_TOO_LARGE'), 'headers', 'ORIGIN_BODY_TOO_LARGE', 'never'],
  ];
  for (const [e, phase, code, retry] of cases) {
    const c = classify(e, phase);
    assert.equal(c.code, code, `${e.message} at ${phase}`);
    assert.equal(c.retry, retry, `${e.message} at ${phase}`);
  }
});
