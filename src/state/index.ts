import { GcsStateBackend } from './gcs.js';
import type { StorageClientOptions } from './gcs-client.js';
import { LocalStateBackend } from './local.js';
import { PostgresStateBackend } from './postgres.js';
import type { StateBackend } from './types.js';

export * from './types.js';
export { newStateDoc, setEntry, removeEntry, forgetEntry, cloneDoc, stateBaseName, checkStateDoc, StateDocError, maskedEntry } from './doc.js';
export { LockError, lockHolder, describeHolder } from './lock.js';
export { StateConflictError } from './serial.js';
export { LocalStateBackend } from './local.js';
export { PostgresStateBackend } from './postgres.js';
export { GcsStateBackend } from './gcs.js';
export { StateStore } from './store.js';
export { appliedEntry, optionChanges, outputsOf, withOptions, type ResourceOptions } from './entry.js';

export interface OpenStateOptions {
  /** Called with a one-line notice, e.g. when a stale lock is broken. */
  notice?: (line: string) => void;
  /** How gs:// state reaches Cloud Storage: the emulator's URL, or Google's with these credentials. */
  storage?: StorageClientOptions;
}

export type StateKind = 'local' | 'postgres' | 'gcs';

/** Which backend a `--state` value names. */
export function stateKind(spec: string): StateKind {
  if (/^postgres(ql)?:\/\//i.test(spec)) return 'postgres';
  if (/^gs:\/\//i.test(spec)) return 'gcs';
  return 'local';
}

const opened = new Set<StateBackend>();

/**
 * The state backend named by `--state`: a directory (default `state/`), a postgres:// URL, or
 * gs://bucket/prefix. State is kept per stack and environment.
 */
export function openState(spec: string, stack: string, env?: string, opts: OpenStateOptions = {}): StateBackend {
  const kind = stateKind(spec);
  const backend: StateBackend =
    kind === 'postgres'
      ? new PostgresStateBackend(spec, stack, env, opts)
      : kind === 'gcs'
        ? new GcsStateBackend(spec, stack, env, { ...opts.storage, notice: opts.notice })
        : new LocalStateBackend(spec, stack, env, opts);
  opened.add(backend);
  return backend;
}

/** Closes every backend opened in this process (their connections would keep it alive). */
export async function closeOpenBackends(): Promise<void> {
  const all = [...opened];
  opened.clear();
  await Promise.all(all.map((b) => b.close().catch(() => undefined)));
}
export { migrateState, type MigrateResult } from './migrate.js';
