/**
 * @module test/conformance/cache-tests-suite
 * Drives the HTTP caching conformance suite (the pinned copy of http-tests/cache-tests in
 * test/vendor/cache-tests; the npm release 0.4.5 lags) against any cache on loopback: starts the suite's origin (loopback
 * only), runs the suite's client against a base URL with an overall deadline, and tallies the
 * verdicts the suite's own grading logic gave. Used by `cache-tests.test.ts` (Verge, in CI) and
 * `bench/conformance-peers.ts` (Verge next to nginx and Varnish).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The vendored suite's folder (test/vendor/cache-tests, VENDORED.md says which commit). */
export function suiteDir(): string {
  return join(here, '..', 'vendor', 'cache-tests');
}

/** One of the suite's test groups (tests/*.mjs): its tests carry the ids results are keyed by. */
export interface SuiteGroup {
  name?: string;
  id?: string;
  tests: Array<{ id: string; [k: string]: unknown }>;
  [k: string]: unknown;
}

/** Every group the run uses: the suite's index (tests/index.mjs, as its cli.mjs runs them). */
export async function loadSuites(): Promise<SuiteGroup[]> {
  const index = (await import(pathToFileURL(join(suiteDir(), 'tests', 'index.mjs')).href)) as { default: unknown };
  return index.default as SuiteGroup[];
}

/** The ids of every test in the suite (what the ratchet may list). */
export async function suiteIds(): Promise<Set<string>> {
  return new Set((await loadSuites()).flatMap((g) => g.tests.map((t) => t.id)));
}

/** The suite's verdict symbols (test-engine/lib/results.mjs `resultTypes`) and the names we report them by. */
export const VERDICTS: Record<string, Category> = {
  '✅': 'pass',
  '⛔️': 'fail',
  '⚠️': 'optional_fail',
  Y: 'yes',
  N: 'no',
  '🔹': 'setup_fail',
  '⁉️': 'harness_fail',
  '⚪️': 'dependency_fail',
  '↻': 'retry',
  '-': 'untested',
};
export type Category =
  | 'pass'
  | 'fail'
  | 'optional_fail'
  | 'yes'
  | 'no'
  | 'setup_fail'
  | 'harness_fail'
  | 'dependency_fail'
  | 'retry'
  | 'untested';
export const CATEGORY_ORDER: Category[] = [
  'pass',
  'fail',
  'optional_fail',
  'yes',
  'no',
  'dependency_fail',
  'setup_fail',
  'harness_fail',
  'retry',
  'untested',
];

export interface SuiteRun {
  /** Raw results: test id → `true` or `[errorType, message]`. */
  results: Record<string, true | [string, string]>;
  /** Test id → category, graded by the suite's `determineTestResult()`. */
  verdicts: Record<string, Category>;
  /** True when the deadline cut the run short (results are partial). */
  timedOut: boolean;
}

export interface Summary {
  /** Tests graded ✅ (required or optimal behaviour present). */
  passed: number;
  /** Tests that produced a result. */
  total: number;
  counts: Record<Category, number>;
}

export interface SuiteOrigin {
  port: number;
  url: string;
  output(): string;
  close(): Promise<void>;
}

function spawnTs(file: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(here, file), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
}

function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

/** Start the suite's origin server on 127.0.0.1 (a free port unless one is given). */
export function startSuiteOrigin(port = 0, timeoutMs = 20_000): Promise<SuiteOrigin> {
  const proc = spawnTs('cache-tests-origin.ts', [String(port)]);
  let out = '';
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => {
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(new Error(`cache-tests origin ${why}:\n${out}`));
    };
    const timer = setTimeout(() => fail(`did not start within ${timeoutMs} ms`), timeoutMs);
    proc.on('exit', (code) => fail(`exited with code ${code}`));
    proc.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    proc.stdout!.on('data', (d: Buffer) => {
      out = (out + d.toString()).slice(-20_000);
      const m = /listening (\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      proc.removeAllListeners('exit');
      const p = Number(m[1]);
      resolve({ port: p, url: `http://127.0.0.1:${p}`, output: () => out, close: () => stopChild(proc) });
    });
  });
}

export interface RunOptions {
  /** Kill the client and keep the partial results after this long. */
  deadlineMs?: number;
  fetchTimeoutMs?: number;
  /** Run one test, with the suite's request/response dump on `onOutput`. */
  testId?: string;
  onOutput?: (text: string) => void;
}

/** Run the suite's client against `base` (`http://host:port`, no trailing slash). */
export function runSuite(base: string, o: RunOptions = {}): Promise<SuiteRun> {
  const proc = spawnTs('cache-tests-client.ts', [], {
    CACHE_TESTS_BASE: base,
    CACHE_TESTS_FETCH_TIMEOUT_MS: String(o.fetchTimeoutMs ?? 10_000),
    CACHE_TESTS_ID: o.testId ?? '',
  });
  let out = '';
  let err = '';
  let timedOut = false;
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    o.onOutput?.(d.toString());
  });
  proc.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-20_000)));
  const deadline = setTimeout(() => {
    timedOut = true;
    proc.kill('SIGTERM'); // the client prints what it has on SIGTERM
    setTimeout(() => proc.kill('SIGKILL'), 5000).unref();
  }, o.deadlineMs ?? 120_000);
  return new Promise((resolve, reject) => {
    proc.on('exit', (code) => {
      clearTimeout(deadline);
      const line = out
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{"results"'));
      if (!line)
        return reject(new Error(`cache-tests client gave no results (exit ${code}):\n${err}\n${out.slice(-4000)}`));
      const parsed = JSON.parse(line) as { results: SuiteRun['results']; verdicts: Record<string, string> };
      const verdicts: Record<string, Category> = {};
      for (const [id, sym] of Object.entries(parsed.verdicts)) verdicts[id] = VERDICTS[sym] ?? 'harness_fail';
      resolve({ results: parsed.results, verdicts, timedOut });
    });
  });
}

export function summarise(run: SuiteRun): Summary {
  const counts = Object.fromEntries(CATEGORY_ORDER.map((c) => [c, 0])) as Record<Category, number>;
  for (const c of Object.values(run.verdicts)) counts[c]++;
  return { passed: counts.pass, total: Object.keys(run.verdicts).length, counts };
}

/** `cache-tests: 158 passed of 350` plus one line with every non-zero category. */
export function formatSummary(s: Summary, label = 'cache-tests'): string {
  const parts = CATEGORY_ORDER.filter((c) => s.counts[c] > 0).map((c) => `${c} ${s.counts[c]}`);
  return `${label}: ${s.passed} passed of ${s.total}\n  ${parts.join(', ')}`;
}
