/**
 * @module runtime/guest/index
 * INSIDE the isolate: the entry of the guest runtime, built by the host (host/guest-code.ts)
 * into one script whose completion value is this module's exports. The host calls `init` once
 * per isolate with its handles (never stored on globals), then `load*` with the compiled user
 * module, then `invoke*` / `checkIdle*` per invocation.
 */
import { P, setHandles, setIdleListener, type HostReference } from './host.js';
import { makeConsole } from './console.js';
import { configureModules, makeProcess, requireModule } from './modules.js';
import * as timers from './timers.js';
import { checkIdle, configureLambda, invoke, loadUser, onIdle, onUncaught, type LambdaConfig } from './lambda.js';
import { checkIdleCff, invokeCff, loadCff, setupCff, type CffConfig } from './cff.js';
import { containWasm, hideGc, removeWasm } from './wasm.js';

interface GuestConfig {
  mode: 'lambda' | 'cff';
  builtins: string[];
  userBuiltins: string[];
  globals: Record<string, [string, string]>;
  env: Record<string, string>;
  lambda?: LambdaConfig;
  cff?: CffConfig;
}

const ASYNC_OPTS = { arguments: { copy: true }, result: { promise: true, copy: true } };

function define(name: string, value: unknown): void {
  P.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
}

export function init(
  call: (name: string, ...args: unknown[]) => unknown,
  callAsync: HostReference,
  op: (name: string, ...args: unknown[]) => unknown,
  opAsync: HostReference,
  configJson: string,
): void {
  setHandles({ call, callAsync, op, opAsync });
  hideGc();
  const cfg = P.parse(configJson) as GuestConfig;
  configureModules({ builtins: cfg.builtins, userBuiltins: cfg.userBuiltins, globals: cfg.globals });
  define('console', makeConsole(cfg.mode === 'cff'));
  define('global', globalThis);
  if (cfg.mode === 'cff') {
    removeWasm();
    setupCff(cfg.cff!);
    return;
  }
  timers.setSleep((id, ms) => opAsync.apply(undefined, ['sleep', id, ms], ASYNC_OPTS));
  timers.setUncaughtHandler(onUncaught);
  setIdleListener(onIdle);
  configureLambda(cfg.lambda!);
  containWasm(cfg.lambda!.memoryMB);
  define('process', makeProcess(cfg.env));
  for (const name of [
    'setTimeout',
    'setInterval',
    'setImmediate',
    'clearTimeout',
    'clearInterval',
    'clearImmediate',
    'queueMicrotask',
  ] as const) {
    define(name, timers[name]);
  }
  define('require', requireModule);
}

export { invoke, checkIdle, loadUser, invokeCff, checkIdleCff, loadCff };
