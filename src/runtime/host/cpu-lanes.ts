/**
 * @module runtime/host/cpu-lanes
 * How many isolates may run JavaScript off the main thread at once. isolated-vm runs each async
 * call on its own thread pool (cores + 1 threads, more on demand), so four requests to a
 * function that spins 45 ms kept four threads busy on a 2-core PoP and the edge's main thread,
 * which serves every other request, got a fifth of the CPU. Each loaded function has its own
 * lanes (cores - 1, at least one): its async invocations (those that outgrew the synchronous
 * slice, instance.ts) take a lane first and the rest wait their turn, so a noisy function queues
 * behind itself, not behind another function, and its neighbours keep a core. Waiting counts
 * against the invocation's timeout. Module init is not queued (it would wait behind a runaway).
 */
import { availableParallelism } from 'node:os';

export class CpuLanes {
  readonly #size: number;
  #busy = 0;
  #waiting: Array<() => void> = [];

  constructor(size: number) {
    this.#size = Math.max(1, size);
  }

  get busy(): number {
    return this.#busy;
  }

  /** Run `fn` once a lane is free; the lane is released when its promise settles. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#busy >= this.#size) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#busy++;
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#busy--;
    }
  }
}

/** Lanes for one loaded function: one per core but one. */
export function functionLanes(): CpuLanes {
  return new CpuLanes(availableParallelism() - 1);
}
