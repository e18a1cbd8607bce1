import { cloneDoc, newStateDoc } from './doc.js';
import type { StateBackend, StateDoc } from './types.js';

/**
 * The in-memory state of one run plus a single write queue. A change is applied to the document
 * at once and resolves when a write that contains it is on disk; changes made while a write is
 * in progress go together into the next one (the serial goes up once per write). Steps running
 * in parallel therefore never lose each other's updates, and a big state is not rewritten once
 * per step when many steps finish together.
 */
export class StateStore {
  private queue: Promise<void> = Promise.resolve();
  /** The write not yet started, which the next change joins. */
  private next: Promise<void> | undefined;
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

  /** Applies a change; resolves once a write containing it is on disk. */
  update(change: (doc: StateDoc) => void): Promise<void> {
    change(this.current);
    if (!this.next) {
      const write = this.queue.then(async () => {
        this.next = undefined;
        // The serial moves only when a write succeeds: backends refuse anything but stored + 1.
        const doc = cloneDoc(this.current);
        doc.serial = this.current.serial + 1;
        await this.backend.write(doc);
        this.current.serial = doc.serial;
      });
      this.next = write;
      // Later writes carry every earlier change, so one failed write must not block the queue.
      this.queue = write.catch((err: unknown) => {
        this.failure ??= err;
      });
    }
    return this.next;
  }

  /** Waits for every queued write; throws the first write error, if any. */
  async flush(): Promise<void> {
    await this.queue;
    if (this.failure) throw this.failure;
  }
}
