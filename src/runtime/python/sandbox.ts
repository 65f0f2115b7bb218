/**
 * @module runtime/python/sandbox
 * How a Python interpreter process is started, locked down (deps.md section 4's recipe that held):
 * a separate `node` process under the permission model, allowed to read only the Pyodide folder,
 * the guest folder and the memory snapshot; an empty environment; its own network namespace
 * (`unshare -n`: no network at all, not even loopback); a separate uid when we run as root (so
 * `process.kill` cannot reach the host's processes); and a data-segment cap (`prlimit --data`)
 * under which a growing WebAssembly heap fails with Python's MemoryError instead of eating the
 * host. Without a network namespace the sandbox refuses to start (an interpreter could reach the
 * host's ports through Pyodide's socket emulation) unless the operator opts out with
 * VERGE_PYTHON_UNSAFE_HOST_NETWORK=1, which is logged as a warning; other missing tools are logged
 * once and the remaining layers still apply.
 *
 * Also owns the memory snapshot (loadPyodide `_makeSnapshot` / `_loadSnapshot`, deps.md section 4):
 * made once in a sandboxed child, cached on disk, read by every new interpreter; and beside it the
 * verdict on whether it may be restored sparsely (guest/restore.mjs). Both live in the user's
 * private staging folder, `$TMPDIR/verge-<uid>/pyodide` (shared/private-dir.ts), checked before
 * every interpreter starts; entries older installs left there are pruned (stage.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VergeError } from '../../shared/errors.js';
import { silentLogger, type Logger } from '../../shared/log.js';
import { userStagingDir } from '../../shared/private-dir.js';
import { pruneStaging, stageForOther, type GuestPaths } from './stage.js';

export const GUEST_DIR = fileURLToPath(new URL('./guest/', import.meta.url));
export const RUNNER = join(GUEST_DIR, 'runner.mjs');

/** Memory an interpreter needs before user code runs (Pyodide's heap plus Node's), measured ~180 MB RSS. */
export const BASE_DATA_MB = 384;
const NOBODY = 65534;

export interface SandboxCaps {
  unshare: boolean;
  prlimit: boolean;
  setpriv: boolean;
  /** `unshare -S/-G` drops to nobody itself (same credentials as setpriv, one exec fewer). */
  unshareSetuid: boolean;
}

let caps: SandboxCaps | undefined;
let warned = false;

function works(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
  return r.status === 0;
}

/** Which isolation layers this host allows (probed once). */
export function sandboxCaps(logger?: Logger): SandboxCaps {
  if (!caps) {
    const root = process.getuid?.() === 0;
    caps = {
      unshare: works('unshare', ['-n', 'true']),
      prlimit: works('prlimit', ['--data=1073741824', '--', 'true']),
      setpriv: root && works('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--', 'true']),
      unshareSetuid: root && works('unshare', ['-n', '-S', `${NOBODY}`, '-G', `${NOBODY}`, 'true']),
    };
  }
  if (!warned && logger) {
    warned = true;
    const missing: string[] = [];
    if (!caps.unshare && hostNetworkAllowed())
      missing.push(
        `python sandbox: unshare -n is not permitted here and ${UNSAFE_HOST_NETWORK}=1 is set: interpreters keep the permission model but share the host network`,
      );
    if (!caps.prlimit) missing.push('python sandbox: prlimit is unavailable; memory is capped by watching RSS only');
    for (const m of missing) {
      logger.log('warn', m);
      // Also on stderr: the runtime is often created without a logger (verge invoke, the edge's default).
      if (logger === silentLogger) process.emitWarning(m);
    }
  }
  return caps;
}

let pyodideDirCache: string | undefined;
export function pyodideDir(): string {
  if (!pyodideDirCache) {
    const require = createRequire(import.meta.url);
    try {
      pyodideDirCache = dirname(require.resolve('pyodide/package.json'));
    } catch {
      throw new VergeError(
        'FUNCTION_LOAD_ERROR',
        'Python functions need the pyodide package (npm install pyodide@314.0.7)',
      );
    }
  }
  return pyodideDirCache;
}

/**
 * V8 flags for interpreters, measured on the 2-core bench VM (fresh process to first event):
 * - `--liftoff-only`: Pyodide runs on V8's baseline WebAssembly code only. Tier-up recompiled
 *   CPython's hot functions with TurboFan during boot and warm-up (300-900 ms of CPU and ~7,000
 *   page faults in the warm-up alone); the in-process handler call stays at 35-70 µs either way.
 * - `--single-threaded-gc`: no parallel GC helpers competing with the boot on two cores.
 * Not `--wasm-lazy-validation` (20% faster boots): Pyodide detects WebAssembly GC support by
 * compiling a module that must fail validation, and with lazy validation that failure comes later,
 * as a fatal CompileError when the function is first called.
 */
const BOOT_FLAGS = ['--liftoff-only', '--single-threaded-gc'];

/**
 * glibc's malloc asks for transparent huge pages (madvise mode) for its large blocks: the Pyodide
 * binary, the standard library and the snapshot buffer. On the bench VM a 4 KiB page fault costs
 * ~20 µs, and this removes ~13,000 of the ~35,000 faults of a boot. Not a host secret; the
 * runner deletes it from process.env first thing, so the interpreter still sees an empty environment.
 */
const BOOT_ENV = { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' };

/** How an interpreter restores the snapshot's memory image (guest/restore.mjs). */
export type RestoreMode = 'sparse' | 'check' | 'full';

const restoreModes = new Map<string, RestoreMode>();

/** `sparse` once a `check` boot of this snapshot found it exact, `full` if it did not, else `check`. */
export function restoreMode(snapshot: string): RestoreMode {
  let mode = restoreModes.get(snapshot);
  if (!mode) {
    const saved = existsSync(`${snapshot}.restore`) ? readFileSync(`${snapshot}.restore`, 'utf8').trim() : '';
    mode = saved === 'sparse' || saved === 'full' ? saved : 'check';
    restoreModes.set(snapshot, mode);
  }
  return mode;
}

/** The verdict of a `check` boot, kept beside the snapshot for every later interpreter. */
export function recordRestoreCheck(snapshot: string, sparseExact: boolean): void {
  const mode: RestoreMode = sparseExact ? 'sparse' : 'full';
  if (restoreModes.get(snapshot) === mode) return;
  restoreModes.set(snapshot, mode);
  const tmp = `${snapshot}.restore.${process.pid}.tmp`;
  writeFileSync(tmp, mode, { mode: 0o644 });
  renameSync(tmp, `${snapshot}.restore`);
}

export interface SpawnOptions {
  snapshot: string | '--make-snapshot';
  /** For a snapshot file: how to restore it (default `full`). */
  restore?: RestoreMode;
  /** Data-segment cap in MB (prlimit --data). */
  dataMB: number;
  logger?: Logger;
}

/** The operator's opt-out from the network namespace (docs/lambda-edge-compat.md, Isolation). */
export const UNSAFE_HOST_NETWORK = 'VERGE_PYTHON_UNSAFE_HOST_NETWORK';

export function hostNetworkAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[UNSAFE_HOST_NETWORK] === '1';
}

/**
 * The process layers in front of `node` (memory cap, no network, uid nobody) for these caps.
 * Refuses to go on without a network namespace unless the operator opted out.
 */
export function sandboxPrefix(c: SandboxCaps, dataMB: number, env: NodeJS.ProcessEnv = process.env): string[] {
  if (!c.unshare && !hostNetworkAllowed(env))
    throw new VergeError(
      'FUNCTION_LOAD_ERROR',
      `python sandbox: unshare -n is not permitted here, so an interpreter would share the host's network; ` +
        `allow unshare (CAP_SYS_ADMIN, or unprivileged user namespaces) or set ${UNSAFE_HOST_NETWORK}=1 to run without a network namespace`,
    );
  const prefix: string[] = [];
  if (c.prlimit) prefix.push('prlimit', `--data=${dataMB * 1024 * 1024}`, '--');
  if (c.unshare && c.unshareSetuid) prefix.push('unshare', '-n', '-S', `${NOBODY}`, '-G', `${NOBODY}`, '--');
  else {
    if (c.unshare) prefix.push('unshare', '-n');
    if (c.setpriv) prefix.push('setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--');
  }
  return prefix;
}

/** `node <nodeArgs>` under the sandbox's process layers (sandboxPrefix). */
export function sandboxedArgv(nodeArgs: readonly string[], dataMB: number, logger?: Logger): string[] {
  return [...sandboxPrefix(sandboxCaps(logger), dataMB), process.execPath, ...nodeArgs];
}

/**
 * Start one interpreter process: fd 3 IPC (only the snapshot comes back over it), fd 4 its output,
 * fd 5 commands and answers to its synchronous calls (guest/runner.mjs).
 */
export function spawnInterpreter(o: SpawnOptions): ChildProcess {
  const { guestDir, pyodideDir: dir } = guestPaths(o.logger);
  if (o.snapshot !== '--make-snapshot') touch(o.snapshot);
  const reads = [`--allow-fs-read=${dir}/*`, `--allow-fs-read=${guestDir}*`];
  if (o.snapshot !== '--make-snapshot') reads.push(`--allow-fs-read=${o.snapshot}`);
  const node = [
    '--experimental-permission',
    ...reads,
    '--no-warnings',
    '--max-old-space-size=128',
    ...BOOT_FLAGS,
    join(guestDir, 'runner.mjs'),
    dir,
    o.snapshot,
    ...(o.snapshot === '--make-snapshot' ? [] : [o.restore ?? 'full']),
  ];
  const argv = sandboxedArgv(node, o.dataMB, o.logger);
  return spawn(argv[0]!, argv.slice(1), {
    // Nothing of the host's environment; the one tunable is removed by the runner before Pyodide loads.
    env: { ...BOOT_ENV, ...(o.dataMB > 0 ? { VERGE_DATA_CAP_BYTES: String(o.dataMB * 1024 * 1024) } : {}) },
    cwd: guestDir,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc', 'pipe', 'pipe'],
    serialization: 'advanced',
  });
}

/** Whether interpreters run as another uid (nobody) than the host. */
function dropsUid(logger?: Logger): boolean {
  const c = sandboxCaps(logger);
  return c.setpriv || c.unshareSetuid;
}

/**
 * The user's staging folder for interpreters, checked (owner, mode, not a link) on every call:
 * 0700, or 0750 with nobody's group when interpreters drop to nobody and must read it.
 */
export function stagingDir(logger?: Logger): string {
  return userStagingDir('pyodide', dropsUid(logger) ? { readGid: NOBODY } : {});
}

/** Mark a staged entry as in use, so no other Verge of this user prunes it (stage.ts). */
function touch(path: string): void {
  const now = new Date();
  try {
    utimesSync(path, now, now);
  } catch {
    // Missing: the spawn that follows reports it.
  }
}

let staged: GuestPaths | undefined;

/**
 * Where interpreters read guest/ and pyodide from: the install itself, or, when they run as
 * nobody and the install sits in a folder nobody cannot enter, a copy in the staging folder
 * (stage.ts), re-checked before each use.
 */
function guestPaths(logger?: Logger): GuestPaths {
  const src = { guestDir: GUEST_DIR, pyodideDir: pyodideDir() };
  if (!dropsUid(logger)) return src;
  const dir = stagingDir(logger);
  // Pruned by another Verge of this user after long disuse: stage again.
  if (staged && staged !== src && !existsSync(join(dirname(staged.pyodideDir), 'ready'))) staged = undefined;
  if (staged) {
    if (staged !== src) touch(dirname(staged.pyodideDir));
    return staged;
  }
  const h = createHash('sha256');
  for (const f of readdirSync(GUEST_DIR).sort()) h.update(f).update(readFileSync(join(GUEST_DIR, f)));
  h.update(readFileSync(join(src.pyodideDir, 'package.json')));
  const probes = [RUNNER, join(src.pyodideDir, 'pyodide.asm.wasm')];
  staged = stageForOther(src, probes, dir, h.digest('hex').slice(0, 16), { uid: NOBODY, gid: NOBODY });
  if (staged !== src)
    logger?.log('info', 'python: the install is not readable by the interpreter uid; using a staged copy', {
      dir: dirname(staged.pyodideDir),
    });
  return staged;
}

function snapshotKey(): string {
  const h = createHash('sha256');
  h.update(readFileSync(join(pyodideDir(), 'package.json')));
  h.update(readFileSync(RUNNER));
  h.update(readFileSync(join(GUEST_DIR, 'shim.py')));
  h.update(process.version);
  return h.digest('hex').slice(0, 16);
}

let snapshotPromise: Promise<string> | undefined;

/** The cached memory snapshot's path, making it (about 2 s on a quiet machine) when missing. */
export function snapshotFile(logger?: Logger): Promise<string> {
  snapshotPromise ??= makeSnapshot(logger).catch((e) => {
    snapshotPromise = undefined;
    throw e;
  });
  return snapshotPromise;
}

async function makeSnapshot(logger?: Logger): Promise<string> {
  const dir = stagingDir(logger);
  const file = join(dir, `${snapshotKey()}.snap`);
  const keep = new Set([basename(file), `${basename(file)}.restore`]);
  if (staged && staged.pyodideDir !== pyodideDir()) keep.add(basename(dirname(staged.pyodideDir)));
  const removed = pruneStaging(dir, keep, Date.now());
  if (removed.length > 0) logger?.log('info', 'python: pruned unused snapshots and staged copies', { dir, removed });
  if (existsSync(file)) return file;
  const child = spawnInterpreter({
    snapshot: '--make-snapshot',
    dataMB: BASE_DATA_MB * 2,
    ...(logger ? { logger } : {}),
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + String(d)).slice(-4000)));
  const data = await new Promise<Uint8Array>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('making the Pyodide snapshot took over 120 s'));
    }, 120_000);
    child.on('message', (m: { t: string; data: Uint8Array }) => {
      if (m.t === 'snapshot') {
        clearTimeout(timer);
        resolve(m.data);
      }
    });
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`the snapshot process exited (${code ?? sig}): ${stderr.trim()}`));
    });
  });
  child.kill('SIGKILL');
  // A restore verdict left from an earlier file of the same name is not about this one.
  rmSync(`${file}.restore`, { force: true });
  restoreModes.delete(file);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode: 0o644 });
  renameSync(tmp, file);
  logger?.log('info', 'python: memory snapshot made', { file, bytes: data.byteLength });
  return file;
}
