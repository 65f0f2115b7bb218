// The client's types (src/client/types.ts) are the control plane's answers exactly: each view in
// src/control/domain is compared with its client type by tsc (`npx tsc --noEmit`), both ways, so a
// field the API answers as null where the client says number, or a field one side lacks, fails
// to compile. The runtime assertion only keeps the check from being optimized into nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type {
  Distribution,
  FunctionResource,
  FunctionVersion,
  Invalidation,
  KeyGroup,
  Pop,
  PublicKey,
  Trigger,
} from '../../src/client/index.js';
import type { distributionView } from '../../src/control/domain/distributions.js';
import type { functionView, versionView } from '../../src/control/domain/functions.js';
import type { invalidationView } from '../../src/control/domain/invalidations.js';
import type { keyGroupView, publicKeyView } from '../../src/control/domain/key-groups.js';
import type { popView } from '../../src/control/domain/pops.js';
import type { triggerView } from '../../src/control/domain/triggers.js';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

const checks: Record<string, true> = {
  function: true satisfies Same<ReturnType<typeof functionView>, FunctionResource>,
  version: true satisfies Same<ReturnType<typeof versionView>, FunctionVersion>,
  distribution: true satisfies Same<ReturnType<typeof distributionView>, Distribution>,
  pop: true satisfies Same<ReturnType<typeof popView>, Pop>,
  trigger: true satisfies Same<ReturnType<typeof triggerView>, Trigger>,
  invalidation: true satisfies Same<ReturnType<typeof invalidationView>, Invalidation>,
  publicKey: true satisfies Same<ReturnType<typeof publicKeyView>, PublicKey>,
  keyGroup: true satisfies Same<ReturnType<typeof keyGroupView>, KeyGroup>,
};

test('every control-plane view has the shape of its client type', () => {
  assert.deepEqual(Object.keys(checks), [
    'function',
    'version',
    'distribution',
    'pop',
    'trigger',
    'invalidation',
    'publicKey',
    'keyGroup',
  ]);
});
