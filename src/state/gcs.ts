import { randomUUID } from 'node:crypto';
import { checkStateDoc, checkStateOwner, stateBaseName } from './doc.js';
import { GenerationMismatch, StorageClient, type StorageClientOptions } from './gcs-client.js';
import { LockError, describeHolder, isStale, waitingNotice } from './lock.js';
import { StateConflictError, checkWrite, type StoredHead } from './serial.js';
import type { LockInfo, StateBackend, StateDoc, StateVersion, WriteOptions } from './types.js';

const LOCK_POLL_MS = 250;

export interface GcsBackendOptions extends StorageClientOptions {
  notice?: (line: string) => void;
}

/** `gs://bucket[/prefix]` → bucket and prefix (no slashes at either end). */
export function parseGcsUrl(spec: string): { bucket: string; prefix: string } {
  const m = /^gs:\/\/([^/]+)\/?(.*)$/i.exec(spec);
  const bucket = m?.[1] ?? '';
  if (!/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(bucket)) {
    throw new Error(`"${spec}" does not name a Cloud Storage bucket (gs://bucket/prefix; bucket names are 3 to 222 lower-case letters, digits, - _ and .)`);
  }
  return { bucket, prefix: m![2].replace(/^\/+|\/+$/g, '') };
}

/**
 * State in Cloud Storage, as Terraform's gcs backend keeps it: `<prefix>/<stack>[-<env>].json`
 * holds the current version, `<prefix>/<stack>[-<env>].versions/<serial>.json` every version, and
 * `<prefix>/<stack>[-<env>].lock` the lock holder.
 *
 * Object generations do the locking: the lock is created with ifGenerationMatch=0 (only if there
 * is none) and removed with the generation it was created with; the current version is replaced
 * with ifGenerationMatch=<the generation read>, so of two writers that read the same version only
 * one can succeed. A lock whose holder ran on this host and is gone is broken, with a notice.
 */
export class GcsStateBackend implements StateBackend {
  readonly location: string;
  readonly keepsHistory = true;
  private readonly client: StorageClient;
  private readonly current: string;
  private readonly lockObject: string;
  private readonly versions: string;
  private readonly bucketUrl: string;
  /** The current version as last read or written, with its generation. */
  private known: (StoredHead & { generation: string }) | null | undefined;
  private held: LockInfo | undefined;

  constructor(
    spec: string,
    private readonly stack: string,
    private readonly env: string | undefined,
    private readonly opts: GcsBackendOptions = {},
  ) {
    const { bucket, prefix } = parseGcsUrl(spec);
    const base = `${prefix ? `${prefix}/` : ''}${stateBaseName(stack, env)}`;
    this.current = `${base}.json`;
    this.lockObject = `${base}.lock`;
    this.versions = `${base}.versions/`;
    this.bucketUrl = `gs://${bucket}/`;
    this.location = `${this.bucketUrl}${this.current}`;
    this.client = new StorageClient(bucket, opts, this.location);
  }

  async read(): Promise<StateDoc | null> {
    const got = await this.client.get(this.current);
    if (!got) {
      this.known = null;
      return null;
    }
    // An object copied from another stack's or environment's name is refused, not adopted.
    const doc = checkStateOwner(this.parse(got.text, this.location), this.stack, this.env, this.location);
    this.known = { serial: doc.serial, lineage: doc.lineage, generation: got.generation };
    return doc;
  }

  async write(doc: StateDoc, opts?: WriteOptions): Promise<void> {
    if (this.known === undefined) await this.read();
    const stored = this.known ?? null;
    checkWrite(stored, doc, this.location, opts);
    // Compact, as local state: every write of an apply is a whole document here.
    const text = `${JSON.stringify(doc)}\n`;
    let generation: string;
    try {
      generation = await this.client.insert(this.current, text, { ifGenerationMatch: stored?.generation ?? '0' });
    } catch (err) {
      if (!(err instanceof GenerationMismatch)) throw err;
      this.known = undefined;
      throw new StateConflictError(
        `${this.location}: refused to write serial ${doc.serial}: the object changed since it was read (generation ${stored?.generation ?? 'none'}), ` +
          'so another run changed it meanwhile (state never goes backwards); run plan again',
      );
    }
    this.known = { serial: doc.serial, lineage: doc.lineage, generation };
    // The current object is the truth; the kept version follows (history falls back to the current one).
    await this.client.insert(`${this.versions}${pad(doc.serial)}.json`, text, {
      metadata: {
        serial: String(doc.serial),
        lineage: doc.lineage,
        resources: String(Object.keys(doc.resources).length),
        ...(this.held && { writtenBy: `${this.held.who}@${this.held.host} "${this.held.command}"` }),
      },
    });
  }

  async lock(info: Omit<LockInfo, 'id'>, timeoutMs: number): Promise<LockInfo> {
    const mine: LockInfo = { id: randomUUID(), ...info };
    const deadline = Date.now() + timeoutMs;
    let waiting = false;
    for (;;) {
      try {
        await this.client.insert(this.lockObject, `${JSON.stringify(mine, null, 2)}\n`, { ifGenerationMatch: '0' });
        this.held = mine;
        return mine;
      } catch (err) {
        if (!(err instanceof GenerationMismatch)) throw err;
      }
      const holder = await this.readLock();
      if (!holder) continue; // released between our attempt and the read
      if (isStale(holder.info)) {
        if (await this.client.delete(this.lockObject, holder.generation).catch((e: unknown) => (e instanceof GenerationMismatch ? false : Promise.reject(e)))) {
          this.opts.notice?.(`Broke a stale state lock: its holder ${describeHolder(holder.info)} is no longer running.`);
        }
        continue;
      }
      if (Date.now() >= deadline) {
        const waited = timeoutMs > 0 ? ` after waiting ${Math.round(timeoutMs / 1000)}s` : '';
        throw new LockError(
          `state ${this.location} is locked by ${describeHolder(holder.info)}${waited}; ` +
            `if that run is gone, release it with: vertexctl force-unlock ${holder.info.id}`,
          holder.info,
        );
      }
      if (!waiting) {
        waiting = true;
        this.opts.notice?.(waitingNotice(this.location, holder.info, timeoutMs));
      }
      await new Promise((r) => setTimeout(r, Math.min(LOCK_POLL_MS, Math.max(1, deadline - Date.now()))));
    }
  }

  async unlock(lockId: string): Promise<void> {
    const holder = await this.readLock();
    if (!holder) return;
    if (holder.info.id !== lockId) throw new LockError(`state lock is held by ${describeHolder(holder.info)}, not by lock ${lockId}`, holder.info);
    await this.deleteLock(holder.generation);
    if (this.held?.id === lockId) this.held = undefined;
  }

  async forceUnlock(lockId: string): Promise<void> {
    const holder = await this.readLock();
    if (!holder) throw new LockError(`state ${this.location} is not locked`);
    if (holder.info.id !== lockId) {
      throw new LockError(`lock id ${lockId} does not match the current lock: ${describeHolder(holder.info)}`, holder.info);
    }
    await this.deleteLock(holder.generation);
  }

  async history(): Promise<StateVersion[]> {
    const [objects, current] = await Promise.all([this.client.list(this.versions), this.read()]);
    const versions: StateVersion[] = [];
    for (const o of objects) {
      const serial = Number(o.metadata?.serial ?? /(\d+)\.json$/.exec(o.name)?.[1]);
      if (!Number.isInteger(serial)) continue;
      versions.push({
        serial,
        lineage: o.metadata?.lineage ?? '',
        writtenAt: o.updated,
        ...(o.metadata?.writtenBy && { writtenBy: o.metadata.writtenBy }),
        resources: Number(o.metadata?.resources ?? 0),
      });
    }
    // A run that died between the two writes left the current version without its copy.
    if (current && !versions.some((v) => v.serial === current.serial)) {
      versions.push({ serial: current.serial, lineage: current.lineage, writtenAt: new Date().toISOString(), resources: Object.keys(current.resources).length });
    }
    return versions.sort((a, b) => a.serial - b.serial);
  }

  async readVersion(serial: number): Promise<StateDoc | null> {
    const got = await this.client.get(`${this.versions}${pad(serial)}.json`);
    if (got) return this.parse(got.text, `${this.bucketUrl}${this.versions}${pad(serial)}.json`);
    const current = await this.read();
    return current?.serial === serial ? current : null;
  }

  async close(): Promise<void> {}

  private async readLock(): Promise<{ info: LockInfo; generation: string } | null> {
    const got = await this.client.get(this.lockObject);
    if (!got) return null;
    try {
      return { info: JSON.parse(got.text) as LockInfo, generation: got.generation };
    } catch {
      const info = { id: 'unreadable', who: 'unknown', host: 'unknown', pid: 0, command: `unreadable lock object ${this.lockObject}`, created: '' };
      return { info, generation: got.generation };
    }
  }

  private async deleteLock(generation: string): Promise<void> {
    try {
      await this.client.delete(this.lockObject, generation);
    } catch (err) {
      if (err instanceof GenerationMismatch) throw new LockError(`state ${this.location}: the lock changed while it was being released`);
      throw err;
    }
  }

  private parse(text: string, where: string): StateDoc {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new Error(`${where}: not valid JSON (${(err as Error).message})`);
    }
    return checkStateDoc(raw, where);
  }
}

/** Zero-padded, so versions list in serial order. */
function pad(serial: number): string {
  return String(serial).padStart(12, '0');
}
