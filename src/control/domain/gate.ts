/**
 * @module control/domain/gate
 * The deploy gate: before the control plane stores new code ($LATEST on create and update-code),
 * publishes a version, or attaches one, it loads the package on its own copy of the PoP engine
 * (`createFunctionRuntime`, the same build, compile and init step a PoP runs) with the settings
 * the PoPs will use (handler, limits, env, secrets, KeyValueStore). Code that does not load is
 * refused with FUNCTION_CODE_INVALID naming the file, line and column, so nothing broken reaches
 * a PoP and no snapshot is ever refused for a reason the control plane could have seen.
 *
 * A check that passed is remembered (`gateKey`: package hash, settings and event types) so
 * publishing the code just stored, or attaching the version just published for the same events,
 * costs no second load. Every caller's target goes through the one key: publish passes the
 * function record and attach the version's settings, which must key alike.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCloudFrontFunction } from '../../shared/config/functions.js';
import type { Clock } from '../../shared/clock.js';
import { VergeError } from '../../shared/errors.js';
import type { EventType, FunctionRuntime, FunctionRuntimeKind } from '../../shared/lambda-edge/index.js';
import type { Logger } from '../../shared/log.js';
import { canonicalJson } from '../../shared/replication/protocol.js';
import { createFunctionRuntime } from '../../runtime/host/index.js';
import type { SecretBox } from '../auth/secret-box.js';
import { sha256Hex } from '../compile/snapshot.js';
import type { Store } from '../store/types.js';
import { sourceFor, type TestTarget } from './function-test.js';
import { settingsOf } from './functions.js';

/** Where a load failure points: a file of the package, 1-based line and column when known. */
export interface CodeLocation {
  file: string;
  line: number;
  column?: number;
}

const REMEMBERED = 2000;

/** The events a check loads for: the widest limits of the function's kind (attach narrows them). */
export function defaultGateEvents(runtime: FunctionRuntimeKind): EventType[] {
  return isCloudFrontFunction(runtime) ? ['viewer-request'] : ['origin-request'];
}

/**
 * Find the file and line in a load error: esbuild's `file:line:col: message`, the first package
 * frame of a stack (`(index.js:3:7)`), or Python's `(index.py, line 2)`.
 */
export function locate(message: string, stack = ''): CodeLocation | undefined {
  const compiled = /^Could not compile the function: ([^\s:]+):(\d+):(\d+): /.exec(message);
  if (compiled) return { file: compiled[1]!, line: Number(compiled[2]), column: Number(compiled[3]) };
  const py = /\(([^(),]+\.py), line (\d+)\)/.exec(message);
  if (py) return { file: py[1]!.replace(/^\/var\/task\//, ''), line: Number(py[2]) };
  for (const frame of stack.split('\n').slice(1)) {
    const m = /\(?([^\s():]+\.(?:[cm]?js|[cm]?ts)):(\d+):(\d+)\)?\s*$/.exec(frame);
    if (m && !m[1]!.startsWith('file:') && !m[1]!.startsWith('/') && !frame.includes('verge:'))
      return { file: m[1]!, line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
}

/** What a passed check is remembered by: the settings alone, whatever record `t` carried them in. */
export function gateKey(t: Pick<TestTarget, 'sha256' | 'settings'>, events: readonly EventType[]): string {
  return sha256Hex(canonicalJson({ sha: t.sha256, settings: settingsOf(t.settings), events: [...events].sort() }));
}

export class CodeGate {
  readonly #o: { store: Store; box: SecretBox; clock: Clock; logger: Logger };
  #runtime: FunctionRuntime | null = null;
  readonly #passed = new Set<string>();
  #loads = 0;

  constructor(o: { store: Store; box: SecretBox; clock: Clock; logger: Logger }) {
    this.#o = o;
  }

  /**
   * Load `t` for `events` and unload it again; throws FUNCTION_CODE_INVALID (400) with the
   * location when it does not load. `what` names the step for the message ("create", "publish").
   */
  async check(t: TestTarget, what: string, events = defaultGateEvents(t.settings.runtime)): Promise<void> {
    const key = gateKey(t, events);
    if (this.#passed.has(key)) return;
    this.#loads++;
    const runtime = (this.#runtime ??= createFunctionRuntime({ clock: this.#o.clock }));
    const dir = await mkdtemp(join(tmpdir(), 'verge-gate-'));
    try {
      const source = await sourceFor(this.#o.store, this.#o.box, t, dir);
      const fn = await runtime.load(source, { eventTypes: events }).catch((e: unknown) => {
        throw refusal(t, what, e, Object.values(source.env ?? {}));
      });
      await runtime.unload(fn).catch(() => {});
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    if (this.#passed.size >= REMEMBERED) this.#passed.clear();
    this.#passed.add(key);
  }

  /** How many checks loaded code (a remembered pass loads nothing). */
  get loads(): number {
    return this.#loads;
  }

  async close(): Promise<void> {
    const r = this.#runtime;
    this.#runtime = null;
    await r?.close();
  }
}

function refusal(t: TestTarget, what: string, e: unknown, secretValues: string[]): VergeError {
  if (!(e instanceof VergeError) || e.code !== 'FUNCTION_LOAD_ERROR') return e as VergeError;
  let reason = e.message.replace(/^Function '[^']*' failed to initialize: /, '');
  // Never echo a secret the code printed into its own error.
  for (const v of secretValues.filter((s) => s.length > 0).sort((a, b) => b.length - a.length))
    reason = reason.split(v).join('***');
  const cause = e.cause as { stack?: string } | undefined;
  const at = locate(e.message, cause?.stack);
  const where = at ? `${at.file}:${at.line}${at.column === undefined ? '' : `:${at.column}`}: ` : '';
  const stripped = at ? reason.replace(/^Could not compile the function: [^\s:]+:\d+:\d+: /, '') : reason;
  const step =
    t.version === '$LATEST'
      ? `nothing was stored`
      : `the version was not ${what === 'attach' ? 'attached' : 'published'}`;
  // A refused create stored no function: there is nothing to update yet.
  const again =
    what === 'create'
      ? `verge functions create ${t.name} --code FILE`
      : `verge functions update-code ${t.name} --code FILE`;
  return new VergeError(
    'FUNCTION_CODE_INVALID',
    `${t.name}:${t.version} does not load on the edge engine (${what}): ${where}${stripped}. ${step}; fix the code and upload it again (${again})`,
    {
      details: {
        function: t.name,
        version: t.version,
        runtime: t.settings.runtime,
        error: stripped,
        ...(at ? { file: at.file, line: at.line, ...(at.column === undefined ? {} : { column: at.column }) } : {}),
        fields: [{ path: '$.code', message: `${where}${stripped}` }],
      },
    },
  );
}
