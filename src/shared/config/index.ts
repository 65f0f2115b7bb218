/** @module shared/config — the distribution config: input types, defaults and limits, managed policies, the validator. */
export * from './types.js';
export * from './defaults.js';
export * from './managed-policies.js';
export * from './functions.js';
export * from './origin-access.js';
export { validateDistribution, formatProblems, type ValidationResult } from './validate.js';
