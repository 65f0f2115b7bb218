/**
 * @module control/api/routes/staging
 * `/distributions/{id}/staging`: CloudFront continuous deployment for one primary distribution.
 * Create a staging copy, route viewers to it by header or weight, look at both side by side
 * (status, routing, and requests, error rates and origin latency p50/p95 over a window), promote
 * it onto the primary, or discard it. Each change is one snapshot.
 */
import { StagingRouteSchema } from '../../../shared/api/bodies.js';
import { StagingViewSchema } from '../../../shared/api/answers.js';
import type { App } from '../../app.js';
import { distributionView } from '../../domain/distributions.js';
import {
  createStaging,
  discardStaging,
  getPrimary,
  getStaging,
  promoteStaging,
  routeStaging,
} from '../../domain/staging.js';
import { MAX_STAGING_WEIGHT, STAGING_HEADER_PREFIX } from '../../../shared/config/schema.js';
import type { ContinuousDeploymentConfig } from '../../../shared/config/types.js';
import { toSeries } from '../../telemetry/metrics.js';
import type { DistributionRecord } from '../../store/types.js';
import { route, type Route } from '../route.js';

const WINDOW_MS = 15 * 60_000;

export function stagingRoutes(app: App): Route[] {
  const { store, clock } = app;
  const view = async (d: DistributionRecord) =>
    distributionView(d, await store.pops.list(), clock.now(), await store.snapshots.distributionAcks(d.id));
  /** Requests, errors by class (counts and rates) and origin latency over the last window, summed across PoPs. */
  const metricsOf = async (id: string) => {
    const until = clock.now();
    const since = until - WINDOW_MS;
    const points = await app.telemetry.queryPoints({
      kind: 'distribution',
      since,
      until,
      labels: { distribution: id },
    });
    const s = toSeries(points, { kind: 'distribution', since, until, stepMs: WINDOW_MS, byPop: false })[0];
    const t = (s?.total ?? {}) as Record<string, unknown>;
    const n = (k: string) => (t[k] as number | undefined) ?? 0;
    const ms = (k: string) => (t[k] as number | null | undefined) ?? null;
    return {
      requests: n('requests'),
      errors: { '4xx': n('status4xx'), '5xx': n('status5xx') },
      rate4xx: n('rate4xx'),
      rate5xx: n('rate5xx'),
      originLatencyP50: ms('originLatencyP50'),
      originLatencyP95: ms('originLatencyP95'),
      originLatencyP99: ms('originLatencyP99'),
    };
  };
  const answer = async (primaryId: string) => {
    const primary = (await store.distributions.get(primaryId))!;
    const staging = await getStaging(store, primary, 'show');
    return {
      primary: await view(primary),
      staging: await view(staging),
      routing: primary.config.continuousDeployment ?? null,
      metrics: { windowMs: WINDOW_MS, primary: await metricsOf(primary.id), staging: await metricsOf(staging.id) },
    };
  };
  return [
    {
      method: 'POST',
      path: '/distributions/{id}/staging',
      access: 'admin',
      summary: 'Copy the distribution (config and triggers) into a staging distribution <id>-staging',
      success: { status: 201, schema: StagingViewSchema },
      handler: async ({ params }) => {
        await app.change(
          `staging distribution of ${params.id} created`,
          async () => await createStaging(store, params.id!, clock.now()),
        );
        return { status: 201, body: await answer(params.id!) };
      },
    },
    {
      method: 'GET',
      path: '/distributions/{id}/staging',
      access: 'admin',
      summary:
        'Primary and staging side by side: status per PoP, routing, and requests, errors by class (4xx/5xx) and origin latency p50/p95/p99 over the last 15 minutes',
      success: { status: 200, schema: StagingViewSchema },
      handler: async ({ params }) => {
        await getPrimary(store, params.id!);
        return { status: 200, body: await answer(params.id!) };
      },
    },
    route({
      method: 'PUT',
      path: '/distributions/{id}/staging/routing',
      access: 'admin',
      summary: `Route viewers to staging: a header (name starting ${STAGING_HEADER_PREFIX}) or a weight (1–${MAX_STAGING_WEIGHT}%)`,
      body: StagingRouteSchema,
      success: { status: 200, schema: StagingViewSchema },
      handler: async ({ params, body }) => {
        const routing: Pick<ContinuousDeploymentConfig, 'header' | 'weight'> = body;
        await app.change(
          `staging routing of ${params.id} set`,
          async () => await routeStaging(store, params.id!, routing, clock.now()),
        );
        return { status: 200, body: await answer(params.id!) };
      },
    }),
    {
      method: 'POST',
      path: '/distributions/{id}/staging/promote',
      access: 'admin',
      summary: 'Copy the staging config and triggers onto the primary (one new generation for it)',
      success: { status: 200, schema: StagingViewSchema },
      handler: async ({ params }) => {
        await app.change(
          `staging of ${params.id} promoted`,
          async () => await promoteStaging(store, params.id!, clock.now()),
        );
        return { status: 200, body: await answer(params.id!) };
      },
    },
    {
      method: 'DELETE',
      path: '/distributions/{id}/staging',
      access: 'admin',
      summary: 'Delete the staging distribution and the routing to it',
      success: { status: 204 },
      handler: async ({ params }) => {
        await app.change(
          `staging of ${params.id} discarded`,
          async () => await discardStaging(store, params.id!, clock.now()),
        );
        return { status: 204 };
      },
    },
  ];
}
