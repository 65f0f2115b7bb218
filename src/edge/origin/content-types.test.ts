/**
 * @module edge/origin/content-types.test
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONTENT_TYPE, contentTypeFor } from './content-types.js';

test('content types by extension, case-insensitive, octet-stream otherwise', () => {
  const expected: Record<string, string> = {
    'a.html': 'text/html; charset=utf-8',
    'a.css': 'text/css; charset=utf-8',
    'a.js': 'text/javascript; charset=utf-8',
    'a.mjs': 'text/javascript; charset=utf-8',
    'a.json': 'application/json',
    'a.svg': 'image/svg+xml',
    'a.png': 'image/png',
    'A.JPG': 'image/jpeg',
    'a.gif': 'image/gif',
    'a.webp': 'image/webp',
    'a.avif': 'image/avif',
    'favicon.ico': 'image/x-icon',
    'a.txt': 'text/plain; charset=utf-8',
    'a.xml': 'application/xml',
    'a.pdf': 'application/pdf',
    'a.woff': 'font/woff',
    'a.woff2': 'font/woff2',
    'a.wasm': 'application/wasm',
    'a.mp4': 'video/mp4',
    'a.webm': 'video/webm',
    'app.js.map': 'application/json',
    'dir.v1/file': DEFAULT_CONTENT_TYPE,
    'archive.tar.zst': DEFAULT_CONTENT_TYPE,
  };
  for (const [key, type] of Object.entries(expected)) assert.equal(contentTypeFor(key), type, key);
});
