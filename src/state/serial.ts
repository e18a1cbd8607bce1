import type { StateDoc, WriteOptions } from './types.js';

/** A write refused because the stored state is not the one the writer started from. */
export class StateConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateConflictError';
  }
}

/** What a backend knows of its stored document before a write. */
export interface StoredHead {
  serial: number;
  lineage: string;
}

/**
 * The rule every backend enforces on a write: the same lineage, and the serial exactly one more
 * than the stored one (greater, for a migration). A first write may carry any serial. Throws a
 * StateConflictError saying what is stored and what was refused.
 */
export function checkWrite(stored: StoredHead | null, doc: Pick<StateDoc, 'lineage' | 'serial'>, location: string, opts: WriteOptions = {}): void {
  if (!stored) return;
  if (stored.lineage !== doc.lineage) {
    throw new StateConflictError(
      `${location}: refused to write state of lineage ${doc.lineage}: the stored state is another one (lineage ${stored.lineage})`,
    );
  }
  const ok = opts.serialMayJump ? doc.serial > stored.serial : doc.serial === stored.serial + 1;
  if (!ok) {
    throw new StateConflictError(
      `${location}: refused to write serial ${doc.serial}: the stored state is at serial ${stored.serial}, ` +
        `so another run changed it meanwhile (state never goes backwards); run plan again`,
    );
  }
}
