/**
 * @module edge/pipeline/canary-arm
 * Which version of a canary trigger runs for this viewer (issue 10 item 5). A canary association
 * carries its arm and a share; the viewer's id (the `verge-viewer` cookie when the request has
 * one, else its address) is hashed with the canary's id into 0–99, so one viewer keeps one
 * version for the canary's life while the share grows (a viewer on the canary at 10% stays on
 * it at 50%). Each choice is reported with the invocation, so PoPs count errors and latency per
 * arm and the control plane can compare them.
 */
import type { CfHeaders } from '../../shared/lambda-edge/index.js';
import type { FunctionAssociationPlan } from '../config/plan.js';
import type { InvocationArm } from '../functions/function-host.js';
import { bucketOf } from './staging-route.js';
import type { FetchTxn, ViewerTxn } from './transaction.js';

/** The cookie a site may set (to a user or session id) to key canary stickiness on it instead of the address. */
export const VIEWER_ID_COOKIE = 'verge-viewer';

export interface ArmChoice {
  assoc: FunctionAssociationPlan;
  /** Set for a canary trigger: which side this viewer is on. */
  canary?: InvocationArm;
}

/** Who the viewer is for canary stickiness, worked out once per viewer. */
export function viewerKeyOf(txn: ViewerTxn): string {
  return (txn.viewerKey ??= cookieValue(txn.request.headers, VIEWER_ID_COOKIE) ?? txn.conn.clientIp);
}

/**
 * The association to run (the canary's arm or the plain one) and, for a canary, the side: for a
 * viewer, or for a fetch (the viewer that started it picks; its result may be cached for all).
 */
export function chooseArm(txn: ViewerTxn | FetchTxn, assoc: FunctionAssociationPlan): ArmChoice {
  const c = assoc.canary;
  if (!c) return { assoc };
  const key = 'conn' in txn ? viewerKeyOf(txn) : txn.viewerKey;
  return bucketOf(key, c.id) < c.percent
    ? { assoc: c.arm, canary: { id: c.id, arm: 'canary' } }
    : { assoc, canary: { id: c.id, arm: 'baseline' } };
}

/** The first value of cookie `name` across the request's Cookie lines; undefined when absent or empty. */
export function cookieValue(headers: CfHeaders, name: string): string | undefined {
  for (const line of headers['cookie'] ?? []) {
    for (const part of line.value.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
      const v = part.slice(eq + 1).trim();
      if (v !== '') return v;
    }
  }
  return undefined;
}
