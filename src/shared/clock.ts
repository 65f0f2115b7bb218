/**
 * @module shared/clock
 * The one source of time for Verge. Everything that reasons about TTLs, staleness, timeouts
 * or replication takes a Clock, so tests run on fake time without sleeping.
 */

export interface Clock {
  /** Milliseconds since the Unix epoch (wall clock: Date headers, Age, TTLs). */
  now(): number;
  /** A monotonic high-resolution reading in milliseconds (durations only). */
  monotonic(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};

/** A clock that only moves when told to; for tests. */
export class FakeClock implements Clock {
  #now: number;
  #mono = 0;
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  monotonic(): number {
    return this.#mono;
  }
  /** Move time forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.#now += ms;
    this.#mono += ms;
  }
  set(epochMs: number): void {
    this.#mono += Math.max(0, epochMs - this.#now);
    this.#now = epochMs;
  }
}
