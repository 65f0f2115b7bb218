/**
 * @module edge/origin/bucket
 * The directory-backed, S3-style origin (`OriginPlan.kind === 'bucket'`): a folder on the
 * edge's disk answers GET and HEAD the way an S3 bucket behind CloudFront would (spec 1.3's S3
 * origin): keys map to files, no directories, S3-style XML errors, strong ETags, byte ranges and
 * conditional requests (conditional.ts).
 *
 * Safety: the URI is decoded exactly once and refused with REQUEST_BAD_PATH (400) before any
 * filesystem call if it could escape the bucket (`..` segments, NUL, backslashes, absolute
 * keys, malformed percent-encoding); after resolution, the real path must still lie inside the
 * bucket's real path, so a symlink pointing outside is refused too.
 *
 * ETag: the quoted hex MD5 of the content, as S3 computes it for single-part uploads. MD5s are
 * remembered per (path, inode, size, mtime) so HEAD and conditional requests do not re-read
 * unchanged files.
 *
 * Bodies: a file up to `wholeMaxBytes` is read whole. A larger one, when the caller takes the
 * answer as a stream (`streamResponse`, as the edge's fetch step does), is read from the file as
 * the viewer takes it, so no file is too large and none is held (issue 12); its first MD5 costs
 * one extra read of the file, streamed too.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, sep } from 'node:path';
import { systemClock } from '../../shared/clock.js';
import type { Clock } from '../../shared/clock.js';
import { VergeError } from '../../shared/errors.js';
import { STATUS_TEXT, getHeader } from '../../shared/lambda-edge/index.js';
import type { CfHeaders } from '../../shared/lambda-edge/index.js';
import { oneShotBody, type StreamBody } from '../body/index.js';
import type { OriginPlan } from '../config/plan.js';
import { evaluatePreconditions, ifRangeHolds, parseRange } from './conditional.js';
import { contentTypeFor } from './content-types.js';
import type { OriginClient, OriginRequest, OriginResponse } from './types.js';

export interface BucketOriginOptions {
  clock?: Clock;
  /** Files larger than this fail with ORIGIN_BODY_TOO_LARGE when they are read whole. */
  maxBodyBytes?: number;
  /** Files up to this are read whole; larger ones stream when the request allows. Default 8 MiB. */
  wholeMaxBytes?: number;
}

const ETAG_CACHE_MAX = 10_000;

function badPath(message: string, uri: string): never {
  throw new VergeError('REQUEST_BAD_PATH', message, { details: { uri } });
}

/**
 * The object key for a request URI under an origin path, or REQUEST_BAD_PATH. Pure: it runs
 * before the filesystem is touched.
 * @example bucketKey('/v2', '/img/a%20b.png') // 'v2/img/a b.png'
 */
export function bucketKey(originPath: string, uri: string): string {
  if (!uri.startsWith('/')) badPath('the URI must start with /', uri);
  const raw = originPath + uri;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    badPath('malformed percent-encoding in the URI', uri);
  }
  if (decoded.includes('\0')) badPath('the URI contains a NUL byte', uri);
  if (decoded.includes('\\')) badPath('the URI contains a backslash', uri);
  const key = decoded.slice(1);
  if (key.startsWith('/')) badPath('the key is an absolute path', uri);
  if (key.split('/').some((s) => s === '..')) badPath('the URI contains a .. segment', uri);
  return key;
}

function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function header(pairs: Array<[string, string]>): CfHeaders {
  const h: CfHeaders = {};
  for (const [k, v] of pairs) h[k.toLowerCase()] = [{ key: k, value: v }];
  return h;
}

/** S3's error document shape: `<Error><Code>…</Code><Message>…</Message>…</Error>`. */
function s3Error(
  status: number,
  code: string,
  message: string,
  key: string,
  date: string,
): Omit<OriginResponse, 'timings'> {
  const body = Buffer.from(
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><Key>${xmlEscape(key)}</Key></Error>`,
  );
  const headers = header([
    ['Content-Type', 'application/xml'],
    ['Content-Length', String(body.length)],
    ['Date', date],
    ['Server', 'VergeBucket'],
  ]);
  return { status, statusText: STATUS_TEXT[status] ?? '', headers, body };
}

/** Bytes `start..end` (inclusive) of a file as a one-shot body, read as its reader takes them. */
function fileRange(file: string, start: number, end: number): StreamBody {
  const length = end - start + 1;
  return oneShotBody(
    length,
    (from, to) => createReadStream(file, { start: start + from, end: start + Math.min(to, length - 1) }),
    () => {},
  );
}

function isMissing(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG' || code === 'ELOOP';
}

/**
 * A directory bucket. Use through `createOriginClient`, which sends bucket origins here; the
 * signature matches OriginClient so the pipeline treats both kinds alike.
 */
export function createBucketOrigin(opts: BucketOriginOptions = {}): OriginClient {
  const clock = opts.clock ?? systemClock;
  const maxBody = opts.maxBodyBytes ?? Number.MAX_SAFE_INTEGER;
  const wholeMax = opts.wholeMaxBytes ?? 8 * 1024 * 1024;
  const etags = new Map<string, string>();

  /** The ETag, and the content when it had to be read whole for it (`whole`). */
  async function etagFor(file: string, id: string, whole: boolean): Promise<{ etag: string; content?: Buffer }> {
    const known = etags.get(id);
    if (known !== undefined) return { etag: known };
    const hash = createHash('md5');
    let data: Buffer | undefined;
    if (whole) hash.update((data = await readFile(file)));
    else for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    const etag = `"${hash.digest('hex')}"`;
    if (etags.size >= ETAG_CACHE_MAX) etags.delete(etags.keys().next().value!);
    etags.set(id, etag);
    return { etag, content: data };
  }

  /** Resolve a key to a regular file inside the bucket, or undefined when S3 would say NoSuchKey. */
  async function locate(root: string, key: string, uri: string): Promise<string | undefined> {
    let real: string;
    let realRoot: string;
    try {
      realRoot = await realpath(root);
      real = await realpath(join(root, key));
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
    if (real !== realRoot && !real.startsWith(realRoot + sep)) badPath('the key resolves outside the bucket', uri);
    return real;
  }

  async function serve(origin: OriginPlan, req: OriginRequest): Promise<Omit<OriginResponse, 'timings'>> {
    const key = bucketKey(origin.originPath, req.uri);
    const date = new Date(clock.now()).toUTCString();
    const root = origin.bucketPath;
    if (!root || !isAbsolute(root))
      throw new VergeError('INTERNAL', `bucket origin ${origin.id} has no absolute bucketPath`);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return s3Error(403, 'MethodNotAllowed', `The specified method is not allowed against this resource.`, key, date);
    }
    const file = await locate(root, key, req.uri);
    const st = file === undefined ? undefined : await stat(file);
    // S3 has no directories: a key naming one is simply absent.
    if (file === undefined || !st || !st.isFile())
      return s3Error(404, 'NoSuchKey', 'The specified key does not exist.', key, date);
    const streams = req.streamResponse === true && st.size > wholeMax;
    if (!streams && st.size > maxBody) {
      throw new VergeError('ORIGIN_BODY_TOO_LARGE', `bucket object ${key} is ${st.size} bytes`, {
        details: { key, size: st.size },
      });
    }
    const id = `${file}\0${st.ino}\0${st.size}\0${st.mtimeMs}`;
    const read = await etagFor(file, id, !streams);
    const v = { etag: read.etag, mtimeMs: st.mtimeMs };
    const lastModified = new Date(Math.floor(st.mtimeMs / 1000) * 1000).toUTCString();
    const common: Array<[string, string]> = [
      ['Date', date],
      ['Last-Modified', lastModified],
      ['ETag', v.etag],
      ['Accept-Ranges', 'bytes'],
      ['Server', 'VergeBucket'],
    ];
    const h = req.headers;
    const pre = evaluatePreconditions(
      {
        ifMatch: getHeader(h, 'if-match'),
        ifNoneMatch: getHeader(h, 'if-none-match'),
        ifModifiedSince: getHeader(h, 'if-modified-since'),
        ifUnmodifiedSince: getHeader(h, 'if-unmodified-since'),
      },
      v,
    );
    if (pre === 304)
      return { status: 304, statusText: STATUS_TEXT[304]!, headers: header(common), body: Buffer.alloc(0) };
    if (pre === 412)
      return s3Error(
        412,
        'PreconditionFailed',
        'At least one of the preconditions you specified did not hold.',
        key,
        date,
      );
    const type: [string, string] = ['Content-Type', contentTypeFor(key)];
    const range = ifRangeHolds(getHeader(h, 'if-range'), v) ? parseRange(getHeader(h, 'range'), st.size) : null;
    if (range === 'unsatisfiable') {
      const res = s3Error(416, 'InvalidRange', 'The requested range is not satisfiable', key, date);
      res.headers['content-range'] = [{ key: 'Content-Range', value: `bytes */${st.size}` }];
      return res;
    }
    const head = req.method === 'HEAD';
    const bytes = async (start: number, end: number): Promise<Buffer | StreamBody> => {
      if (head) return Buffer.alloc(0);
      if (streams) return fileRange(file, start, end);
      const full = read.content ?? (await readFile(file));
      return start === 0 && end === full.length - 1 ? full : full.subarray(start, end + 1);
    };
    if (range) {
      const len = range.end - range.start + 1;
      const body = await bytes(range.start, range.end);
      const cr: [string, string] = ['Content-Range', `bytes ${range.start}-${range.end}/${st.size}`];
      return {
        status: 206,
        statusText: STATUS_TEXT[206]!,
        headers: header([type, ['Content-Length', String(len)], cr, ...common]),
        body,
      };
    }
    const headers = header([type, ['Content-Length', String(st.size)], ...common]);
    return { status: 200, statusText: STATUS_TEXT[200]!, headers, body: await bytes(0, st.size - 1) };
  }

  return {
    async fetch(origin, req) {
      const t0 = clock.monotonic();
      const res = await serve(origin, req);
      const ms = clock.monotonic() - t0;
      return { ...res, timings: { firstByteMs: ms, totalMs: ms } };
    },
    async close() {
      etags.clear();
    },
  };
}
