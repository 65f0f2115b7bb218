/**
 * @module edge/pipeline/steps/error-page
 * Step `errorPage`: a custom error response with a page path (spec 7.8). The viewer restarts at
 * `lookup` as a GET for the page, through the behavior whose pattern matches the page's path,
 * with the skip condition `error-page-fetch` only (viewer-request does not run; origin events
 * do on a miss) and without the viewer's range and validators. `deliver` (the page) or `synth`
 * (no page) puts the viewer's own state back (error-pages.ts).
 */
import { discardBody } from '../../body/index.js';
import type { StepName } from '../steps.js';
import type { DistTxn } from '../transaction.js';

/** Only a viewer with a distribution gets here (its custom error responses asked for a page). */
export function errorPage(txn: DistTxn): StepName {
  const { cer } = txn.errorPage!;
  const [uri, querystring = ''] = cer.responsePagePath!.split('?', 2) as [string, string?];
  const headers = { ...txn.request.headers };
  delete headers['range'];
  delete headers['if-none-match'];
  delete headers['if-modified-since'];
  txn.request = { ...txn.request, method: 'GET', uri, querystring, headers };
  txn.body = Buffer.alloc(0);
  txn.bodyStreams = false;
  txn.behavior = txn.dist.behaviorFor(uri);
  txn.conditions = new Set(['error-page-fetch']);
  txn.cacheKey = null;
  txn.staleEntry = null;
  // The response the page replaces is not sent: a body still arriving is not read.
  discardBody(txn.response?.body);
  txn.response = null;
  txn.error = null;
  // The page's own function runs are not this viewer's (its list comes back with its state).
  txn.functionsRan = [];
  return 'lookup';
}
