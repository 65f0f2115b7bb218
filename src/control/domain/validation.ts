/**
 * @module control/domain/validation
 * The API's VALIDATION_FAILED error from problems at JSON paths (src/shared/schema/check.ts):
 * every problem under `fields`, the first (and how many more) in the message. Bodies are
 * checked against their TypeBox schemas before a handler runs (api/server.ts); the domain and
 * the handlers use this for the rules a schema cannot say (a query parameter, a reference).
 */
import type { ConfigProblem } from '../../shared/schema/check.js';
import { VergeError } from '../../shared/errors.js';

export function validationError(problems: readonly ConfigProblem[], message?: string): VergeError {
  const first = problems[0];
  const text =
    message ??
    (first
      ? `${first.path}: ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`
      : 'invalid request');
  return new VergeError('VALIDATION_FAILED', text, { details: { fields: problems } });
}
