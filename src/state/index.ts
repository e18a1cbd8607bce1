import { LocalStateBackend, type LocalBackendOptions } from './local.js';
import type { StateBackend } from './types.js';

export * from './types.js';
export { newStateDoc, setEntry, removeEntry, forgetEntry, cloneDoc, stateBaseName } from './doc.js';
export { LockError, lockHolder, describeHolder } from './lock.js';
export { LocalStateBackend } from './local.js';
export { StateStore } from './store.js';

/**
 * The state backend named by `--state`: a directory (default `state/`), or a postgres:// URL.
 * State is kept per stack and environment.
 */
export function openState(spec: string, stack: string, env?: string, opts: LocalBackendOptions = {}): StateBackend {
  if (/^postgres(ql)?:\/\//i.test(spec)) {
    throw new Error('PostgreSQL state backend is not available yet; use a state directory (--state DIR)');
  }
  return new LocalStateBackend(spec, stack, env, opts);
}
