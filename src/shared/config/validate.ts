/**
 * @module shared/config/validate
 * `validateDistribution`: checks one distribution config and lists every problem by JSON path
 * (unknown fields too, with a "did you mean"). Two passes over the same input: Ajv against the
 * schema (schema.ts: what each field may hold) and the rules JSON Schema cannot say (rules*.ts:
 * references, uniqueness, CloudFront's cross-field limits), reported together in document order.
 * Pure, no file system (file existence is checked by the loader that knows the base directory),
 * so the edge's loader, the control plane and `verge apply` use the same validator.
 */
import { checkSchema, type ConfigProblem } from '../schema/check.js';
import { behaviorRules, errorResponseRules } from './rules-behaviors.js';
import { isObj, type RuleSink } from './rules-policies.js';
import { aliasRules, keyGroupRules, originGroupRules, originRules, restrictionRules, stagingRules } from './rules.js';
import { DistributionSchema } from './schema.js';
import type { DistributionConfig } from './types.js';

export type { ConfigProblem } from '../schema/check.js';
export type ValidationResult = { ok: true; config: DistributionConfig } | { ok: false; problems: ConfigProblem[] };

export interface ValidateOptions {
  /**
   * Key group ids that exist outside the config (the control plane's key-group store); a
   * behavior may name these as well as the config's own `keyGroups`.
   */
  knownKeyGroups?: readonly string[];
}

export function validateDistribution(input: unknown, opts: ValidateOptions = {}): ValidationResult {
  const problems = checkSchema(DistributionSchema, input);
  if (!isObj(input)) return { ok: false, problems };
  const refused = new Set(problems.map((x) => x.path));
  const found: ConfigProblem[] = [];
  const sink: RuleSink = { add: (path, message) => found.push({ path, message }), bad: (path) => refused.has(path) };
  aliasRules(sink, input);
  const origins = originRules(sink, input);
  const groups = originGroupRules(sink, input, origins);
  restrictionRules(sink, input);
  const keyGroups = [...keyGroupRules(sink, input), ...(opts.knownKeyGroups ?? [])];
  behaviorRules(sink, input, { origins, groups, keyGroups });
  errorResponseRules(sink, input.customErrorResponses);
  stagingRules(sink, input);
  const all = [...problems, ...found];
  if (all.length > 0) return { ok: false, problems: inDocumentOrder(all) };
  return { ok: true, config: input as DistributionConfig };
}

type Json = Record<string, unknown>;

/** A path's position: each name by its place in the schema's properties (unknown names first), each index as is. */
function rank(path: string): number[] {
  const out: number[] = [];
  let schema: Json | undefined = DistributionSchema as unknown as Json;
  for (const m of path.matchAll(/\.([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g)) {
    if (m[2] !== undefined) {
      out.push(Number(m[2]));
      schema = schema?.items as Json | undefined;
      continue;
    }
    const key = m[1] ?? (JSON.parse(m[3]!) as string);
    const holder = objectSchema(schema, key);
    const props = (holder?.properties ?? {}) as Json;
    const names = Object.keys(props);
    out.push(names.indexOf(key));
    const map = typeof holder?.additionalProperties === 'object' ? holder.additionalProperties : undefined;
    schema = (props[key] ?? Object.values((holder?.patternProperties ?? {}) as Json)[0] ?? map) as Json | undefined;
  }
  return out;
}

/** The object schema (itself, or the union branch) that describes `key`. */
function objectSchema(schema: Json | undefined, key: string): Json | undefined {
  if (!schema) return undefined;
  if (Array.isArray(schema.anyOf))
    return (schema.anyOf as Json[]).find((b) => b.properties && key in (b.properties as Json)) ?? (schema.anyOf as Json[]).find((b) => b.type === 'object'); // prettier-ignore
  return schema;
}

function inDocumentOrder(problems: ConfigProblem[]): ConfigProblem[] {
  const keyed = problems.map((p, i) => ({ p, i, r: rank(p.path) }));
  keyed.sort((a, b) => {
    for (let k = 0; k < Math.min(a.r.length, b.r.length); k++) if (a.r[k] !== b.r[k]) return a.r[k]! - b.r[k]!;
    return a.r.length - b.r.length || a.i - b.i;
  });
  return keyed.map((x) => x.p);
}

/** One line per problem: `$.path: message`. */
export function formatProblems(problems: readonly ConfigProblem[], prefix = ''): string {
  return problems.map((x) => `${prefix}${x.path}: ${x.message}`).join('\n');
}
