/**
 * @module runtime/python/spares
 * Booted, function-less interpreters kept ready (per data cap) while any Python runtime is open,
 * so a cold start costs only the function's own init and first event (~40 ms) instead of a new
 * process's boot (about 1 s on the 2-core bench VM: node, Pyodide's glue and WebAssembly, the
 * snapshot restore, the warm-up). Up to `count` spares per data cap; they boot one at a time, and a
 * replacement starts a moment after one is taken, so spares never compete for the CPU with the
 * cold start that took one.
 */
import type { Logger } from '../../shared/log.js';
import { Interpreter } from './interpreter.js';

interface Spare {
  boot: Promise<Interpreter>;
  /** Set once booted. */
  it?: Interpreter;
}

const spares = new Map<number, Spare[]>();
/** Data caps with a spare booting now (one boot at a time per cap). */
const booting = new Set<number>();
let retained = 0;
let target = 0;

/** The replacement spare boots this long after one is taken (see the module comment). */
const SPARE_DELAY_MS = 1_000;
/** A runtime closed and another opened soon after (tests, `verge dev` reloads) reuse the spares. */
const SPARE_LINGER_MS = 5_000;
let lingering: NodeJS.Timeout | undefined;

/** Boot one more spare for `dataMB` if below the target and none is booting; chains until full. */
function topUp(dataMB: number, logger: Logger): void {
  const list = spares.get(dataMB) ?? [];
  if (retained === 0 || booting.has(dataMB) || list.length >= target) return;
  booting.add(dataMB);
  const spare: Spare = { boot: Interpreter.start({ dataMB, logger }) };
  list.push(spare);
  spares.set(dataMB, list);
  spare.boot.then(
    (it) => {
      booting.delete(dataMB);
      spare.it = it;
      topUp(dataMB, logger);
    },
    () => {
      // No retry here: a boot that fails (no pyodide, no memory) would fail again at once.
      booting.delete(dataMB);
      const i = list.indexOf(spare);
      if (i >= 0) list.splice(i, 1);
    },
  );
}

/** A booted interpreter for `dataMB`: a ready spare, else one still booting, else a new one. */
export async function takeInterpreter(dataMB: number, logger: Logger): Promise<Interpreter> {
  const list = spares.get(dataMB) ?? [];
  if (retained > 0) setTimeout(() => topUp(dataMB, logger), SPARE_DELAY_MS).unref();
  for (;;) {
    const i = list.findIndex((s) => s.it && !s.it.dead);
    const spare = i >= 0 ? list.splice(i, 1)[0] : list.shift();
    if (!spare) break;
    const it = spare.it ?? (await spare.boot.catch(() => undefined));
    if (it && !it.dead) return it;
  }
  return Interpreter.start({ dataMB, logger });
}

/** Start booting spares for `dataMB` now (up to the target) instead of after the first cold start. */
export function fillSpares(dataMB: number, logger: Logger): void {
  topUp(dataMB, logger);
}

/** How many booted, live spares `dataMB` has. */
export function readySpares(dataMB: number): number {
  return (spares.get(dataMB) ?? []).filter((s) => s.it && !s.it.dead).length;
}

/** Resolves once the spares for `dataMB` are booted (benchmarks wait on it; never rejects). */
export async function spareReady(dataMB: number): Promise<void> {
  for (let i = 0; i < 64 && (booting.has(dataMB) || (spares.get(dataMB)?.some((s) => !s.it) ?? false)); i++)
    await Promise.all((spares.get(dataMB) ?? []).map((s) => s.boot.catch(() => undefined)));
}

/** A runtime opened: keep up to `count` spares per data cap (the largest count asked for wins). */
export function retainSpares(count = 1): void {
  retained++;
  target = Math.max(target, Math.max(0, Math.floor(count)));
  clearTimeout(lingering);
}

/** A runtime closed; when none is left, the spares go after SPARE_LINGER_MS. */
export function releaseSpares(): void {
  retained = Math.max(0, retained - 1);
  if (retained > 0) return;
  clearTimeout(lingering);
  lingering = setTimeout(() => {
    for (const list of spares.values())
      for (const s of list)
        void s.boot.then(
          (it) => it.kill(),
          () => {},
        );
    spares.clear();
    target = 0;
  }, SPARE_LINGER_MS);
  lingering.unref();
}
