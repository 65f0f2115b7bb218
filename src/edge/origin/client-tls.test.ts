/**
 * @module edge/origin/client-tls.test
 * HTTPS origins: certificates are verified against the origin's domain name (not a forwarded
 * Host), self-signed and mismatched certificates fail with ORIGIN_TLS_ERROR, and
 * VERGE_ORIGIN_CA_FILE adds a private CA. Needs `openssl` to make a throwaway certificate.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo, LookupFunction } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needs, missingCommand } from '../../../test/harness/needs.js';
import { VergeError } from '../../shared/errors.js';
import type { OriginPlan } from '../config/plan.js';
import { createOriginClient } from './client.js';
import type { OriginClient, OriginRequest } from './types.js';

const CERT_NAME = 'verge-test.localhost';

// Skips (outside CI) only when openssl is absent; any other openssl failure fails the suite.
const skip = needs(missingCommand('openssl', 'openssl', 'cannot make a test certificate'));

/** Resolves every name to 127.0.0.1, so the certificate's DNS name can be used as the origin. */
const loopbackLookup = ((_host: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) => {
  if (opts.all) cb(null, [{ address: '127.0.0.1', family: 4 }]);
  else cb(null, '127.0.0.1', 4);
}) as unknown as LookupFunction;

describe('origin client over TLS', { skip }, () => {
  let dir = '';
  let server: Server;
  let port = 0;
  const sni: Array<string | false | null> = [];
  const clients: OriginClient[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verge-origin-tls-'));
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2',
        '-subj', `/CN=${CERT_NAME}`, '-addext', `subjectAltName=DNS:${CERT_NAME}`,
      ], // prettier-ignore
      { stdio: ['ignore', 'ignore', 'pipe'] }, // a failure's message carries openssl's stderr
    );
    server = createServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (req, res) => {
        sni.push((req.socket as TLSSocket).servername);
        res.end(`host=${req.headers.host}`);
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    for (const c of clients) await c.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    delete process.env['VERGE_ORIGIN_CA_FILE'];
    rmSync(dir, { recursive: true, force: true });
  });

  function client(opts: Parameters<typeof createOriginClient>[0] = {}): OriginClient {
    const c = createOriginClient({ lookup: loopbackLookup, ...opts });
    clients.push(c);
    return c;
  }

  function origin(domainName: string): OriginPlan {
    return {
      id: 'tls',
      kind: 'custom',
      domainName,
      port,
      protocol: 'https',
      originPath: '',
      customHeaders: [],
      connectionAttempts: 3,
      connectionTimeoutMs: 2000,
      readTimeoutMs: 5000,
      keepaliveTimeoutMs: 5000,
    };
  }

  const req = (host: string): OriginRequest => ({
    method: 'GET',
    uri: '/',
    querystring: '',
    headers: { host: [{ key: 'Host', value: host }] },
  });

  async function tlsError(p: Promise<unknown>): Promise<VergeError> {
    const e = await p.then(
      () => assert.fail('expected ORIGIN_TLS_ERROR'),
      (err: unknown) => err,
    );
    assert.ok(e instanceof VergeError);
    assert.equal(e.code, 'ORIGIN_TLS_ERROR', e.message);
    return e;
  }

  test('a self-signed certificate is refused without a CA, and not retried', async () => {
    const e = await tlsError(client().fetch(origin(CERT_NAME), req(CERT_NAME)));
    assert.equal(e.details?.['attempts'], 1);
  });

  test('VERGE_ORIGIN_CA_FILE trusts a private CA; SNI and verification use the origin domain, not Host', async () => {
    process.env['VERGE_ORIGIN_CA_FILE'] = join(dir, 'cert.pem');
    try {
      const c = client();
      const res = await c.fetch(origin(CERT_NAME), req('www.viewer.example'));
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), 'host=www.viewer.example');
      assert.equal(sni.at(-1), CERT_NAME);
    } finally {
      delete process.env['VERGE_ORIGIN_CA_FILE'];
    }
  });

  test('a trusted certificate for another name is refused (name mismatch)', async () => {
    const c = client({ ca: readFileSync(join(dir, 'cert.pem')) });
    const e = await tlsError(c.fetch(origin('127.0.0.1'), req('127.0.0.1')));
    assert.equal(e.details?.['reason'], 'ERR_TLS_CERT_ALTNAME_INVALID');
  });

  test('an unreadable VERGE_ORIGIN_CA_FILE fails at creation', () => {
    process.env['VERGE_ORIGIN_CA_FILE'] = join(dir, 'missing.pem');
    try {
      assert.throws(
        () => createOriginClient(),
        (e: unknown) => e instanceof VergeError && e.code === 'CONFIG_UNREADABLE',
      );
    } finally {
      delete process.env['VERGE_ORIGIN_CA_FILE'];
    }
  });
});
