/**
 * @module edge/pipeline/invalidation-fence
 * Keeps an invalidation from being undone by a fetch that was already in flight when it
 * arrived: the fetch notes the epoch when it starts, and its answer is not kept in the cache if
 * an invalidation since then matches it. Without this, `POST /invalidations` during a slow
 * origin fetch lets the pre-invalidation object back in for its whole TTL (spec 7.6 promises the
 * object is gone). Varnish's bans make the same check by object age.
 */
import { compileInvalidation, type EntryMatcher } from '../cache/index.js';
import type { CacheEntry, InvalidationRequest } from '../cache/types.js';

/** How many recent invalidations are remembered; a fetch older than that is not kept. */
const RETAINED = 256;

export class InvalidationFence {
  #epoch = 0;
  readonly #recent: Array<{ epoch: number; match: EntryMatcher }> = [];

  /** The current epoch; a fetch notes it before it goes to the origin. */
  get epoch(): number {
    return this.#epoch;
  }

  record(req: InvalidationRequest): void {
    this.#epoch++;
    this.#recent.push({ epoch: this.#epoch, match: compileInvalidation(req) });
    if (this.#recent.length > RETAINED) this.#recent.shift();
  }

  /** Whether an invalidation recorded after epoch `since` covers `entry`. */
  invalidatedSince(since: number, entry: Pick<CacheEntry, 'distributionId' | 'invalidationPath' | 'tags'>): boolean {
    if (since >= this.#epoch) return false;
    const oldest = this.#recent[0]?.epoch ?? this.#epoch + 1;
    // Older than what we remember: we cannot tell, so do not keep it (a refetch is cheap).
    if (since + 1 < oldest) return true;
    return this.#recent.some((r) => r.epoch > since && r.match(entry));
  }
}
