import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../files/write-atomic.js';

/**
 * The objects of the emulator's Cloud Storage part: buckets of objects, each with its current
 * generation (a new number on every write, as in Cloud Storage) and metageneration. Buckets come
 * into being with their first object. Only the live generation of each object is kept (a bucket
 * without object versioning). With a data folder every change is on disk before it is answered.
 */

export interface StoredObject {
  name: string;
  data: Buffer;
  contentType: string;
  generation: bigint;
  metageneration: number;
  metadata?: Record<string, string>;
  timeCreated: string;
  updated: string;
}

/** Preconditions of the JSON API (query parameters), as numbers where given. */
export interface Preconditions {
  ifGenerationMatch?: bigint;
  ifGenerationNotMatch?: bigint;
  ifMetagenerationMatch?: number;
  ifMetagenerationNotMatch?: number;
}

export class PreconditionFailed extends Error {}

const FILE = 'storage.json';

interface SavedObject {
  name: string;
  data: string;
  contentType: string;
  generation: string;
  metageneration: number;
  metadata?: Record<string, string>;
  timeCreated: string;
  updated: string;
}

export class StorageObjects {
  private readonly buckets = new Map<string, Map<string, StoredObject>>();
  private lastGeneration = 0n;
  private dir: string | undefined;
  private saving: Promise<void> = Promise.resolve();

  /** Loads `DIR/storage.json` when there is one, and writes every later change there. */
  async persistTo(dir: string): Promise<void> {
    this.dir = dir;
    let text: string;
    try {
      text = await readFile(join(dir, FILE), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    let saved: { lastGeneration: string; buckets: Record<string, SavedObject[]> };
    try {
      saved = JSON.parse(text);
    } catch (err) {
      throw new Error(`cannot read emulator storage ${join(dir, FILE)}: ${(err as Error).message}`);
    }
    this.lastGeneration = BigInt(saved.lastGeneration);
    for (const [bucket, objects] of Object.entries(saved.buckets)) {
      this.buckets.set(
        bucket,
        new Map(objects.map((o) => [o.name, { ...o, data: Buffer.from(o.data, 'base64'), generation: BigInt(o.generation) }])),
      );
    }
  }

  /** Waits for the writes in progress. */
  flush(): Promise<void> {
    return this.saving;
  }

  get(bucket: string, name: string, pre: Preconditions = {}): StoredObject | undefined {
    const obj = this.buckets.get(bucket)?.get(name);
    check(obj, pre);
    return obj;
  }

  list(bucket: string, prefix = ''): StoredObject[] {
    return [...(this.buckets.get(bucket)?.values() ?? [])].filter((o) => o.name.startsWith(prefix)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async put(bucket: string, name: string, data: Buffer, opts: { contentType: string; metadata?: Record<string, string> }, pre: Preconditions): Promise<StoredObject> {
    const objects = this.buckets.get(bucket) ?? new Map<string, StoredObject>();
    const old = objects.get(name);
    check(old, pre);
    const now = new Date().toISOString();
    const obj: StoredObject = {
      name,
      data,
      contentType: opts.contentType,
      generation: this.nextGeneration(),
      metageneration: 1,
      ...(opts.metadata && { metadata: opts.metadata }),
      timeCreated: now,
      updated: now,
    };
    objects.set(name, obj);
    this.buckets.set(bucket, objects);
    await this.save();
    return obj;
  }

  /** False when there is no such object. */
  async delete(bucket: string, name: string, pre: Preconditions): Promise<boolean> {
    const objects = this.buckets.get(bucket);
    const old = objects?.get(name);
    if (!old) return false;
    check(old, pre);
    objects!.delete(name);
    await this.save();
    return true;
  }

  /** Microseconds since the epoch, like Cloud Storage's, and always increasing. */
  private nextGeneration(): bigint {
    const now = BigInt(Date.now()) * 1000n;
    this.lastGeneration = now > this.lastGeneration ? now : this.lastGeneration + 1n;
    return this.lastGeneration;
  }

  private save(): Promise<void> {
    const dir = this.dir;
    if (!dir) return Promise.resolve();
    const snapshot = JSON.stringify({
      lastGeneration: String(this.lastGeneration),
      buckets: Object.fromEntries(
        [...this.buckets].map(([bucket, objects]) => [
          bucket,
          [...objects.values()].map((o) => ({ ...o, data: o.data.toString('base64'), generation: String(o.generation) })),
        ]),
      ),
    });
    this.saving = this.saving.then(async () => {
      await mkdir(dir, { recursive: true });
      await writeFileAtomic(join(dir, FILE), snapshot);
    });
    return this.saving;
  }
}

/** ifGenerationMatch=0 means "only if there is no live object". */
function check(obj: StoredObject | undefined, pre: Preconditions): void {
  const generation = obj?.generation ?? 0n;
  if (pre.ifGenerationMatch !== undefined && pre.ifGenerationMatch !== generation) throw new PreconditionFailed();
  if (pre.ifGenerationNotMatch !== undefined && pre.ifGenerationNotMatch === generation) throw new PreconditionFailed();
  if (pre.ifMetagenerationMatch !== undefined && (!obj || pre.ifMetagenerationMatch !== obj.metageneration)) throw new PreconditionFailed();
  if (pre.ifMetagenerationNotMatch !== undefined && obj && pre.ifMetagenerationNotMatch === obj.metageneration) throw new PreconditionFailed();
}

export function md5Base64(data: Buffer): string {
  return createHash('md5').update(data).digest('base64');
}
