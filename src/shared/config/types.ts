/**
 * @module shared/config/types
 * The distribution config's TypeScript types: `Static<>` of the schemas in schema.ts and
 * schema-policies.ts, so the types, the validator and the OpenAPI document cannot disagree.
 * These are the *input* shapes (optional fields stay optional); `defaults.ts` holds the defaults
 * and `edge/config/compile.ts` turns a validated config into the edge plan.
 */
import type { Static } from 'typebox';
import type { ConfigProblem } from '../schema/check.js';
import type {
  BehaviorSchema,
  CacheBehaviorSchema,
  ContinuousDeploymentSchema,
  CustomErrorResponseSchema,
  DistributionSchema,
  FunctionAssociationSchema,
  FunctionSchema,
  KeyGroupSchema,
  OacKeysSchema,
  OriginAccessControlSchema,
  OriginGroupSchema,
  OriginSchema,
  PublicKeySchema,
  RestrictionsSchema,
} from './schema.js';
import type {
  CachePolicySchema,
  CorsSchema,
  ListSchema,
  OriginRequestHeadersSchema,
  OriginRequestPolicySchema,
  ResponseHeadersPolicySchema,
  SecurityHeadersSchema,
} from './schema-policies.js';

export type DistributionConfig = Static<typeof DistributionSchema>;
export type ContinuousDeploymentConfig = Static<typeof ContinuousDeploymentSchema>;
export type RestrictionsConfig = Static<typeof RestrictionsSchema>;
export type GeoRestrictionConfig = RestrictionsConfig['geoRestriction'];
export type KeyGroupConfig = Static<typeof KeyGroupSchema>;
export type PublicKeyConfig = Static<typeof PublicKeySchema>;
export type OriginConfig = Static<typeof OriginSchema>;
export type OriginAccessControlConfig = Static<typeof OriginAccessControlSchema>;
/** Keys for origin access control (an access key id, its secret, a session token for temporary ones). */
export type OacKeys = Static<typeof OacKeysSchema>;
export type OriginGroupConfig = Static<typeof OriginGroupSchema>;
export type AllowedMethodsConfig = string[];
export type DefaultCacheBehaviorConfig = Static<typeof BehaviorSchema>;
export type CacheBehaviorConfig = Static<typeof CacheBehaviorSchema>;
export type ListConfig = Static<typeof ListSchema>;
export type CachePolicyConfig = Static<typeof CachePolicySchema>;
export type OriginRequestHeadersConfig = Static<typeof OriginRequestHeadersSchema>;
export type OriginRequestPolicyConfig = Static<typeof OriginRequestPolicySchema>;
export type CorsConfig = Static<typeof CorsSchema>;
export type SecurityHeadersConfig = Static<typeof SecurityHeadersSchema>;
export type ResponseHeadersPolicyConfig = Static<typeof ResponseHeadersPolicySchema>;
export type FunctionConfig = Static<typeof FunctionSchema>;
export type FunctionAssociationConfig = Static<typeof FunctionAssociationSchema>;
export type CustomErrorResponseConfig = Static<typeof CustomErrorResponseSchema>;
export type { ConfigProblem };
