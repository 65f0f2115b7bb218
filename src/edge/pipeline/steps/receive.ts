/**
 * @module edge/pipeline/steps/receive
 * Step `receive`: pick the distribution by Host and the cache behavior by path (once, on the
 * original URI: later rewrites never re-select it, spec 7.1), then apply the viewer protocol
 * policy (spec 0.4) and the behavior's allowed methods. CloudFront's own viewer checks come
 * before any function (viewer-access.ts): the geographic restriction, the default root object
 * (before the behavior is chosen) and, last, the behavior's signed URL requirement. The body is
 * touched last, after all of these (issue 9): a refused request never has its body read, and a
 * body no function reads is not read here at all: it streams to the origin (issue 12).
 */
import { VergeError } from '../../../shared/errors.js';
import { CONTRACT } from '../../../shared/lambda-edge/index.js';
import type { BehaviorPlan } from '../../config/plan.js';
import type { PipelineDeps } from '../deps.js';
import type { StepName } from '../steps.js';
import type { RoutedTxn, ViewerTxn } from '../transaction.js';
import { generatedResponse } from '../response.js';
import { routeStagingSticky } from '../staging-route.js';
import { applyDefaultRootObject, checkGeoRestriction, checkSignedRequest } from '../viewer-access.js';

export function receive(txn: ViewerTxn, deps: PipelineDeps): StepName | Promise<StepName> {
  const primary = txn.plan.byHost.get(txn.host);
  if (!primary) throw new VergeError('DISTRIBUTION_NOT_FOUND', `no distribution answers for host "${txn.host}"`);
  const staged = routeStagingSticky(txn.plan, primary, txn.request, txn.conn.clientIp);
  const dist = staged.dist;
  txn.dist = dist;
  if (staged.setCookie) txn.stickyCookie = staged.setCookie;
  if (!dist.enabled) throw new VergeError('DISTRIBUTION_DISABLED', `distribution ${dist.id} is disabled`);
  const method = txn.request.method;
  if (method === 'GET' && (txn.body.length > 0 || txn.pendingBody)) {
    throw new VergeError('REQUEST_GET_WITH_BODY', 'a GET request may not carry a body');
  }
  checkGeoRestriction(txn, dist, deps);
  const viewerPath = txn.request.uri;
  applyDefaultRootObject(txn, dist);
  const behavior = dist.behaviorFor(txn.request.uri);
  // From here on the transaction is routed: every later step takes a RoutedTxn.
  const routed: RoutedTxn = Object.assign(txn, { dist, behavior });

  if (txn.conn.protocol === 'http' && behavior.viewerProtocolPolicy !== 'allow-all') {
    txn.conditions.add('https-redirect');
    if (behavior.viewerProtocolPolicy === 'https-only') {
      throw new VergeError('REQUEST_HTTPS_REQUIRED', `${behavior.pathPattern} only accepts HTTPS`);
    }
    const safe = method === 'GET' || method === 'HEAD';
    if (!safe && txn.conn.httpVersion === '1.0') {
      throw new VergeError('REQUEST_HTTPS_REQUIRED', `${method} over HTTP/1.0 cannot be redirected to HTTPS`);
    }
    const rawHost = txn.request.headers['host']?.[0]?.value ?? txn.host;
    const hostOnly = rawHost.replace(/:\d+$/, '');
    const port = deps.httpsPort === 443 ? '' : `:${deps.httpsPort}`;
    const qs = txn.request.querystring ? `?${txn.request.querystring}` : '';
    txn.response = generatedResponse(safe ? 301 : 307, {
      location: `https://${hostOnly}${port}${viewerPath}${qs}`,
    });
    txn.resultType = 'Redirect';
    txn.detailedResultType = 'Redirect';
    return 'finalize';
  }

  if (!behavior.allowedMethods.has(method)) {
    throw new VergeError('REQUEST_METHOD_NOT_ALLOWED', `${method} is not allowed for ${behavior.pathPattern}`);
  }
  checkSignedRequest(routed, deps, viewerPath);
  if (!txn.pendingBody) return 'viewerRequest';
  txn.pendingBody.check();
  const need = bodyForFunctions(behavior);
  // Nobody reads it here: it streams to the origin when the fetch sends the request.
  return need === 0 ? 'viewerRequest' : peekBody(txn, need);
}

/**
 * How much of the body functions may see (spec 1.9): 40 KB at viewer-request, 1 MB at
 * origin-request, 0 when no function asks for it. Only that much is ever buffered.
 */
function bodyForFunctions(b: BehaviorPlan): number {
  let n = 0;
  for (const e of ['viewer-request', 'origin-request'] as const)
    if (b.hooks[e]?.includeBody) n = Math.max(n, CONTRACT[e].limits.bodyExposedBytes);
  return n;
}

/** Every check that needs no body has passed: now, and only now, the body is read (issue 9). */
async function peekBody(txn: ViewerTxn, limit: number): Promise<StepName> {
  const { bytes, ended } = await txn.pendingBody!.peek(limit);
  txn.body = bytes;
  txn.bodyStreams = !ended;
  return 'viewerRequest';
}
