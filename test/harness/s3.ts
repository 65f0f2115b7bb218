/**
 * @module test/harness/s3
 * A real S3-compatible server in-process for origin access control tests: s3rver
 * (`@20minutes/s3rver`, the maintained fork whose authentication checks Signature Version 4;
 * npm's `s3rver` 3.7.1 accepts any V4 signature), on a free loopback port, path-style
 * (`/<bucket>/<key>`), account `S3RVER` / `S3RVER`. A bad signature is refused by s3rver's own
 * check (403 SignatureDoesNotMatch). s3rver lets anonymous requests read any bucket, as a
 * public bucket would; a bucket behind OAC is private, so one middleware placed before
 * s3rver's refuses a request that carries no signature with S3's 403 AccessDenied. Every
 * request is recorded with its Authorization header.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from '@20minutes/s3rver';
import { request } from 'undici';
import type { OriginPlan } from '../../src/edge/config/plan.js';
import { signOriginRequest } from '../../src/edge/origin/sigv4.js';
import type { OriginRequest } from '../../src/edge/origin/types.js';
import { systemClock } from '../../src/shared/clock.js';

export const S3RVER_KEYS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface S3Request {
  method: string;
  path: string;
  authorization: string | undefined;
}

export interface TestS3 {
  port: number;
  requests: S3Request[];
  close(): Promise<void>;
}

interface KoaCtx {
  method: string;
  path: string;
  query: Record<string, unknown>;
  get(name: string): string;
  status: number;
  type: string;
  body: unknown;
}

export async function startS3(buckets: string[]): Promise<TestS3> {
  const dir = mkdtempSync(join(tmpdir(), 'verge-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const requests: S3Request[] = [];
  // First in the chain: record, and refuse what is not signed (a private bucket).
  (
    server as unknown as { middleware: Array<(ctx: KoaCtx, next: () => Promise<void>) => Promise<void>> }
  ).middleware.unshift(async (ctx, next) => {
    const authorization = ctx.get('authorization') || undefined;
    requests.push({ method: ctx.method, path: ctx.path, authorization });
    if (!authorization && !('X-Amz-Algorithm' in ctx.query) && !('Signature' in ctx.query)) {
      ctx.status = 403;
      ctx.type = 'application/xml';
      ctx.body =
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>';
      return;
    }
    await next();
  });
  const info = await server.run();
  return {
    port: info.port,
    requests,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Put an object with a signed PUT (the bucket refuses anything else); s3rver checks the signature. */
export async function putObject(port: number, bucket: string, key: string, body: string): Promise<void> {
  const origin = {
    id: 'seed',
    kind: 'custom',
    domainName: '127.0.0.1',
    port,
    protocol: 'http',
    originPath: `/${bucket}`,
    accessControl: {
      signingBehavior: 'always',
      region: 'us-east-1',
      service: 's3',
      credentials: 'seed',
      keys: S3RVER_KEYS,
    },
  } as unknown as OriginPlan & { accessControl: NonNullable<OriginPlan['accessControl']> };
  const data = Buffer.from(body);
  const req: OriginRequest = { method: 'PUT', uri: `/${key}`, querystring: '', headers: {}, body: data };
  signOriginRequest(origin, req, `/${bucket}/${key}`, systemClock);
  const headers = Object.fromEntries(Object.values(req.headers).map((l) => [l[0]!.key!, l[0]!.value]));
  const r = await request(`http://127.0.0.1:${port}/${bucket}/${key}`, { method: 'PUT', headers, body: data });
  const text = await r.body.text();
  if (r.statusCode !== 200) throw new Error(`putting ${key} into ${bucket}: ${r.statusCode} ${text}`);
}
