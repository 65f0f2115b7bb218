/**
 * @module control/app
 * What every route handler works with: the store, the telemetry writer, the clock, the logger, the secret box, the
 * live-stream hub, and `change`, the one way to modify something edges see (DESIGN 4: every
 * such change produces an immutable numbered snapshot, or nothing changes at all).
 */
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import type { SecretBox } from './auth/secret-box.js';
import { commitSnapshot } from './compile/snapshot.js';
import { CodeGate } from './domain/gate.js';
import type { Hub } from './publish/hub.js';
import type { Store } from './store/types.js';
import type { TelemetryWriter } from './telemetry/writer.js';

export interface App {
  store: Store;
  /** Logs and metric points from PoPs: apart from the store, so they never wait for or hold its writes. */
  telemetry: TelemetryWriter;
  clock: Clock;
  logger: Logger;
  box: SecretBox;
  hub: Hub;
  dataDir: string;
  /** Loads code on the control plane's copy of the edge engine before it is stored, published or attached. */
  gate: CodeGate;
  /**
   * Run `fn` in a transaction, then build the next snapshot in the same transaction: if the
   * resulting config is refused, `fn`'s writes are rolled back too. Edges are told after commit.
   */
  change<T>(
    reason: string | ((result: T) => string),
    fn: () => Promise<T> | T,
  ): Promise<{ result: T; snapshot: number | undefined }>;
}

export function createApp(o: Omit<App, 'change' | 'gate'>): App {
  return {
    ...o,
    gate: new CodeGate(o),
    async change(reason, fn) {
      const out = await o.store.tx(async () => {
        const result = await fn();
        const why = typeof reason === 'string' ? reason : reason(result);
        const snapshot = await commitSnapshot(o.store, o.box, o.clock.now(), why);
        return { result, snapshot, why };
      });
      if (out.snapshot !== undefined) {
        const rec = (await o.store.snapshots.get(out.snapshot))!;
        o.logger.log('info', 'snapshot created', { version: rec.version, reason: out.why, checksum: rec.checksum });
        o.hub.snapshot({ version: rec.version, checksum: rec.checksum });
      }
      return { result: out.result, snapshot: out.snapshot };
    },
  };
}
