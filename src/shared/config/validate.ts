/**
 * @module shared/config/validate
 * `validateDistribution`: checks one distribution config and lists every problem by JSON path
 * (unknown fields too, with a "did you mean"). Pure, no file system, nothing from outside
 * src/shared, so the edge loader and the control plane use the same validator. File existence
 * (functions, buckets) is checked by the loader that knows the base directory.
 */
import { LIMITS } from './defaults.js';
import { Problems, at, checkArray, checkBool, checkObject, checkString, checkUnique } from './fields.js';
import type { ConfigProblem, DistributionConfig } from './types.js';
import { validateCacheBehaviors, validateCustomErrorResponses, validateDefaultBehavior } from './validate-behaviors.js';
import { HOST_OPTS, validateOriginGroups, validateOrigins } from './validate-origins.js';
import { validateContinuousDeployment, validateStagingFlag } from './validate-staging.js';
import { validateDefaultRootObject, validateKeyGroups, validateRestrictions } from './validate-viewer-access.js';

export type { ConfigProblem } from './types.js';
export type ValidationResult = { ok: true; config: DistributionConfig } | { ok: false; problems: ConfigProblem[] };

const TOP_FIELDS = [
  'id',
  'aliases',
  'enabled',
  'comment',
  'domainName',
  'origins',
  'originGroups',
  'defaultCacheBehavior',
  'cacheBehaviors',
  'customErrorResponses',
  'defaultRootObject',
  'restrictions',
  'keyGroups',
  'staging',
  'continuousDeployment',
];
/** Used in cache keys, logs and file names: keep it plain. */
const DISTRIBUTION_ID = {
  min: 1,
  max: 64,
  pattern: /^[A-Za-z0-9][A-Za-z0-9_-]*$/,
  patternText: 'use letters, digits, - and _ (starting with a letter or digit)',
};
/** Aliases are exact host names (no wildcards, no port); lower-cased when compiled. */
const ALIAS = { ...HOST_OPTS, patternText: 'must be a host name or IP address without scheme, port, path or wildcard' };

export interface ValidateOptions {
  /**
   * Key group ids that exist outside the config (the control plane's key-group store); a
   * behavior may name these as well as the config's own `keyGroups`.
   */
  knownKeyGroups?: readonly string[];
}

export function validateDistribution(input: unknown, opts: ValidateOptions = {}): ValidationResult {
  const p = new Problems();
  const root = '$';
  const o = checkObject(p, input, root, TOP_FIELDS, ['id', 'origins', 'defaultCacheBehavior']);
  if (!o) return { ok: false, problems: p.list };
  if (o.id !== undefined) checkString(p, o.id, at(root, 'id'), DISTRIBUTION_ID);
  if (o.aliases !== undefined) validateAliases(p, o.aliases, at(root, 'aliases'));
  if (o.enabled !== undefined) checkBool(p, o.enabled, at(root, 'enabled'));
  if (o.comment !== undefined) checkString(p, o.comment, at(root, 'comment'), { max: 128 });
  if (o.domainName !== undefined) checkString(p, o.domainName, at(root, 'domainName'), ALIAS);
  const origins = o.origins === undefined ? [] : validateOrigins(p, o.origins, at(root, 'origins'));
  const groups =
    o.originGroups === undefined ? [] : validateOriginGroups(p, o.originGroups, at(root, 'originGroups'), origins);
  if (o.defaultRootObject !== undefined)
    validateDefaultRootObject(p, o.defaultRootObject, at(root, 'defaultRootObject'));
  if (o.restrictions !== undefined) validateRestrictions(p, o.restrictions, at(root, 'restrictions'));
  const inlineKeyGroups = o.keyGroups === undefined ? [] : validateKeyGroups(p, o.keyGroups, at(root, 'keyGroups'));
  const ids = { origins, groups, keyGroups: [...inlineKeyGroups, ...(opts.knownKeyGroups ?? [])] };
  if (o.defaultCacheBehavior !== undefined)
    validateDefaultBehavior(p, o.defaultCacheBehavior, at(root, 'defaultCacheBehavior'), ids);
  if (o.cacheBehaviors !== undefined) validateCacheBehaviors(p, o.cacheBehaviors, at(root, 'cacheBehaviors'), ids);
  if (o.customErrorResponses !== undefined)
    validateCustomErrorResponses(p, o.customErrorResponses, at(root, 'customErrorResponses'));
  if (o.staging !== undefined) validateStagingFlag(p, o.staging, at(root, 'staging'), o.aliases);
  if (o.continuousDeployment !== undefined) {
    validateContinuousDeployment(p, o.continuousDeployment, at(root, 'continuousDeployment'), o.id);
    if (o.staging === true)
      p.add(at(root, 'continuousDeployment'), 'a staging distribution cannot have its own staging');
  }
  if (p.list.length > 0) return { ok: false, problems: p.list };
  return { ok: true, config: input as DistributionConfig };
}

function validateAliases(p: Problems, v: unknown, path: string): void {
  const list = checkArray(p, v, path, LIMITS.aliases);
  if (!list) return;
  list.forEach((a, i) => checkString(p, a, at(path, i), ALIAS));
  checkUnique(p, list, path, 'alias', (a) => (typeof a === 'string' ? a.toLowerCase() : undefined));
}

/** One line per problem: `$.path: message`. */
export function formatProblems(problems: readonly ConfigProblem[], prefix = ''): string {
  return problems.map((x) => `${prefix}${x.path}: ${x.message}`).join('\n');
}
