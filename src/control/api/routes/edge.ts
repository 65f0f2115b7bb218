/**
 * @module control/api/routes/edge
 * The control plane's side of the replication protocol (src/shared/replication/protocol.ts):
 * register, watch (server-sent events), snapshots by version, bundles and KVS data by sha256,
 * snapshot and invalidation acknowledgements. Edge tokens reach only these routes and only for
 * their own PoP; admin tokens may act for any PoP but read secrets in snapshots as `***`.
 */
import { route, type RouteCtx, type Route } from '../route.js';
import { VergeError } from '../../../shared/errors.js';
import { PROTOCOL_VERSION, type Snapshot } from '../../../shared/replication/protocol.js';
import { AckRequestSchema, InvalidationAckSchema, RegisterRequestSchema } from '../../../shared/replication/schemas.js';
import {
  KvsDataSchema,
  RegisterAnswerSchema,
  SnapshotDocumentSchema,
  ZipSchema,
  eventStream,
} from '../../../shared/api/answers.js';
import type { App } from '../../app.js';
import { REDACTED, mapSecrets } from '../../compile/secrets.js';
import { writeEvent } from '../http.js';
import { validationError } from '../../domain/validation.js';
import { readBundle, readKvs } from '../../domain/bundles.js';

const SHA256 = /^[0-9a-f]{64}$/;

/** The PoP this request acts for: an edge token's own, or the one an admin names. */
export function actingPop(ctx: RouteCtx, named: string | undefined): string {
  const t = ctx.token!;
  if (t.kind === 'edge') {
    if (named !== undefined && named !== t.pop) {
      throw new VergeError('FORBIDDEN', `this edge token belongs to PoP ${t.pop}, not ${named}`);
    }
    return t.pop!;
  }
  if (named === undefined) throw validationError([{ path: '$.pop', message: 'an admin token must name the PoP' }]);
  return named;
}

function versionParam(s: string | undefined | null, path: string): number {
  if (s === null || s === undefined || s === '') return 0;
  if (!/^\d+$/.test(s)) throw validationError([{ path, message: 'must be a whole number' }]);
  return Number(s);
}

export function edgeRoutes(app: App): Route[] {
  const { store, clock, hub } = app;
  const knownPop = async (pop: string) => {
    const p = await store.pops.get(pop);
    if (!p) throw new VergeError('NOT_FOUND', `PoP ${pop} is not registered: POST /api/v1/edge/register first`);
    await store.pops.touch(pop, clock.now());
    return p;
  };
  const blob =
    (kind: 'bundle' | 'kvs', contentType: string): Route['handler'] =>
    async ({ params }) => {
      const sha = params.sha256!;
      // Checked against the hash (BUNDLE_CORRUPT, KVS_CORRUPT when damaged): a PoP never gets damaged bytes.
      const data = !SHA256.test(sha)
        ? undefined
        : kind === 'bundle'
          ? await readBundle(store, sha)
          : await readKvs(store, sha);
      if (!data)
        throw new VergeError(
          'NOT_FOUND',
          `no ${kind === 'bundle' ? 'bundle' : 'KeyValueStore data'} with sha256 ${sha}`,
        );
      return {
        status: 200,
        body: data,
        headers: { 'content-type': contentType, 'cache-control': 'public, max-age=31536000, immutable', etag: `"${sha}"` }, // prettier-ignore
      };
    };
  return [
    route({
      method: 'POST',
      path: '/edge/register',
      access: 'edge',
      summary: 'Register a PoP (idempotent)',
      body: RegisterRequestSchema,
      success: { status: 200, schema: RegisterAnswerSchema },
      handler: async (ctx) => {
        const b = ctx.body;
        const pop = actingPop(ctx, b.pop);
        const now = clock.now();
        const prev = await store.pops.get(pop);
        await store.pops.upsert({
          id: pop,
          region: b.region,
          location: b.location ?? null,
          edgeVersion: b.edgeVersion ?? '',
          appliedVersion: b.appliedVersion,
          lastSeen: now,
          registeredAt: prev?.registeredAt ?? now,
        });
        app.logger.log('info', 'pop registered', { pop, region: b.region, appliedVersion: b.appliedVersion });
        return {
          status: 200,
          body: { pop, protocol: PROTOCOL_VERSION, latestVersion: await store.snapshots.latestVersion() },
        };
      },
    }),
    {
      method: 'GET',
      path: '/edge/watch',
      access: 'edge',
      summary:
        'Server-sent events: `snapshot` {version, checksum}, `invalidation` {id, distributionId, paths, tags}, `ping`',
      query: [
        { name: 'after', description: 'the snapshot version the edge has (0 = none)', type: 'integer' },
        { name: 'pop', description: 'the PoP (admin tokens only; edge tokens use their own)' },
      ],
      success: { status: 200, contentType: 'text/event-stream', schema: eventStream('snapshot, invalidation, ping (components.schemas.WatchSnapshotEvent, WatchInvalidationEvent)') }, // prettier-ignore
      handler: async (ctx) => {
        const pop = actingPop(ctx, ctx.query.get('pop') ?? undefined);
        const after = versionParam(ctx.query.get('after'), '$.after');
        const p = await knownPop(pop);
        const res = ctx.eventStream();
        const latest = await store.snapshots.get(await store.snapshots.latestVersion());
        if (latest && latest.version > after)
          writeEvent(res, 'snapshot', { version: latest.version, checksum: latest.checksum });
        for (const i of await store.invalidations.unackedSince(pop, 0)) {
          if (i.createdAt >= p.registeredAt)
            writeEvent(res, 'invalidation', {
              id: i.id,
              distributionId: i.distributionId,
              paths: i.paths,
              tags: i.tags,
            });
        }
        hub.addWatcher(pop, res, () => {
          // The stream is gone either way; a store that cannot record the time is logged, not thrown.
          store.pops
            .touch(pop, clock.now())
            .catch((e: Error) => app.logger.log('warn', 'PoP disconnect not recorded', { pop, error: e.message }));
        });
        return { stream: true };
      },
    },
    {
      method: 'GET',
      path: '/edge/snapshots/{version}',
      access: 'edge',
      summary: 'A snapshot document (secret values shown as *** to admin tokens)',
      success: { status: 200, schema: SnapshotDocumentSchema },
      handler: async ({ params, token }) => {
        const rec = /^\d+$/.test(params.version!) ? await store.snapshots.get(Number(params.version)) : undefined;
        if (!rec) throw new VergeError('NOT_FOUND', `snapshot ${params.version} does not exist`);
        if (token!.kind === 'edge') await store.pops.touch(token!.pop!, clock.now());
        const sealed = JSON.parse(rec.document) as Snapshot;
        const doc = mapSecrets(sealed, token!.kind === 'edge' ? (v) => app.box.open(v) : () => REDACTED);
        return { status: 200, body: doc, headers: { 'cache-control': 'private, max-age=31536000, immutable' } };
      },
    },
    {
      method: 'GET',
      path: '/edge/bundles/{sha256}',
      access: 'edge',
      summary: 'A function package (zip) by content hash',
      success: { status: 200, contentType: 'application/zip', schema: ZipSchema },
      handler: blob('bundle', 'application/zip'),
    },
    {
      method: 'GET',
      path: '/edge/kvs/{sha256}',
      access: 'edge',
      summary: 'KeyValueStore data (JSON) by content hash',
      success: { status: 200, schema: KvsDataSchema },
      handler: blob('kvs', 'application/json'),
    },
    route({
      method: 'POST',
      path: '/edge/acks',
      access: 'edge',
      summary: 'Acknowledge a snapshot as applied (ok) or refused (error)',
      body: AckRequestSchema,
      success: { status: 204 },
      handler: async (ctx) => {
        const b = ctx.body;
        const pop = actingPop(ctx, b.pop);
        const p = await knownPop(pop);
        if (!(await store.snapshots.get(b.version)))
          throw validationError([{ path: '$.version', message: `snapshot ${b.version} does not exist` }]);
        await store.tx(async () => {
          const at = clock.now();
          await store.snapshots.putAck({ version: b.version, pop, ok: b.ok, error: b.error ?? null, at });
          // With per-distribution results the snapshot is live even when one distribution was refused.
          const live = b.ok || b.distributions !== undefined;
          if (live && b.version > p.appliedVersion) await store.pops.setApplied(pop, b.version);
          for (const [distributionId, d] of Object.entries(b.distributions ?? {}))
            await store.snapshots.putDistributionAck({ pop, distributionId, ...d, error: d.error ?? null, at });
        });
        app.logger.log(b.ok ? 'info' : 'warn', 'snapshot acknowledged', {
          pop,
          version: b.version,
          ok: b.ok,
          error: b.error,
        });
        return { status: 204 };
      },
    }),
    route({
      method: 'POST',
      path: '/edge/invalidations/{id}/ack',
      access: 'edge',
      summary: 'Acknowledge an invalidation as done at this PoP',
      body: InvalidationAckSchema,
      success: { status: 204 },
      handler: async (ctx) => {
        const b = ctx.body;
        const pop = actingPop(ctx, b.pop);
        await knownPop(pop);
        const i = await store.invalidations.get(ctx.params.id!);
        if (!i) throw new VergeError('NOT_FOUND', `invalidation ${ctx.params.id} does not exist`);
        await store.invalidations.putAck({ id: i.id, pop, removed: b.removed, at: clock.now() });
        return { status: 204 };
      },
    }),
  ];
}
