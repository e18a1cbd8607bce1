/**
 * The state document: what vertexctl last did, per address. Versioned, written atomically after
 * every finished step.
 */
export const STATE_FORMAT_VERSION = 1;

export interface PendingOperation {
  action: 'create' | 'update' | 'delete' | 'replace';
  /** Long-running operation name, once the API returned one. */
  operation?: string;
  /**
   * Replace of a server-id job: the name of the old resource, which the new one replaces and
   * which is cancelled and deleted once the new one exists. Kept until that is done, so a run
   * that crashes in between leaves the old one for the next run to retire instead of orphaning it.
   */
  replaces?: string;
  /** Parent the create was sent to: where a resource with a server-chosen id is looked for by its labels. */
  parent?: string;
  startedAt: string;
}

export interface StateEntry {
  type: string;
  /** Full resource name; empty until the server chose the id of a pending create. */
  name: string;
  id: string;
  /** The props as last applied (references resolved), the base of three-way diffs. */
  props: Record<string, unknown>;
  etag?: string;
  /** Values other resources may reference, e.g. `tensorboardsId`, `name`, `state`. */
  outputs: Record<string, unknown>;
  /** Set before a write call, cleared when it finished: a crash leaves it for the next run to settle. */
  pending?: PendingOperation;
  /** Explicit and reference dependencies, so deletes can be ordered after dependents. */
  dependsOn?: string[];
  deletionPolicy?: 'delete' | 'abandon';
  protected?: boolean;
  /** Field paths the manifest said to leave alone. */
  ignoreChanges?: string[];
  /** Props marked `sensitive: true` when last applied: masked in every output of their values. */
  sensitive?: string[];
}

export interface StateDoc {
  formatVersion: typeof STATE_FORMAT_VERSION;
  /** Random id fixed at the state's creation: a plan made against another state is refused. */
  lineage: string;
  /** Incremented on every write. */
  serial: number;
  stack: string;
  env?: string;
  resources: Record<string, StateEntry>;
  /**
   * Resources let go on purpose (deletionPolicy abandon, `state rm`): they still carry our
   * ownership labels, but are never pruned as unclaimed.
   */
  forgotten?: string[];
}

export interface LockInfo {
  id: string;
  who: string;
  host: string;
  pid: number;
  command: string;
  created: string;
}

/** One kept version of a stack's state, for `vertexctl state history`. */
export interface StateVersion {
  serial: number;
  lineage: string;
  /** ISO time the version was written. */
  writtenAt: string;
  /** The run that wrote it (`user@host "command"`), when the backend knows. */
  writtenBy?: string;
  /** Number of addresses in the version. */
  resources: number;
}

export interface WriteOptions {
  /**
   * Allow a serial greater than stored + 1 (never smaller or equal): `state migrate` copies a
   * document with its serial into a backend that holds an older version of the same lineage.
   */
  serialMayJump?: boolean;
}

/**
 * What one write changes, for a backend that can append it to the stored document instead of
 * rewriting the whole document (a 10,000-run apply writes a few entries at a time).
 */
export interface StateChange {
  lineage: string;
  /** The serial of the document once the change is applied: the stored serial + 1. */
  serial: number;
  /** Entries added or replaced, by address. */
  set: Record<string, StateEntry>;
  /** Addresses removed. */
  removed: string[];
  /** The whole forgotten list, when it changed. */
  forgotten?: string[];
}

/**
 * Where a stack's state lives: a local directory, PostgreSQL or Cloud Storage. The rest of the
 * code talks only to this interface.
 *
 * Every backend refuses a write whose serial is not the stored serial + 1 (or whose lineage is
 * not the stored one) with a StateConflictError: state never goes backwards and no update is lost.
 */
export interface StateBackend {
  /** Human-readable location, for messages (never with credentials). */
  readonly location: string;
  /** Whether every version is kept (PostgreSQL, Cloud Storage); local state keeps only the latest. */
  readonly keepsHistory: boolean;
  read(): Promise<StateDoc | null>;
  /** Writes atomically, refusing a serial that is not the stored + 1; bumps nothing itself (the caller sets serial). */
  write(doc: StateDoc, opts?: WriteOptions): Promise<void>;
  /**
   * Appends a change durably, refusing a serial that is not the stored + 1 as write does. Resolves
   * false when the change should be written as a whole document instead (nothing stored yet, or
   * what is appended has outgrown the document); the next write compacts what was appended.
   * Backends without it are always written whole.
   */
  appendChange?(change: StateChange): Promise<boolean>;
  /** Takes the lock, waiting up to timeoutMs; throws LockError naming the holder. */
  lock(info: Omit<LockInfo, 'id'>, timeoutMs: number): Promise<LockInfo>;
  unlock(lockId: string): Promise<void>;
  forceUnlock(lockId: string): Promise<void>;
  /** The kept versions, oldest first (local state: the current one only). */
  history(): Promise<StateVersion[]>;
  /** One kept version, or null when there is none with that serial. */
  readVersion(serial: number): Promise<StateDoc | null>;
  /** Releases connections; safe to call more than once. */
  close(): Promise<void>;
}
