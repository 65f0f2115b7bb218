/**
 * @module shared/config/schema-policies
 * The three policy kinds a cache behavior names or writes inline (spec 7.2, 7.3, 7.9), as
 * TypeBox schemas: CloudFront's per-field limits live here (10 items per list, header names as
 * tokens, CSP ≤ 1,783 characters); rules that relate fields (TTL order, the names' combined
 * length, maxTTL 0 with a cache key) are in `rules-policies.ts`.
 */
import { Type } from 'typebox';
import { CORS_METHODS, LIMITS, REFERRER_POLICIES } from './defaults.js';

/** An HTTP header field name (RFC 9110 5.1: a token). */
export const HEADER_NAME_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";
export const HEADER_NAME_TEXT = "a header name is a token (letters, digits and !#$%&'*+-.^_`|~)";

/** Literals of a list as one union (`'a' | 'b'` for TypeScript, `anyOf` of `const` for Ajv). */
export function literals<T extends string | number>(values: readonly T[], opts: Record<string, unknown> = {}) {
  return Type.Unsafe<T>(
    Type.Union(
      values.map((v) => Type.Literal(v)),
      opts,
    ),
  );
}

export const HeaderName = Type.String({
  minLength: 1,
  maxLength: 256,
  pattern: HEADER_NAME_PATTERN,
  'x-pattern-text': HEADER_NAME_TEXT,
});
const Name = Type.String({ minLength: 1, maxLength: 128 });
const Names = (item = Name) => Type.Array(item, { maxItems: LIMITS.policyListItems });
/** 100 years (spec 7.4: max-age 0 … 100 years). */
export const MAX_TTL = 3_153_600_000;
const Ttl = Type.Integer({ minimum: 0, maximum: MAX_TTL, description: 'seconds' });
const Bool = Type.Boolean();

/** `none`, `all`, an allow-list or a block-list (CloudFront's `*Behavior` + `Items`). */
export const ListSchema = Type.Union(
  [
    Type.Literal('none'),
    Type.Literal('all'),
    Type.Object({ whitelist: Names() }, { additionalProperties: false }),
    Type.Object({ allExcept: Names() }, { additionalProperties: false }),
  ],
  { 'x-union-text': 'must be "none", "all", { "whitelist": [...] } or { "allExcept": [...] }' },
);

export const CachePolicySchema = Type.Object(
  {
    name: Type.Optional(Name),
    minTTL: Ttl,
    defaultTTL: Ttl,
    maxTTL: Ttl,
    /** Headers in the cache key (an allow-list only: spec 7.2). Default none. */
    headers: Type.Optional(Names(HeaderName)),
    cookies: Type.Optional(ListSchema),
    queryStrings: Type.Optional(ListSchema),
    enableAcceptEncodingGzip: Type.Optional(Bool),
    enableAcceptEncodingBrotli: Type.Optional(Bool),
  },
  { additionalProperties: false },
);

export const OriginRequestHeadersSchema = Type.Union(
  [
    Type.Literal('none'),
    Type.Literal('allViewer'),
    Type.Object({ whitelist: Names(HeaderName) }, { additionalProperties: false }),
    Type.Object({ allExcept: Names(HeaderName) }, { additionalProperties: false }),
    /** Every viewer header plus the listed CloudFront-* headers (CloudFront's allViewerAndWhitelistCloudFront). */
    Type.Object({ allViewerAndCloudFront: Names(HeaderName) }, { additionalProperties: false }),
  ],
  {
    'x-union-text':
      'must be "none", "allViewer", { "whitelist": [...] }, { "allExcept": [...] } or { "allViewerAndCloudFront": [...] }',
  },
);

export const OriginRequestPolicySchema = Type.Object(
  {
    name: Type.Optional(Name),
    headers: Type.Optional(OriginRequestHeadersSchema),
    cookies: Type.Optional(ListSchema),
    queryStrings: Type.Optional(ListSchema),
  },
  { additionalProperties: false },
);

const HeaderList = Type.Array(HeaderName, { maxItems: 100 });
const Seconds = Type.Integer({ minimum: 0, maximum: 2_147_483_647 });

export const CorsSchema = Type.Object(
  {
    allowOrigins: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 100 }),
    allowHeaders: HeaderList,
    /** GET, DELETE, HEAD, OPTIONS, PATCH, POST, PUT or ALL. */
    allowMethods: Type.Array(literals(CORS_METHODS), { minItems: 1, maxItems: CORS_METHODS.length }),
    allowCredentials: Type.Optional(Bool),
    exposeHeaders: Type.Optional(HeaderList),
    maxAgeSec: Type.Optional(Seconds),
    originOverride: Type.Optional(Bool),
  },
  { additionalProperties: false },
);

const part = <P extends Parameters<typeof Type.Object>[0]>(props: P) =>
  Type.Object({ ...props, override: Bool }, { additionalProperties: false });

export const SecurityHeadersSchema = Type.Object(
  {
    contentSecurityPolicy: Type.Optional(
      part({ value: Type.String({ minLength: 1, maxLength: LIMITS.contentSecurityPolicyLength }) }),
    ),
    contentTypeOptions: Type.Optional(part({})),
    frameOptions: Type.Optional(part({ value: literals(['DENY', 'SAMEORIGIN'] as const) })),
    referrerPolicy: Type.Optional(part({ value: literals(REFERRER_POLICIES) })),
    strictTransportSecurity: Type.Optional(
      part({ maxAgeSec: Seconds, includeSubdomains: Type.Optional(Bool), preload: Type.Optional(Bool) }),
    ),
    xssProtection: Type.Optional(
      part({
        protection: Bool,
        modeBlock: Type.Optional(Bool),
        reportUri: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
      }),
    ),
  },
  { additionalProperties: false },
);

export const ResponseHeadersPolicySchema = Type.Object(
  {
    name: Type.Optional(Name),
    cors: Type.Optional(CorsSchema),
    securityHeaders: Type.Optional(SecurityHeadersSchema),
    customHeaders: Type.Optional(
      Type.Array(
        Type.Object(
          {
            header: HeaderName,
            value: Type.String({ maxLength: LIMITS.customHeaderValueLength }),
            override: Bool,
          },
          { additionalProperties: false },
        ),
        { maxItems: LIMITS.responseCustomHeaders },
      ),
    ),
    removeHeaders: Type.Optional(Type.Array(HeaderName, { maxItems: LIMITS.responseCustomHeaders })),
    serverTiming: Type.Optional(
      Type.Object(
        {
          enabled: Bool,
          /** 0–100 with at most 4 decimal places (the decimals: rules-policies.ts). */
          samplingRate: Type.Number({ minimum: 0, maximum: 100 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** A managed policy's name or ID (checked against the list in rules-policies.ts), or an inline policy. */
export const policyRef = <
  T extends typeof CachePolicySchema | typeof OriginRequestPolicySchema | typeof ResponseHeadersPolicySchema,
>(
  inline: T,
) =>
  // prettier-ignore
  Type.Union([Type.String({ minLength: 1 }), inline]);
