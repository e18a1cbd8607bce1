import { cloneDoc, newStateDoc } from './doc.js';
import type { StateBackend, StateDoc } from './types.js';

/**
 * The in-memory state of one run plus a single write queue: every change is applied to the
 * document, the serial goes up by one, and the whole document is written before the next
 * change is written. Steps running in parallel therefore never lose each other's updates.
 */
export class StateStore {
  private queue: Promise<void> = Promise.resolve();
  private failure: unknown;

  private constructor(
    readonly backend: StateBackend,
    private current: StateDoc,
  ) {}

  /** Reads the backend's document, or starts a new one for the stack. */
  static async open(backend: StateBackend, stack: string, env?: string): Promise<StateStore> {
    const doc = (await backend.read()) ?? newStateDoc(stack, env);
    return new StateStore(backend, doc);
  }

  /** The current document (read-only by convention: change it through update()). */
  get doc(): StateDoc {
    return this.current;
  }

  /** Applies a change and writes the document; resolves once this change is on disk. */
  update(change: (doc: StateDoc) => void): Promise<void> {
    change(this.current);
    this.current.serial += 1;
    const snapshot = cloneDoc(this.current);
    const write = this.queue.then(() => this.backend.write(snapshot));
    // Later writes carry every earlier change, so one failed write must not block the queue.
    this.queue = write.catch((err) => {
      this.failure ??= err;
    });
    return write;
  }

  /** Waits for every queued write; throws the first write error, if any. */
  async flush(): Promise<void> {
    await this.queue;
    if (this.failure) throw this.failure;
  }
}
