/**
 * @module shared/lambda-edge/runtime
 * The FunctionRuntime interface: the only way the edge (and `verge invoke`) runs user code.
 * The edge calls it at the four hook points; implementations live in src/runtime/host.
 * It knows events and results, never HTTP, and does not assume JavaScript (Python plugs in
 * behind the same interface).
 */
import type { EgressConfig } from '../config/egress.js';
import type { CfEvent, CfRequest, CfResponse, EventType } from './events.js';

export type FunctionRuntimeKind = 'nodejs' | 'python' | 'cloudfront-js-2.0' | 'cloudfront-js-1.0';
export type LimitProfileName = 'cloudfront' | 'relaxed';

export interface FunctionSource {
  /** Stable identity of the code: a content hash (managed mode) or an absolute path (static mode). */
  id: string;
  /** The function's name (context.functionName is derived from it). */
  name: string;
  /** A numbered version as a string; "$LATEST" only in static mode and `verge invoke`. */
  version: string;
  runtime: FunctionRuntimeKind;
  /** `file.export` for Lambda@Edge (default `index.handler`); ignored for CloudFront Functions. */
  handler: string;
  /** A `.js/.mjs/.cjs/.ts/.py` file, a folder, or a `.zip`; or the files themselves in memory. */
  code: { path: string } | { files: Record<string, string | Uint8Array> };
  /** Environment variables (our extension), visible as process.env / os.environ. */
  env?: Record<string, string>;
  /** Names in `env` whose values are secret: redacted from every log line. */
  secretNames?: string[];
  profile?: LimitProfileName;
  /** Per-function limits inside the profile's envelope. */
  overrides?: { timeoutMs?: number; memoryMB?: number; concurrency?: number };
  /** CloudFront Functions KeyValueStore backing data (static mode: a JSON file). */
  kvs?: { id: string; path?: string; data?: Record<string, string> };
  /** Where the function's outbound requests may go beyond public addresses (docs/security.md). */
  egress?: EgressConfig;
}

export interface LoadedFunction {
  readonly source: FunctionSource;
  /** Compressed package size in bytes, as checked against the profile. */
  readonly packageBytes: number;
}

export interface InvokeInput {
  eventType: EventType;
  /** Always Lambda@Edge-shaped; the runtime adapts it for CloudFront Functions. */
  event: CfEvent;
  /** The distribution's origins by id, for CloudFront Functions' origin helpers. */
  originIds?: readonly string[];
}

export interface FunctionLogLine {
  time: number;
  level: 'log' | 'info' | 'warn' | 'error' | 'debug';
  message: string;
  requestId: string;
}

export type FunctionErrorCode =
  | 'LAMBDA_EXECUTION_ERROR'
  | 'LAMBDA_VALIDATION_ERROR'
  | 'LAMBDA_LIMIT_EXCEEDED'
  | 'FUNCTION_EXECUTION_ERROR'
  | 'FUNCTION_VALIDATION_ERROR'
  | 'FUNCTION_THROTTLED';

interface InvokeCommon {
  logs: FunctionLogLine[];
  durationMs: number;
  coldStart: boolean;
  /** CloudFront Functions only: CPU time as a percentage of the compute budget (spec 4.2). */
  computeUtilization?: number;
}

export type InvokeResult =
  | (InvokeCommon & {
      ok: true;
      /** `request`: continue with this request. `response`: a generated or modified response. */
      kind: 'request' | 'response';
      value: CfRequest | CfResponse;
      /** CloudFront Functions only: an origin chosen by the function (updateRequestOrigin etc.). */
      originOverride?: {
        originId?: string;
        domainName?: string;
        originPath?: string;
        customHeaders?: Record<string, string>;
        /** createRequestOriginGroup: two origin ids and the statuses that fail over. */
        originGroup?: { originIds: string[]; failoverStatusCodes: number[] };
      };
    })
  | (InvokeCommon & {
      ok: false;
      code: FunctionErrorCode;
      /** The exact reason, for the log (CloudFront-style text). */
      message: string;
    });

export interface FunctionRuntime {
  /** Compile, check sizes against the profile, and pre-warm. Throws VergeError FUNCTION_LOAD_ERROR. */
  load(source: FunctionSource, opts: { eventTypes: readonly EventType[] }): Promise<LoadedFunction>;
  /** Run one event. Never throws for a function's own failure: that is an `ok: false` result. */
  invoke(fn: LoadedFunction, input: InvokeInput): Promise<InvokeResult>;
  unload(fn: LoadedFunction): Promise<void>;
  close(): Promise<void>;
}
