/**
 * @module control/api/resources
 * The answers' shapes as schemas (docs/api.md "Resources"): the OpenAPI document shows them as
 * the success responses, and the scenario tests check real answers against them, so the
 * document, the views in `../domain` and the client's types (src/client/types.ts) stay in step.
 * Closed objects (`additionalProperties: false`): a field added to a view without adding it here
 * fails those tests.
 */
import { RUNTIMES } from '../domain/functions.js';
import { S, type Schema } from './schema.js';

const SHA256: Schema = { type: 'string', pattern: '^[0-9a-f]{64}$' };
const ETAG: Schema = { type: 'string', description: 'the revision, `"r<N>"`; send it back as If-Match' };

/** What falls back to the limit profile's value when null. */
const unsetIsProfile = (what: string, type: 'integer' | 'string'): Schema => ({
  type: [type, 'null'],
  description: `${what}; null when unset (the profile's value applies)`,
});

export const VERSION: Schema = {
  type: 'object',
  properties: {
    version: { type: 'integer', minimum: 1 },
    sha256: SHA256,
    size: { type: 'integer', minimum: 0, description: 'bytes of the zip' },
    createdAt: S.iso,
    description: { type: 'string' },
  },
  required: ['version', 'sha256', 'size', 'createdAt', 'description'],
  additionalProperties: false,
};

export const FUNCTION: Schema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    runtime: { type: 'string', enum: RUNTIMES },
    handler: { type: 'string' },
    memoryMB: unsetIsProfile('memory in MB', 'integer'),
    timeoutMs: unsetIsProfile('timeout in ms', 'integer'),
    profile: { ...unsetIsProfile('the limit profile', 'string'), enum: ['cloudfront', 'relaxed'] },
    concurrency: unsetIsProfile('instances per PoP', 'integer'),
    kvs: { type: ['string', 'null'], description: 'the KeyValueStore (cloudfront-js-2.0 only); null for none' },
    egress: {
      type: ['object', 'null'],
      description: 'the egress allow-list (docs/security.md); null: public addresses only',
      properties: { allow: { type: 'array', items: { type: 'string' } } },
      required: ['allow'],
      additionalProperties: false,
    },
    env: { type: 'object', additionalProperties: { type: 'string' } },
    secrets: {
      type: 'object',
      description: 'names only: values are always ***',
      additionalProperties: { enum: ['***'] },
    },
    codeSha256: { ...SHA256, description: 'the sha256 of $LATEST' },
    codeSize: { type: 'integer', minimum: 0 },
    lastModified: S.iso,
    versionCount: { type: 'integer', minimum: 0, description: 'how many numbered versions are published' },
    latestVersion: { type: ['integer', 'null'], description: 'the newest version number; null before the first' },
    versions: {
      type: 'array',
      items: VERSION,
      description:
        'every version, oldest first; in single-function answers only (GET /functions has the count and the latest)',
    },
    etag: ETAG,
  },
  required: [
    'name',
    'runtime',
    'handler',
    'memoryMB',
    'timeoutMs',
    'profile',
    'concurrency',
    'kvs',
    'egress',
    'env',
    'secrets',
    'codeSha256',
    'codeSize',
    'lastModified',
    'versionCount',
    'latestVersion',
    'etag',
  ],
  additionalProperties: false,
};

export const DISTRIBUTION: Schema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    config: { type: 'object', description: 'the config (docs/configuration.md) without function associations' },
    status: { type: 'string', enum: ['InProgress', 'Deployed'] },
    pending: {
      type: 'array',
      items: { type: 'string' },
      description: 'the registered PoPs that have not applied the snapshot carrying the last change',
    },
    statusText: {
      type: 'string',
      description: 'the status in words: who is pending, and how to remove a PoP that is gone for good',
    },
    snapshot: { type: 'integer', minimum: 0, description: 'the snapshot that carries the last change' },
    generation: {
      type: 'integer',
      minimum: 0,
      description: 'the generation PoPs activate and acknowledge (the snapshot that carries the last change)',
    },
    pops: {
      type: 'object',
      description: 'per PoP: Deployed, InProgress or Refused (with why), and the generation it serves',
      additionalProperties: {
        type: 'object',
        properties: {
          status: { type: 'string', enum: ['Deployed', 'InProgress', 'Refused'] },
          generation: { type: ['integer', 'null'], minimum: 0 },
          error: { type: ['string', 'null'] },
          at: { type: ['string', 'null'], description: 'ISO 8601: when the PoP reached this state' },
        },
        required: ['status', 'generation', 'error', 'at'],
        additionalProperties: false,
      },
    },
    lastModified: S.iso,
    etag: ETAG,
  },
  required: [
    'id',
    'config',
    'status',
    'pending',
    'statusText',
    'snapshot',
    'generation',
    'pops',
    'lastModified',
    'etag',
  ],
  additionalProperties: false,
};

export const PUBLIC_KEY: Schema = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'the public key id, sent by signers as Key-Pair-Id (e.g. K2JCJMDEHXQW5F)' },
    name: { type: 'string' },
    encodedKey: { type: 'string', description: 'the RSA 2048-bit public key, PEM' },
    comment: { type: 'string' },
    createdTime: S.iso,
  },
  required: ['id', 'name', 'encodedKey', 'comment', 'createdTime'],
  additionalProperties: false,
};

export const KEY_GROUP: Schema = {
  type: 'object',
  properties: {
    id: { type: 'string', description: "the key group id (a UUID) that behaviors' trustedKeyGroups name" },
    name: { type: 'string' },
    comment: { type: 'string' },
    publicKeyIds: { type: 'array', items: { type: 'string' }, description: '1–5 public key ids' },
    lastModifiedTime: S.iso,
    etag: ETAG,
  },
  required: ['id', 'name', 'comment', 'publicKeyIds', 'lastModifiedTime', 'etag'],
  additionalProperties: false,
};

export const POP: Schema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    region: { type: 'string' },
    location: { type: ['string', 'null'] },
    edgeVersion: { type: 'string' },
    appliedVersion: { type: 'integer', minimum: 0, description: 'the newest snapshot it acknowledged' },
    lastSeen: S.iso,
    connected: { type: 'boolean', description: 'it holds a watch stream open now' },
    health: { type: 'string', enum: ['healthy', 'stale', 'down'] },
  },
  required: ['id', 'region', 'location', 'edgeVersion', 'appliedVersion', 'lastSeen', 'connected', 'health'],
  additionalProperties: false,
};

/** `{ items: [...] }`, the shape of every list answer. */
export function itemsOf(item: Schema): Schema {
  return {
    type: 'object',
    properties: { items: { type: 'array', items: item } },
    required: ['items'],
    additionalProperties: false,
  };
}
