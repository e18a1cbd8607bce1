import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, readFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkStateDoc, checkStateOwner, isStateOf, legacyStateBaseName, stateBaseName, StateDocError } from './doc.js';
import { LockError, describeHolder, isStale, waitingNotice } from './lock.js';
import { checkWrite, type StoredHead } from './serial.js';
import type { LockInfo, StateBackend, StateChange, StateDoc, StateVersion, WriteOptions } from './types.js';
import { syncDir, writeFileAtomic } from '../files/write-atomic.js';

const LOCK_POLL_MS = 100;
/** A small state's journal may still hold a few writes before it is compacted. */
const MIN_JOURNAL_BYTES = 64 * 1024;
/**
 * The journal is compacted once it is this many times the size of the document it builds: an
 * apply that creates a stack writes each address twice (the intent, then the result), however
 * small the document it started from.
 */
const JOURNAL_GROWTH = 3;

export interface LocalBackendOptions {
  /** Called with a one-line notice, e.g. when a stale lock is broken. */
  notice?: (line: string) => void;
}

/**
 * State in a local directory: `<dir>/<stack>[.<env>].json`, written atomically (temporary file,
 * fsync, rename, fsync of the directory) with mode 0600, and a lock file beside it that is
 * created exclusively and holds the LockInfo of its holder.
 *
 * During an apply, changes are appended to `<stack>[.<env>].json.journal` (one JSON line per
 * write, fsync'd) instead of rewriting the document; the apply's last write puts the whole
 * document in place and removes the journal. A run killed in between leaves the journal, which
 * every read applies on top of the document (a last line cut short by the crash was never
 * confirmed, so it is left out).
 *
 * A lock whose holder ran on this host and whose process is gone (kill -9, power loss) is broken
 * automatically, with a notice: waiting on a dead process can only end in a manual force-unlock,
 * and a rerun after a crash must converge on its own. Locks of other hosts are never broken.
 */
export class LocalStateBackend implements StateBackend {
  readonly location: string;
  readonly keepsHistory = false;
  private readonly file: string;
  private readonly journalFile: string;
  private readonly lockFile: string;
  /** Bytes of the document as last written or read. */
  private docBytes = 0;
  private journal = new JournalSize();
  /** Serial and lineage of the file as last read or written, with its inode/size/mtime: a cheap serial check. */
  private known: (StoredHead & { stamp: string }) | undefined;
  /** Where an earlier version kept this state (`<stack>-<env>.json`); moved to `file` by the first write. */
  private readonly legacyFile?: string;
  private migrateFrom?: string;

  constructor(
    private readonly dir: string,
    private readonly stack: string,
    private readonly env?: string,
    private readonly opts: LocalBackendOptions = {},
  ) {
    const base = stateBaseName(stack, env);
    this.file = join(resolve(dir), `${base}.json`);
    this.journalFile = `${this.file}.journal`;
    this.lockFile = join(resolve(dir), `${base}.lock`);
    const legacy = legacyStateBaseName(stack, env);
    if (legacy) this.legacyFile = join(resolve(dir), `${legacy}.json`);
    this.location = this.file;
  }

  async read(): Promise<StateDoc | null> {
    const doc = await this.readFile(this.file);
    if (doc && !isStateOf(doc, this.stack, this.env) && doc.env && `${legacyStateBaseName(doc.stack, doc.env)}.json` === basename(this.file)) {
      // `team-x.json` of an earlier version, holding stack "team" in environment "x".
      throw new Error(
        `${this.file} holds the state of stack "${doc.stack}", environment "${doc.env}", named the way earlier versions did; ` +
          `apply stack "${doc.stack}" with --env ${doc.env} once (it moves its state to ${stateBaseName(doc.stack, doc.env)}.json), or use another --state`,
      );
    }
    if (doc) return checkStateOwner(doc, this.stack, this.env, this.file);
    // State of an earlier version: used when it says it is ours (`team-x.json` may be stack
    // "team-x"'s own), and moved to its new name by the next write.
    const legacy = this.legacyFile ? await this.readFile(this.legacyFile) : null;
    if (!legacy || !isStateOf(legacy, this.stack, this.env)) return null;
    this.migrateFrom = this.legacyFile;
    return legacy;
  }

  private async readFile(file: string): Promise<StateDoc | null> {
    const stamp = file === this.file ? await this.stamp() : undefined;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new StateDocError(`${file}: not a valid vertexctl state file: not valid JSON (${(err as Error).message}); the file was left as it is`);
    }
    if (file === this.file) raw = await this.withJournal(raw);
    const doc = checkStateDoc(raw, file);
    if (stamp) this.known = { serial: doc.serial, lineage: doc.lineage, stamp };
    if (file === this.file) this.docBytes = Buffer.byteLength(text);
    return doc;
  }

  /**
   * The document with the journal's changes applied: lines of its lineage that follow its serial
   * one by one (lines at or below it were compacted into it already).
   */
  private async withJournal(raw: unknown): Promise<unknown> {
    let text: string;
    try {
      text = await readFile(this.journalFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.journal = new JournalSize();
        return raw;
      }
      throw err;
    }
    this.journal = new JournalSize();
    const loose = raw as { serial?: unknown; resources?: unknown } | null;
    // A document that is not one is reported by its check, as without a journal.
    if (!loose || typeof loose !== 'object' || typeof loose.serial !== 'number' || !loose.resources || typeof loose.resources !== 'object') return raw;
    const doc = raw as { lineage?: unknown; serial: number; resources: Record<string, unknown>; forgotten?: unknown };
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i] === '') continue;
      let change: StateChange;
      try {
        change = JSON.parse(lines[i]) as StateChange;
      } catch {
        // The last line of a run killed while appending: never confirmed, so never acted on.
        if (i === lines.length - 1) break;
        throw new StateDocError(`${this.journalFile}:${i + 1}: not a valid vertexctl state journal line; the files were left as they are`);
      }
      if (!change || typeof change !== 'object' || change.lineage !== doc.lineage || typeof change.serial !== 'number' || change.serial <= doc.serial) continue;
      if (change.serial !== doc.serial + 1 || !change.set || typeof change.set !== 'object' || !Array.isArray(change.removed)) {
        throw new StateDocError(`${this.journalFile}:${i + 1}: journal line of serial ${String(change.serial)} does not follow serial ${doc.serial}; the files were left as they are`);
      }
      for (const [address, entry] of Object.entries(change.set)) Object.defineProperty(doc.resources, address, { value: entry, enumerable: true, writable: true, configurable: true });
      for (const address of change.removed) delete doc.resources[address];
      if (change.forgotten) doc.forgotten = change.forgotten;
      doc.serial = change.serial;
      this.journal.add(change, lines[i].length + 1);
    }
    return doc;
  }

  async appendChange(change: StateChange): Promise<boolean> {
    const stored = await this.storedHead();
    // Nothing stored here yet (or an earlier version's file to move): the first write is whole.
    if (!stored || this.migrateFrom) return false;
    checkWrite(stored, change, this.file);
    const line = Buffer.from(`${JSON.stringify(change)}\n`);
    const latest = this.journal.latestWith(change, line.length);
    const builds = this.docBytes + latest;
    if (this.journal.bytes + line.length > Math.max(MIN_JOURNAL_BYTES, JOURNAL_GROWTH * builds)) return false;
    const fh = await open(this.journalFile, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND, 0o600);
    try {
      await fh.writeFile(line);
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (this.journal.bytes === 0) await syncDir(this.dir);
    this.journal.add(change, line.length, latest);
    const stamp = await this.stamp();
    this.known = stamp ? { serial: change.serial, lineage: change.lineage, stamp } : undefined;
    return true;
  }

  async write(doc: StateDoc, opts?: WriteOptions): Promise<void> {
    checkWrite(await this.storedHead(), doc, this.file, opts);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // Compact, not indented: a 10,000-run document is 8.5 MB instead of 11.7, and made in less time
    // (`vertexctl state show` is the way to read it). Indented documents of earlier versions read alike.
    const text = `${JSON.stringify(doc)}\n`;
    await writeFileAtomic(this.file, text, { mode: 0o600 });
    // The document holds everything the journal said; a crash before this unlink leaves lines at or below its serial, which reads skip.
    const compacted = await unlink(this.journalFile).then(
      () => true,
      (err: unknown) => {
        ignoreEnoent(err);
        return false;
      },
    );
    if (compacted) await syncDir(this.dir);
    this.docBytes = Buffer.byteLength(text);
    this.journal = new JournalSize();
    const stamp = await this.stamp();
    this.known = stamp ? { serial: doc.serial, lineage: doc.lineage, stamp } : undefined;
    if (this.migrateFrom) {
      const from = this.migrateFrom;
      this.migrateFrom = undefined;
      await unlink(from).catch(ignoreEnoent);
      await syncDir(this.dir);
      this.opts.notice?.(`State moved from ${from} to ${this.file}: state files now name the stack and the environment apart.`);
    }
  }

  async history(): Promise<StateVersion[]> {
    const doc = await this.read();
    if (!doc) return [];
    const { mtime } = await stat(this.file);
    return [{ serial: doc.serial, lineage: doc.lineage, writtenAt: mtime.toISOString(), resources: Object.keys(doc.resources).length }];
  }

  async readVersion(serial: number): Promise<StateDoc | null> {
    const doc = await this.read();
    return doc?.serial === serial ? doc : null;
  }

  async close(): Promise<void> {}

  /**
   * Identifies one version of the state: every write renames a new document into place (a new
   * inode), every append grows the journal.
   */
  private async stamp(): Promise<string | undefined> {
    const of = async (file: string) => {
      try {
        const st = await stat(file);
        return `${st.ino}:${st.size}:${st.mtimeMs}`;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    };
    const doc = await of(this.file);
    return doc && `${doc}/${(await of(this.journalFile)) ?? '-'}`;
  }

  private async storedHead(): Promise<StoredHead | null> {
    const stamp = await this.stamp();
    if (!stamp) return null;
    if (this.known?.stamp === stamp) return this.known;
    const doc = await this.read();
    return doc && { serial: doc.serial, lineage: doc.lineage };
  }

  async lock(info: Omit<LockInfo, 'id'>, timeoutMs: number): Promise<LockInfo> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const mine: LockInfo = { id: randomUUID(), ...info };
    const deadline = Date.now() + timeoutMs;
    let waiting = false;
    for (;;) {
      if (await this.tryCreateLock(mine)) {
        await this.removeLeftovers();
        return mine;
      }
      const holder = await this.readLock();
      if (!holder) continue; // released between our attempt and the read: try again at once
      if (isStale(holder)) {
        if (await this.breakStale(holder)) {
          this.opts.notice?.(`Broke a stale state lock: its holder ${describeHolder(holder)} is no longer running.`);
        }
        continue;
      }
      if (Date.now() >= deadline) {
        const waited = timeoutMs > 0 ? ` after waiting ${Math.round(timeoutMs / 1000)}s` : '';
        throw new LockError(
          `state ${this.file} is locked by ${describeHolder(holder)}${waited}; ` +
            `if that run is gone, release it with: vertexctl force-unlock ${holder.id}`,
          holder,
        );
      }
      if (!waiting) {
        waiting = true;
        this.opts.notice?.(waitingNotice(this.file, holder, timeoutMs));
      }
      await sleep(Math.min(LOCK_POLL_MS, Math.max(1, deadline - Date.now())));
    }
  }

  async unlock(lockId: string): Promise<void> {
    const holder = await this.readLock();
    if (!holder) return;
    if (holder.id !== lockId) throw new LockError(`state lock is held by ${describeHolder(holder)}, not by lock ${lockId}`, holder);
    await unlink(this.lockFile).catch(ignoreEnoent);
  }

  async forceUnlock(lockId: string): Promise<void> {
    const holder = await this.readLock();
    if (!holder) throw new LockError(`state ${this.file} is not locked`);
    if (holder.id !== lockId) {
      throw new LockError(`lock id ${lockId} does not match the current lock: ${describeHolder(holder)}`, holder);
    }
    await unlink(this.lockFile).catch(ignoreEnoent);
  }

  /** Temporary files of writes that a killed run left behind; only the lock holder may remove them. */
  private async removeLeftovers(): Promise<void> {
    const prefix = `${basename(this.file)}.`;
    for (const name of await readdir(this.dir)) {
      if (name.startsWith(prefix) && name.endsWith('.tmp')) await unlink(join(this.dir, name)).catch(ignoreEnoent);
    }
  }

  /** The current lock holder, or null when unlocked. */
  async readLock(): Promise<LockInfo | null> {
    let text: string;
    try {
      text = await readFile(this.lockFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      return JSON.parse(text) as LockInfo;
    } catch {
      // A holder killed between create and write leaves an empty file; name it so it can be removed.
      return { id: 'unreadable', who: 'unknown', host: 'unknown', pid: 0, command: `unreadable lock file ${this.lockFile}`, created: '' };
    }
  }

  /**
   * Writes the lock content to a private file, then hard-links it to the lock path: link() fails
   * when the lock exists, and a lock that exists is always complete (never an empty file).
   */
  private async tryCreateLock(mine: LockInfo): Promise<boolean> {
    const tmp = `${this.lockFile}.${mine.id}.tmp`;
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      await fh.writeFile(`${JSON.stringify(mine, null, 2)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await link(tmp, this.lockFile);
      await syncDir(this.dir);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    } finally {
      await unlink(tmp).catch(ignoreEnoent);
    }
  }

  /**
   * Removes a stale lock, but only that one: it is moved aside first and checked, so a lock that
   * a concurrent breaker has meanwhile taken is put back instead of being removed.
   */
  private async breakStale(stale: LockInfo): Promise<boolean> {
    const aside = `${this.lockFile}.${randomUUID().slice(0, 8)}.stale`;
    try {
      await rename(this.lockFile, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    let movedId: string | undefined;
    try {
      movedId = (JSON.parse(await readFile(aside, 'utf8')) as Partial<LockInfo>).id;
    } catch {
      movedId = undefined;
    }
    if (movedId !== undefined && movedId !== stale.id) {
      await link(aside, this.lockFile).catch(() => undefined);
      await unlink(aside).catch(ignoreEnoent);
      return false;
    }
    await unlink(aside).catch(ignoreEnoent);
    return true;
  }
}

/**
 * The journal's bytes, and the bytes of the latest entry it holds for each address (a line's
 * bytes shared among its entries): with the document's, the size of the document it builds.
 */
class JournalSize {
  bytes = 0;
  private latest = new Map<string, number>();
  private latestTotal = 0;

  /** The latest entries' bytes with `change` (a line of `bytes`) appended. */
  latestWith(change: StateChange, bytes: number): number {
    const addresses = Object.keys(change.set);
    const each = bytes / Math.max(1, addresses.length);
    let total = this.latestTotal;
    for (let i = 0; i < addresses.length; i++) total += each - (this.latest.get(addresses[i]) ?? 0);
    for (const address of change.removed) total -= this.latest.get(address) ?? 0;
    return total;
  }

  /** Counts `change` (a line of `bytes`) in; `latestTotal` is what latestWith said of it, when asked already. */
  add(change: StateChange, bytes: number, latestTotal = this.latestWith(change, bytes)): void {
    this.latestTotal = latestTotal;
    const addresses = Object.keys(change.set);
    const each = bytes / Math.max(1, addresses.length);
    for (let i = 0; i < addresses.length; i++) this.latest.set(addresses[i], each);
    for (const address of change.removed) this.latest.delete(address);
    this.bytes += bytes;
  }
}

function ignoreEnoent(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
}

