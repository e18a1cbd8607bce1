import { isDeepStrictEqual } from 'node:util';
import type { StateBackend, StateDoc } from './types.js';

export interface MigrateResult {
  /** copied: the target now holds the source's current version; up-to-date: it already did. */
  outcome: 'copied' | 'up-to-date';
  doc: StateDoc;
}

/**
 * Copies a stack's current state to another backend (both locked by the caller), keeping its
 * lineage and serial, and reads it back to check. The target may hold nothing, or an older
 * version of the same state (an earlier migration the other way); anything else is refused
 * rather than overwritten. The source is left as it was; history stays where it was written.
 */
export async function migrateState(from: StateBackend, to: StateBackend): Promise<MigrateResult> {
  const doc = await from.read();
  if (!doc) throw new Error(`no state to migrate at ${from.location}`);
  const there = await to.read();
  if (there) {
    if (there.lineage !== doc.lineage) {
      throw new Error(
        `${to.location} already holds another state of stack ${doc.stack} (lineage ${there.lineage}, not ${doc.lineage}); nothing was copied`,
      );
    }
    if (there.serial > doc.serial) {
      throw new Error(`${to.location} holds a newer version of this state (serial ${there.serial}, the source has ${doc.serial}); migrate from there instead`);
    }
    if (there.serial === doc.serial) {
      if (isDeepStrictEqual(there, doc)) return { outcome: 'up-to-date', doc };
      throw new Error(`${to.location} holds a different serial ${doc.serial} of this state: the two have diverged; nothing was copied`);
    }
  }
  await to.write(doc, { serialMayJump: true });
  const copied = await to.read();
  if (!isDeepStrictEqual(copied, doc)) throw new Error(`${to.location}: the state read back differs from what was written`);
  return { outcome: 'copied', doc };
}
