/**
 * @module control/store/types
 * The control plane's persistence interface. Everything `verge control` knows lives behind it
 * (DESIGN 4: the control plane keeps no state outside its store), grouped by resource. SQLite
 * (`./sqlite/`) implements the synchronous `SyncStore` (better-sqlite3 is synchronous) and, over it,
 * `Store`, the asynchronous interface that PostgreSQL (`./postgres/`) implements too, so several control
 * replicas can share one database (DESIGN 4, "Beyond one machine"); `./contract.ts` is what both
 * implementations pass. `tx` makes a group of writes atomic. Times are epoch milliseconds. Nothing
 * is deleted except by the explicit `delete*` methods. Logs and metric points are not in it: they
 * go to the telemetry sink (`../telemetry/sink.ts`), which has its own file or pool.
 */
import type { EgressConfig } from '../../shared/config/egress.js';
import type { DistributionConfig } from '../../shared/config/types.js';
import type { EventType, FunctionRuntimeKind, LimitProfileName } from '../../shared/lambda-edge/index.js';
import type { OutboxEvent } from '../../shared/bus/messages.js';
import type { LogRecord, MetricPoint } from '../../shared/replication/protocol.js';
import type { CanaryRecord } from '../domain/canary.js';

export type TokenKind = 'admin' | 'edge';

export interface TokenRecord {
  id: string;
  name: string;
  kind: TokenKind;
  /** The PoP an edge token is bound to; null for admin tokens. */
  pop: string | null;
  /** sha256 (hex) of the token: the token itself is never stored. */
  hash: string;
  createdAt: number;
  revokedAt: number | null;
}

/** The runtimes the API accepts: every runtime the edge runs. */
export type FunctionRuntimeName = FunctionRuntimeKind;

/** Function settings that are copied into a version when it is published. */
export interface FunctionSettings {
  runtime: FunctionRuntimeName;
  handler: string;
  memoryMB: number | null;
  timeoutMs: number | null;
  profile: LimitProfileName | null;
  concurrency: number | null;
  env: Record<string, string>;
  /** Secret values encrypted with the control plane's key (`SecretBox`), never plain text. */
  secrets: Record<string, string>;
  /** A KeyValueStore name (CloudFront Functions only). */
  kvs: string | null;
  /** The egress allow-list (hosts, addresses, CIDR blocks); null: public addresses only. */
  egress: EgressConfig | null;
}

export interface FunctionRecord extends FunctionSettings {
  name: string;
  /** `$LATEST` code: a zip in the blob store. */
  codeSha256: string;
  codeSize: number;
  revision: number;
  createdAt: number;
  updatedAt: number;
}

export interface VersionRecord {
  name: string;
  version: number;
  sha256: string;
  size: number;
  description: string;
  createdAt: number;
  settings: FunctionSettings;
}

export interface DistributionRecord {
  id: string;
  /** The config without function associations (those are triggers). */
  config: DistributionConfig;
  revision: number;
  /** The snapshot version that carried this distribution's last change (0 = none yet). */
  changedIn: number;
  createdAt: number;
  updatedAt: number;
}

export interface TriggerRecord {
  id: string;
  distributionId: string;
  /** A cache behavior's pathPattern, or `default`. */
  behavior: string;
  eventType: EventType;
  functionName: string;
  functionVersion: number;
  includeBody: boolean;
  revision: number;
  createdAt: number;
  /**
   * A canary (domain/canary.ts): while it is stepping or holding, its version runs for its
   * share of viewers and `functionName:functionVersion` (the version attached before) for the
   * rest. Kept after it ends (promoted, rolled back) to show what happened; null when never set.
   */
  canary: CanaryRecord | null;
}

export interface KvsRecord {
  name: string;
  data: Record<string, string>;
  revision: number;
  createdAt: number;
  updatedAt: number;
}

/** A public key for signed URLs and cookies (CloudFront's PublicKey); `id` is the `Key-Pair-Id`. */
export interface PublicKeyRecord {
  id: string;
  name: string;
  /** PEM, RSA 2048-bit. */
  encodedKey: string;
  comment: string;
  createdAt: number;
}

/** A key group (CloudFront's KeyGroup): what a cache behavior's `trustedKeyGroups` names. */
export interface KeyGroupRecord {
  id: string;
  name: string;
  comment: string;
  publicKeyIds: string[];
  revision: number;
  createdAt: number;
  updatedAt: number;
}

export interface PopRecord {
  id: string;
  region: string;
  location: string | null;
  edgeVersion: string;
  /** The newest snapshot the PoP acknowledged as applied (0 = none). */
  appliedVersion: number;
  lastSeen: number;
  registeredAt: number;
}

export interface SnapshotRecord {
  version: number;
  createdAt: number;
  checksum: string;
  reason: string;
  /** The Snapshot JSON as stored: secret values stay encrypted (`SecretBox`) until served to an edge. */
  document: string;
}

export interface AckRecord {
  version: number;
  pop: string;
  ok: boolean;
  error: string | null;
  at: number;
}

/** The latest per-distribution acknowledgement from one PoP. */
export interface DistributionAckRecord {
  pop: string;
  distributionId: string;
  /** The generation the PoP serves (0: none). */
  generation: number;
  /** The generation it was last asked for. */
  wanted: number;
  ok: boolean;
  error: string | null;
  /** When the row last changed. */
  at: number;
}

export interface InvalidationRecord {
  id: string;
  distributionId: string;
  paths: string[];
  tags: string[];
  createdAt: number;
  /** Insertion order, so a watcher can ask for "everything after the one I saw". */
  seq: number;
}

/** A change edges must hear about, written in the transaction that made it (migration 006). */
export interface OutboxRecord {
  /** Commit order across every replica (writers hold the store's write lock). */
  seq: number;
  event: OutboxEvent;
  createdAt: number;
  /** When the NATS relay published it; null until then (and always, without NATS). */
  relayedAt: number | null;
}

export interface InvalidationAckRecord {
  id: string;
  pop: string;
  removed: number;
  at: number;
}

export interface StoredLogRecord extends LogRecord {
  id: number;
}

export interface LogFilter {
  function?: string;
  version?: string;
  distribution?: string;
  pop?: string;
  status?: number;
  requestId?: string;
  type?: LogRecord['type'];
  since?: number;
  until?: number;
  /** Only records with an id above this (tail). */
  afterId?: number;
  limit: number;
}

export interface StoredMetricPoint extends MetricPoint {
  pop: string;
}

export interface MetricFilter {
  kind: MetricPoint['kind'];
  since: number;
  until: number;
  pop?: string;
  /** Every label given must match. */
  labels: Record<string, string>;
}

export interface TokenRepo {
  insert(t: TokenRecord): void;
  byHash(hash: string): TokenRecord | undefined;
  get(id: string): TokenRecord | undefined;
  list(): TokenRecord[];
  revoke(id: string, at: number): void;
}

export interface FunctionRepo {
  get(name: string): FunctionRecord | undefined;
  list(): FunctionRecord[];
  insert(f: FunctionRecord): void;
  update(f: FunctionRecord): void;
  /** Removes the function and its versions; their bundles stay until `collectBundles` (domain/bundles.ts) decides. */
  delete(name: string): void;
  versions(name: string): VersionRecord[];
  version(name: string, version: number): VersionRecord | undefined;
  insertVersion(v: VersionRecord): void;
  /** Which of `sha256s` some function's $LATEST or version still uses. */
  bundlesInUse(sha256s: readonly string[]): Set<string>;
  /** Every function's version count and newest version number, in one query (functions without versions are absent). */
  versionSummaries(): Map<string, { count: number; latest: number }>;
}

export interface BlobRepo {
  /**
   * Content-addressed: a second put of the same sha256 changes nothing while the stored bytes
   * hash to it, and rewrites them when they do not (damaged in the store), so uploading the same
   * bytes again repairs them. The caller hashes `data`; the repository does not check it.
   */
  put(sha256: string, kind: 'bundle' | 'kvs', data: Uint8Array): void;
  get(sha256: string): { kind: 'bundle' | 'kvs'; data: Buffer } | undefined;
  /** Deletes the blob when it is of `kind`; true when it did. */
  delete(sha256: string, kind: 'bundle' | 'kvs'): boolean;
}

export interface DistributionRepo {
  get(id: string): DistributionRecord | undefined;
  list(): DistributionRecord[];
  insert(d: DistributionRecord): void;
  update(d: DistributionRecord): void;
  delete(id: string): void;
  setChangedIn(id: string, version: number): void;
}

export interface TriggerRepo {
  get(id: string): TriggerRecord | undefined;
  list(filter?: { distributionId?: string; functionName?: string }): TriggerRecord[];
  /** Inserts, first deleting the trigger with the same distribution + behavior + event type. */
  replace(t: TriggerRecord): TriggerRecord | undefined;
  delete(id: string): void;
}

export interface KvsRepo {
  get(name: string): KvsRecord | undefined;
  list(): KvsRecord[];
  insert(k: KvsRecord): void;
  update(k: KvsRecord): void;
  delete(name: string): void;
}

export interface PublicKeyRepo {
  get(id: string): PublicKeyRecord | undefined;
  byName(name: string): PublicKeyRecord | undefined;
  list(): PublicKeyRecord[];
  insert(k: PublicKeyRecord): void;
  delete(id: string): void;
}

export interface KeyGroupRepo {
  get(id: string): KeyGroupRecord | undefined;
  byName(name: string): KeyGroupRecord | undefined;
  list(): KeyGroupRecord[];
  insert(g: KeyGroupRecord): void;
  update(g: KeyGroupRecord): void;
  delete(id: string): void;
}

export interface PopRepo {
  get(id: string): PopRecord | undefined;
  list(): PopRecord[];
  upsert(p: PopRecord): void;
  touch(id: string, at: number): void;
  setApplied(id: string, version: number): void;
  /** Forgets the PoP (its acks stay, as history). */
  delete(id: string): void;
}

export interface SnapshotRepo {
  latestVersion(): number;
  get(version: number): SnapshotRecord | undefined;
  /** Newest first. */
  list(limit: number): SnapshotRecord[];
  insert(s: SnapshotRecord): void;
  putAck(a: AckRecord): void;
  acks(version: number): AckRecord[];
  putDistributionAck(a: DistributionAckRecord): void;
  /** The latest per-PoP acknowledgements of one distribution (all distributions when omitted). */
  distributionAcks(distributionId?: string): DistributionAckRecord[];
  /** Which of `sha256s` some stored snapshot lists among its bundles. */
  bundlesInUse(sha256s: readonly string[]): Set<string>;
}

export interface InvalidationRepo {
  /** Assigns `seq`. */
  insert(i: Omit<InvalidationRecord, 'seq'>): InvalidationRecord;
  get(id: string): InvalidationRecord | undefined;
  list(distributionId?: string): InvalidationRecord[];
  /** Invalidations with seq above `afterSeq` that `pop` has not acknowledged, oldest first. */
  unackedSince(pop: string, afterSeq: number): InvalidationRecord[];
  lastSeq(): number;
  putAck(a: InvalidationAckRecord): void;
  acks(id: string): InvalidationAckRecord[];
}

export interface OutboxRepo {
  /** Appends a row; call it inside the transaction that makes the change. Returns its seq. */
  add(event: OutboxEvent, at: number): number;
  /** Rows with seq above `afterSeq`, oldest first. */
  after(afterSeq: number, limit: number): OutboxRecord[];
  lastSeq(): number;
  /** Rows not yet relayed, oldest first. */
  unrelayed(limit: number): OutboxRecord[];
  markRelayed(seqs: readonly number[], at: number): void;
  /** Deletes rows created before `before`, relayed or not; returns the count. */
  prune(before: number): number;
}

/** The telemetry tables' statements; the telemetry sink (../telemetry/sink.ts) uses them on its own connection. */
export interface TelemetryRepo {
  /** Records a batch id; false when it was seen before (the batch is a duplicate). */
  claimBatch(batchId: string, kind: 'logs' | 'metrics', pop: string, at: number): boolean;
  insertLogs(records: readonly LogRecord[]): void;
  queryLogs(f: LogFilter): StoredLogRecord[];
  insertPoints(pop: string, points: readonly MetricPoint[]): void;
  queryPoints(f: MetricFilter): StoredMetricPoint[];
  /** Deletes log records, metric points and batch ids older than `before`; returns the count. */
  prune(before: number): number;
}

/** SQLite's repositories as better-sqlite3 gives them (synchronous); `Store` is what callers use. */
export interface SyncStore {
  tokens: TokenRepo;
  functions: FunctionRepo;
  blobs: BlobRepo;
  distributions: DistributionRepo;
  triggers: TriggerRepo;
  kvs: KvsRepo;
  publicKeys: PublicKeyRepo;
  keyGroups: KeyGroupRepo;
  pops: PopRepo;
  snapshots: SnapshotRepo;
  invalidations: InvalidationRepo;
  outbox: OutboxRepo;
  /** Runs `fn` atomically: every write in it lands, or none does. */
  tx<T>(fn: () => T): T;
  close(): void;
}

/** A repository whose methods answer with promises: the same methods, records and meaning. */
export type Async<R> = {
  [K in keyof R]: R[K] extends (...args: infer A) => infer T ? (...args: A) => Promise<T> : never;
};

export type StoreKind = 'sqlite' | 'postgres';

/**
 * The store as several control replicas can share it. Inside `tx(fn)`, every call `fn` makes on
 * this store (directly or through anything it awaits) joins the transaction; calls made outside
 * it never see its writes before commit. Write transactions are serialized across every
 * instance on the same database (PostgreSQL: an advisory lock; SQLite: one writer), so a
 * read-check-write (`If-Match` against `revision`, `latestVersion() + 1`) inside one is safe.
 * A `tx` inside a `tx` is a savepoint: its failure undoes its own writes only.
 */
export interface Store {
  kind: StoreKind;
  tokens: Async<TokenRepo>;
  functions: Async<FunctionRepo>;
  blobs: Async<BlobRepo>;
  distributions: Async<DistributionRepo>;
  triggers: Async<TriggerRepo>;
  kvs: Async<KvsRepo>;
  publicKeys: Async<PublicKeyRepo>;
  keyGroups: Async<KeyGroupRepo>;
  pops: Async<PopRepo>;
  snapshots: Async<SnapshotRepo>;
  invalidations: Async<InvalidationRepo>;
  outbox: Async<OutboxRepo>;
  tx<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Hands up to `limit` unrelayed outbox rows, oldest first, to `publish` and marks them relayed
   * at `at` once it resolves (a rejection marks nothing). Across every instance on the database
   * one relays at a time, in seq order; another caller meanwhile gets 0 at once. Returns the count.
   */
  relayOutbox(publish: (rows: OutboxRecord[]) => Promise<void>, limit: number, at: number): Promise<number>;
  /**
   * Calls `wake` soon after any instance on the database commits outbox rows (PostgreSQL: LISTEN
   * on a channel the insert NOTIFYs in the same transaction). SQLite has one instance and never
   * calls it. Resolves to a function that stops listening.
   */
  onOutbox(wake: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
