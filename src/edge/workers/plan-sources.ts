/**
 * @module edge/workers/plan-sources
 * A compiled plan's inputs as plain data for IPC (a managed primary hands each snapshot to its
 * workers), and back into compile inputs: the credential sets the primary found travel with
 * the config, so a worker compiles exactly the plan the primary checked.
 */
import { VergeError } from '../../shared/errors.js';
import type { ConfigInput } from '../config/compile.js';
import type { EdgePlan, PlanSource } from '../config/plan.js';

export interface PlanSources {
  sources: PlanSource[];
}

export function planSourcesOf(plan: EdgePlan): PlanSources {
  if (!plan.sources)
    throw new VergeError('INTERNAL', 'this plan was not compiled by compilePlan, so workers cannot compile it again');
  return { sources: [...plan.sources] };
}

export function planSourcesFrom(p: PlanSources): ConfigInput[] {
  return p.sources.map((s) => ({
    config: s.config,
    baseDir: s.baseDir,
    ...(s.credentials
      ? { credentials: { where: s.credentials.where, keys: (name: string) => s.credentials!.keys[name] } }
      : {}),
  }));
}
