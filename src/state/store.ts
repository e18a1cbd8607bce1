import { ownRecord, setOwn } from '../core/records.js';
import { newStateDoc } from './doc.js';
import type { StateBackend, StateChange, StateDoc, StateEntry } from './types.js';

/**
 * The in-memory state of one run plus a single write queue. A change is applied to the document
 * at once and resolves when a write that contains it is on disk; changes made while a write is
 * in progress go together into the next one (the serial goes up once per write). Steps running
 * in parallel therefore never lose each other's updates, and a big state is not rewritten once
 * per step when many steps finish together.
 *
 * While journaling (an apply), a write sends only the entries that changed, where the backend
 * can append them; flush() then writes the whole document once. Entries are frozen once written:
 * a change replaces an entry instead of editing it, which is how the store tells what changed.
 * put() says which addresses it sets, so the next write compares only those; after update()
 * the write compares every address.
 */
export class StateStore {
  private queue: Promise<void> = Promise.resolve();
  /** The write not yet started, which the next change joins. */
  private next: Promise<void> | undefined;
  private failure: unknown;
  /** Each address's entry as last written (the same object while unchanged). */
  private written = new Map<string, StateEntry>();
  private writtenForgotten: string | undefined;
  /** Addresses put() set since the last write; undefined once update() ran (any address may have changed). */
  private dirty: Set<string> | undefined = new Set();
  private journaling = false;
  /** Changes appended since the whole document was last written. */
  private appended = 0;

  private constructor(
    readonly backend: StateBackend,
    private current: StateDoc,
  ) {
    this.markWritten();
  }

  /** Reads the backend's document, or starts a new one for the stack. */
  static async open(backend: StateBackend, stack: string, env?: string): Promise<StateStore> {
    return new StateStore(backend, (await backend.read()) ?? newStateDoc(stack, env));
  }

  /** The current document (read-only by convention: change it through update()). */
  get doc(): StateDoc {
    return this.current;
  }

  /** From now on writes append what changed where the backend can; flush() writes the whole document. */
  journal(): void {
    this.journaling = true;
  }

  /** Applies a change; resolves once a write containing it is on disk. */
  update(change: (doc: StateDoc) => void): Promise<void> {
    change(this.current);
    this.dirty = undefined;
    return this.schedule();
  }

  /** Sets entries (replacing what their addresses held); resolves once a write containing them is on disk. */
  put(entries: Iterable<readonly [string, StateEntry]>): Promise<void> {
    for (const [address, entry] of entries) {
      setOwn(this.current.resources, address, entry);
      this.dirty?.add(address);
    }
    return this.schedule();
  }

  private schedule(whole = false): Promise<void> {
    if (!this.next) {
      const write = this.queue.then(() => this.write(whole));
      this.next = write;
      // Later writes carry every earlier change, so one failed write must not block the queue.
      this.queue = write.catch((err: unknown) => {
        this.failure ??= err;
      });
    }
    return this.next;
  }

  private async write(whole: boolean): Promise<void> {
    this.next = undefined;
    // The serial moves only when a write succeeds: backends refuse anything but stored + 1.
    const serial = this.current.serial + 1;
    const change = this.changes(serial);
    let appended: boolean;
    try {
      appended = !whole && this.journaling && this.backend.appendChange ? await this.backend.appendChange(change) : false;
      if (!appended) await this.backend.write(this.snapshot(serial));
    } catch (err) {
      // Not written: the next write compares every address again, so it carries this change too.
      this.dirty = undefined;
      throw err;
    }
    this.appended = appended ? this.appended + 1 : 0;
    this.current.serial = serial;
    // change.set is a record without prototype: for…in yields its own addresses, with no array of pairs.
    for (const address in change.set) this.written.set(address, change.set[address]);
    for (const address of change.removed) this.written.delete(address);
    this.writtenForgotten = this.current.forgotten && JSON.stringify(this.current.forgotten);
  }

  /** What changed since the last write; the entries it holds are frozen, so they stay as written. */
  private changes(serial: number): StateChange {
    const set = ownRecord<StateEntry>();
    const resources = this.current.resources;
    const dirty = this.dirty;
    this.dirty = new Set();
    let removed: string[] = [];
    if (dirty) {
      // Only put() ran: it sets the addresses it names and removes none.
      for (const address of dirty) {
        const entry = resources[address];
        if (this.written.get(address) !== entry) set[address] = deepFreeze(entry);
      }
    } else {
      let kept = 0;
      for (const address in resources) {
        const entry = resources[address];
        if (this.written.get(address) !== entry) set[address] = deepFreeze(entry);
        else kept++;
      }
      // Every address written before and still there was counted: the rest were removed.
      if (kept !== this.written.size) removed = [...this.written.keys()].filter((a) => !Object.hasOwn(resources, a));
    }
    const forgotten = this.current.forgotten && JSON.stringify(this.current.forgotten) !== this.writtenForgotten ? [...this.current.forgotten] : undefined;
    return { lineage: this.current.lineage, serial, set, removed, ...(forgotten && { forgotten }) };
  }

  /** The document to write whole: a copy of the maps and lists, sharing the (frozen) entries. */
  private snapshot(serial: number): StateDoc {
    const resources = ownRecord<StateEntry>();
    const current = this.current.resources;
    for (const address of Object.keys(current)) resources[address] = deepFreeze(current[address]);
    return { ...this.current, serial, resources, ...(this.current.forgotten && { forgotten: [...this.current.forgotten] }) };
  }

  private markWritten(): void {
    this.written = new Map(Object.entries(this.current.resources).map(([a, e]) => [a, deepFreeze(e)]));
    this.writtenForgotten = this.current.forgotten && JSON.stringify(this.current.forgotten);
  }

  /** Waits for every queued write (and writes the whole document after appended ones); throws the first write error, if any. */
  async flush(): Promise<void> {
    await this.queue;
    if (!this.failure && this.appended > 0) await this.schedule(true).catch(() => undefined);
    await this.queue;
    this.journaling = false;
    if (this.failure) throw this.failure;
  }
}

/**
 * Freezes an entry and everything in it (once: a frozen entry, or a frozen part of one, is left as
 * it is). Freezing is how callers are kept from editing what was written, which the store would
 * not notice; it costs a walk of every object, so the entries apply builds share what is already
 * frozen (a run's props between its intent and its finished entry, one pending record per batch)
 * and each part is walked once.
 */
function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  // for…in, not Object.values: no array per object (20,000 entries in a create of 10,000 runs).
  for (const key in value) deepFreeze(value[key]);
  return Object.freeze(value);
}
