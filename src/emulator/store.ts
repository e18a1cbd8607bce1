import { KINDS, getKind } from '../kinds/index.js';
import type { KindDef } from '../kinds/types.js';
import type { ApiName } from '../kinds/types.js';
import { SeriesPoints, type StoredPoint } from './series-points.js';

/**
 * The emulator's data: resources keyed by full name, each parent collection an ordered set of
 * names (creation order = list order), long-running operations, metric data points.
 */

export type Json = Record<string, unknown>;

export interface JobClock {
  startMs: number;
  phaseMs: number;
  cancelMs?: number;
  /** How long CANCELLING lasts: the job phase time when the cancel came. */
  cancelPhaseMs?: number;
  /** How the job ends, when a job outcome profile chose other than success. */
  outcome?: 'failed' | 'preempted' | 'hung';
  /** The error message of a failed outcome from a rule. */
  outcomeMessage?: string;
  /** The job has reached its terminal state; the body holds it for good. */
  final?: boolean;
}

export interface StoredResource {
  type: string;
  name: string;
  /** Creation order, for lists and page tokens. */
  seq: number;
  body: Json;
  job?: JobClock;
  /** TensorBoards: data reads per month (`YYYYMM`) and user, for readUsage. */
  usage?: Record<string, Record<string, number>>;
}

/** What a long-running operation does when it finishes. */
export type Effect =
  | { type: 'create'; kindType: string; name: string; body: Json }
  | { type: 'update'; name: string; mask: string[]; values: Json }
  | { type: 'delete'; name: string };

export interface StoredOperation {
  id: string;
  name: string;
  api: ApiName;
  /** The resource the operation acts on. */
  target: string;
  verb: 'create' | 'update' | 'delete';
  seq: number;
  createMs: number;
  doneMs: number;
  done: boolean;
  /** Injected failure: ends with an error instead of running the effect. */
  fails: boolean;
  effect?: Effect;
  metadataType?: string;
  response?: Json;
  error?: { code: number; message: string };
}

export interface FailRule {
  name?: string;
  displayNamePattern?: string;
  message?: string;
}

interface Snapshot {
  version: 1;
  seq: number;
  nextId: string;
  resources: StoredResource[];
  operations: StoredOperation[];
  points: [string, StoredPoint[]][];
  failRules: FailRule[];
}

const childKindsOf = new Map<string, KindDef[]>(
  KINDS.map((k) => [k.type, KINDS.filter((c) => c.parentType === k.type)]),
);

export class Store {
  readonly resources = new Map<string, StoredResource>();
  /** `parent/collection` (the list URL path) → names in creation order. */
  private readonly collections = new Map<string, Set<string>>();
  private readonly byDisplayName = new Map<string, Map<unknown, string>>();
  readonly operations = new Map<string, StoredOperation>();
  readonly pendingOperations = new Set<StoredOperation>();
  /** Names that pending create operations will take. */
  readonly reservedNames = new Set<string>();
  /** time series name → its points */
  readonly points = new Map<string, SeriesPoints>();
  failRules: FailRule[] = [];
  private seq = 0;
  // 19-digit ids like the real API's; increasing across restarts.
  private nextId = BigInt(Date.now()) * 1_000_000n;

  nextSeq(): number {
    return ++this.seq;
  }

  newNumericId(): string {
    this.nextId += 1n + BigInt(Math.floor(Math.random() * 1000));
    return this.nextId.toString();
  }

  get(name: string): StoredResource | undefined {
    return this.resources.get(name);
  }

  insert(res: StoredResource): void {
    this.resources.set(res.name, res);
    const coll = res.name.slice(0, res.name.lastIndexOf('/'));
    let set = this.collections.get(coll);
    if (!set) this.collections.set(coll, (set = new Set()));
    set.add(res.name);
    const index = this.byDisplayName.get(coll);
    if (index && res.body.displayName !== undefined && !index.has(res.body.displayName)) index.set(res.body.displayName, res.name);
  }

  /**
   * The resource of a collection that has this display name (for kinds where display names are
   * unique among siblings). The index is built on first use and kept by inserts, so creating
   * 10,000 runs is not 50 million comparisons; a removal or a body change drops it.
   */
  displayNameHolder(collectionPath: string, displayName: unknown): string | undefined {
    let index = this.byDisplayName.get(collectionPath);
    if (!index) {
      index = new Map();
      for (const res of this.children(collectionPath)) if (res.body.displayName !== undefined && !index.has(res.body.displayName)) index.set(res.body.displayName, res.name);
      this.byDisplayName.set(collectionPath, index);
    }
    return index.get(displayName);
  }

  /** A resource's body changed (a patch): its collection's display-name index is built again when next asked. */
  bodyChanged(name: string): void {
    this.byDisplayName.delete(name.slice(0, name.lastIndexOf('/')));
  }

  /** Resources of a collection (`projects/p/locations/l/tensorboards`) in creation order. */
  *children(collectionPath: string): Iterable<StoredResource> {
    for (const name of this.collections.get(collectionPath) ?? []) {
      const res = this.resources.get(name);
      if (res) yield res;
    }
  }

  /** Deletes a resource and everything below it; returns the deleted resources. */
  remove(name: string): StoredResource[] {
    const res = this.resources.get(name);
    if (!res) return [];
    const removed: StoredResource[] = [];
    for (const child of childKindsOf.get(res.type) ?? []) {
      const coll = `${name}/${child.collection}`;
      for (const c of [...(this.collections.get(coll) ?? [])]) removed.push(...this.remove(c));
      this.collections.delete(coll);
    }
    this.resources.delete(name);
    this.collections.get(name.slice(0, name.lastIndexOf('/')))?.delete(name);
    this.bodyChanged(name);
    this.points.delete(name);
    removed.push(res);
    return removed;
  }

  addOperation(op: StoredOperation): void {
    this.operations.set(op.id, op);
    if (!op.done) this.pendingOperations.add(op);
    if (!op.done && op.effect?.type === 'create') this.reservedNames.add(op.effect.name);
  }

  snapshot(): Snapshot {
    return {
      version: 1,
      seq: this.seq,
      nextId: this.nextId.toString(),
      resources: [...this.resources.values()].sort((a, b) => a.seq - b.seq),
      operations: [...this.operations.values()],
      points: [...this.points].map(([name, series]) => [name, series.stored()]),
      failRules: this.failRules,
    };
  }

  /** Loads a snapshot; `rename` gives each aiplatform name its current spelling (project numbers). */
  restore(raw: unknown, rename: (name: string) => string = (n) => n): void {
    const snap = raw as Snapshot;
    if (!snap || snap.version !== 1) throw new Error('emulator state file has an unknown format');
    this.seq = snap.seq;
    this.nextId = BigInt(snap.nextId);
    for (const res of snap.resources) {
      if (getKind(res.type).api === 'aiplatform') res.name = res.body.name = rename(res.name);
      this.insert(res);
    }
    for (const op of snap.operations) {
      if (op.api === 'aiplatform') {
        op.name = rename(op.name);
        op.target = rename(op.target);
        if (op.effect) op.effect.name = rename(op.effect.name);
        if (typeof op.response?.name === 'string') op.response.name = rename(op.response.name);
      }
      this.addOperation(op);
    }
    for (const [name, list] of snap.points) {
      const series = new SeriesPoints();
      for (const p of list) series.addObject(p.step, p.point);
      this.points.set(rename(name), series);
    }
    this.failRules = snap.failRules ?? [];
  }
}
