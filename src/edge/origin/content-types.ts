/**
 * @module edge/origin/content-types
 * The file-extension → Content-Type table the directory bucket serves with, as S3 would store
 * it when objects are uploaded by common tooling. Deliberately compact: the web's usual static
 * assets; everything else is `application/octet-stream`, which is S3's default too.
 */
import { extname } from 'node:path';

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  htm: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  json: 'application/json',
  map: 'application/json',
  txt: 'text/plain; charset=utf-8',
  xml: 'application/xml',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  ico: 'image/x-icon',
  pdf: 'application/pdf',
  woff: 'font/woff',
  woff2: 'font/woff2',
  wasm: 'application/wasm',
  mp4: 'video/mp4',
  webm: 'video/webm',
};

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/**
 * The Content-Type for a key, from its extension (case-insensitive).
 * @example contentTypeFor('img/Logo.PNG') // 'image/png'
 */
export function contentTypeFor(key: string): string {
  const ext = extname(key).slice(1).toLowerCase();
  return TYPES[ext] ?? DEFAULT_CONTENT_TYPE;
}
