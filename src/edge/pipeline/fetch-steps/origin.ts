/**
 * @module edge/pipeline/fetch-steps/origin
 * Fetch step `origin`: send the request to the current origin. The viewer's body streams through
 * unless a function replaced it, and so does the answer (issue 12); a cacheable HEAD is sent as
 * GET so the object can also answer GETs; the stale copy's validators make it conditional
 * (RFC 9111 4.3.1). An origin group fails over (spec 7.7) on a connection failure or a listed
 * status by going back to `originRequest` for the next member, which runs the origin-request
 * function for it again.
 */
import { getHeaderJoined, setHeader, type CfRequest } from '../../../shared/lambda-edge/index.js';
import { VergeError, toVergeError } from '../../../shared/errors.js';
import { SURROGATE_CAPABILITY, conditionalHeaders } from '../../cache/index.js';
import type { CacheEntry } from '../../cache/types.js';
import { toOriginRequest } from '../../origin/index.js';
import { discardBody } from '../../body/index.js';
import type { OriginRequest, OriginResponse } from '../../origin/types.js';
import type { OriginPlan } from '../../config/plan.js';
import { originEgressRefusal } from '../../functions/origin-egress.js';
import type { PipelineDeps } from '../deps.js';
import type { FetchStepName } from '../fetch-table.js';
import type { FetchTxn } from '../transaction.js';
import { canFailOver, currentOrigin } from '../fetch-txn.js';

export function origin(f: FetchTxn, deps: PipelineDeps): Promise<FetchStepName> {
  const streamed =
    f.bodyStreams && !f.bodyReplaced && f.pendingBody
      ? { stream: f.pendingBody.stream(), length: f.pendingBody.declaredLength }
      : undefined;
  const { origin: target, req } = toOriginRequest(f.originRequest!, streamed ?? f.originBody, currentOrigin(f));
  if (f.cacheable && req.method === 'HEAD') req.method = 'GET';
  // Every answer goes on as it arrives (issue 12): to the viewer, and into the store through a
  // fill when it is kept (fetch step `store`). Never collected whole.
  req.streamResponse = true;
  if (f.staleEntry) addValidators(req.headers, f.staleEntry);
  announceSurrogate(req.headers);
  if (f.interim) req.onInterim = f.interim;
  // An origin a function chose (not one the distribution configures) is held to that function's
  // egress policy, as its own connection would be (edge/functions/origin-egress.ts).
  const configured = [...f.dist.origins.values()].some(
    (o) => o.kind === target.kind && o.port === target.port && o.domainName.toLowerCase() === target.domainName.toLowerCase(), // prettier-ignore
  );
  if (configured || target.kind !== 'custom') return send(f, deps, target, req);
  return originEgressRefusal(f.originFunction?.egress, target.domainName, target.port).then((refusal) => {
    if (!refusal) return send(f, deps, target, req);
    const by = f.originFunction ? `origin-request function ${f.originFunction.name}` : 'a function';
    f.originError = new VergeError(refusal.code, `origin ${target.domainName}:${target.port} chosen by ${by} refused: ${refusal.reason} (egress.allow widens it; docs/security.md)`); // prettier-ignore
    deps.stats.originFetches.inc({ distribution: f.dist.id, origin: target.id, outcome: refusal.code });
    return 'revalidate';
  });
}

function send(f: FetchTxn, deps: PipelineDeps, target: OriginPlan, req: OriginRequest): Promise<FetchStepName> {
  const started = deps.clock.monotonic();
  // Tiered caching: a miss the PoP may store goes through its regional edge cache, when it has one.
  const via = f.cacheable && deps.regional ? deps.regional : deps.origins;
  return via.fetch(target, req).then(
    (res: OriginResponse): FetchStepName => {
      f.originLatencyMs = deps.clock.monotonic() - started;
      if (res.timings.connectMs !== undefined) f.originConnectMs = res.timings.connectMs;
      deps.stats.originFetches.inc({ distribution: f.dist.id, origin: target.id, outcome: String(res.status) });
      deps.stats.originLatency.observe(f.originLatencyMs);
      if (canFailOver(f) && f.failoverStatuses!.has(res.status)) {
        discardBody(res.body);
        f.attempt++;
        return 'originRequest';
      }
      f.originResponse = res;
      return 'revalidate';
    },
    (e: unknown): FetchStepName => {
      const err = toVergeError(e);
      deps.stats.originFetches.inc({ distribution: f.dist.id, origin: target.id, outcome: err.code });
      if (canFailOver(f) && err.code.startsWith('ORIGIN_')) {
        f.attempt++;
        return 'originRequest';
      }
      f.originError = err;
      return 'revalidate';
    },
  );
}

/** Validators of the stale copy (RFC 9111 4.3.1); none for a `Vary: *` object (spec 7.4). */
function addValidators(headers: CfRequest['headers'], e: CacheEntry): void {
  for (const [name, list] of Object.entries(conditionalHeaders(e))) setHeader(headers, name, list[0]!.value);
}

/**
 * Edge Architecture Specification 1.0 section 3: a surrogate appends its capabilities to
 * `Surrogate-Capability`, so the origin can target `Surrogate-Control` at it (`;verge`).
 * Added after origin-request: functions see the request CloudFront would send.
 */
function announceSurrogate(headers: CfRequest['headers']): void {
  const prev = getHeaderJoined(headers, 'surrogate-capability');
  setHeader(headers, 'surrogate-capability', prev ? `${prev}, ${SURROGATE_CAPABILITY}` : SURROGATE_CAPABILITY);
}
