import { randomBytes } from 'node:crypto';
import { KINDS, getKind } from '../kinds/index.js';
import { parseResourceName } from '../kinds/names.js';
import type { KindDef } from '../kinds/types.js';
import { kindSchema, type SchemaNode } from '../schema/registry.js';
import { behaviourOf, type KindBehaviour } from './behaviour.js';
import { ApiFailure, notFound, rpcCode } from './errors.js';
import { FaultInjector } from './faults.js';
import { advanceJob, iso } from './jobs.js';
import { DEFAULT_SETTINGS, type EmulatorOptions, type RuntimeSettings } from './options.js';
import type { Persistence } from './persistence.js';
import { ProjectDirectory } from './projects.js';
import { OutcomePicker } from './outcomes.js';
import { QuotaTracker } from './quotas.js';
import { Store, type Effect, type FailRule, type Json, type StoredOperation, type StoredResource } from './store.js';

/**
 * The emulator's behaviour, independent of HTTP: resources with their output fields and job
 * clocks, long-running operations that finish after `operationDelayMs`, fault decisions.
 */
export class EmulatorCore {
  readonly store = new Store();
  readonly faults: FaultInjector;
  readonly quotas = new QuotaTracker();
  readonly outcomes = new OutcomePicker();
  readonly projects: ProjectDirectory;
  settings: RuntimeSettings;
  persistence?: Persistence;
  closed = false;

  constructor(opts: EmulatorOptions, projects = new ProjectDirectory(false)) {
    this.projects = projects;
    this.settings = { ...DEFAULT_SETTINGS };
    this.faults = new FaultInjector();
    this.configure(opts);
  }

  configure(opts: Partial<EmulatorOptions>): void {
    for (const key of ['latencyMs', 'jitterMs', 'operationDelayMs', 'jobPhaseMs'] as const) {
      const v = opts[key];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !(v >= 0)) throw new Error(`${key} must be a number ≥ 0`);
      this.settings[key] = v;
    }
    if (opts.jobPhaseMs === 0) this.settings.jobPhaseMs = 1;
    if (opts.quiet !== undefined) this.settings.quiet = opts.quiet;
    if ('faults' in opts) this.faults.configure(opts.faults ?? undefined);
    if ('quotas' in opts) this.quotas.configure(opts.quotas ?? undefined);
    if ('jobOutcomes' in opts) this.outcomes.configure(opts.jobOutcomes ?? undefined);
  }

  changed(): void {
    this.persistence?.changed();
  }

  schemaOf(kind: KindDef): SchemaNode {
    return kindSchema(kind.type);
  }

  /** The resource's body as of `now` (jobs advanced). */
  view(res: StoredResource, now: number): Json {
    const kind = getKind(res.type);
    const states = behaviourOf(kind).job;
    if (states && advanceJob(res, kind, states, now, this.store.failRules)) this.changed();
    return res.body;
  }

  /** Makes matching jobs end FAILED: those running now and those created later. */
  failJobs(rule: FailRule): void {
    if (rule.displayNamePattern !== undefined) new RegExp(rule.displayNamePattern);
    // A job named with the project id is the one stored under the project number.
    const name = rule.name;
    if (name !== undefined && KINDS.some((k) => k.api === 'aiplatform' && parseResourceName(k, name))) rule = { ...rule, name: this.projects.canonical(name) };
    const now = Date.now();
    // Jobs whose time is already up end as they would have, before the rule exists.
    for (const res of this.store.resources.values()) if (res.job && !res.job.final) this.view(res, now);
    this.store.failRules.push(rule);
    this.changed();
  }

  /** Drops the rules of failJobs: jobs created from now on end as their outcome profile says. */
  clearFailRules(): void {
    this.store.failRules.length = 0;
  }

  newEtag(): string {
    return randomBytes(12).toString('base64url');
  }

  /** Stores a new resource whose body was checked and canonicalized. */
  insertResource(kind: KindDef, name: string, body: Json, now: number): StoredResource {
    const b = behaviourOf(kind);
    body.name = name;
    body.createTime = body.updateTime = iso(now);
    if (this.hasEtag(kind)) body.etag = this.newEtag();
    const res: StoredResource = { type: kind.type, name, seq: this.store.nextSeq(), body };
    if (b.job && kind.job) {
      res.job = { startMs: now, phaseMs: this.settings.jobPhaseMs };
      const picked = this.outcomes.pick(String(body.displayName ?? ''));
      if (picked && picked.outcome !== 'succeeded') {
        res.job.outcome = picked.outcome;
        if (picked.message !== undefined) res.job.outcomeMessage = picked.message;
      }
      body[kind.job.stateField] = b.job.phases[0];
    }
    this.store.insert(res);
    this.enforceExclusiveFlag(kind, b, res, now);
    this.adjustCounts(kind, name, 1);
    this.changed();
    return res;
  }

  /** Records a change to a stored resource: new updateTime and etag. */
  touch(kind: KindDef, res: StoredResource, now: number): void {
    res.body.updateTime = iso(now);
    this.store.bodyChanged(res.name);
    if (this.hasEtag(kind)) res.body.etag = this.newEtag();
    this.enforceExclusiveFlag(kind, behaviourOf(kind), res, now);
    this.changed();
  }

  removeResource(name: string): void {
    const res = this.store.get(name);
    if (!res) return;
    this.adjustCounts(getKind(res.type), name, -1);
    for (const gone of this.store.remove(name)) {
      if (gone !== res) this.adjustCounts(getKind(gone.type), gone.name, -1);
    }
    this.changed();
  }

  private hasEtag(kind: KindDef): boolean {
    const props = this.schemaOf(kind).properties as Record<string, unknown> | undefined;
    return props !== undefined && 'etag' in props;
  }

  /** Setting e.g. isDefault on one tensorboard clears it on the others of the location. */
  private enforceExclusiveFlag(kind: KindDef, b: KindBehaviour, res: StoredResource, now: number): void {
    const flag = b.exclusiveFlag;
    if (!flag || res.body[flag] !== true) return;
    const coll = res.name.slice(0, res.name.lastIndexOf('/'));
    for (const other of this.store.children(coll)) {
      if (other === res || other.body[flag] !== true) continue;
      delete other.body[flag];
      other.body.updateTime = iso(now);
      if (this.hasEtag(kind)) other.body.etag = this.newEtag();
    }
  }

  /** Keeps output-only counters (a tensorboard's runCount) in step with their descendants. */
  private adjustCounts(kind: KindDef, name: string, delta: number): void {
    for (const ancestorKind of KINDS) {
      const counts = behaviourOf(ancestorKind).counts;
      if (!counts || counts.kindType !== kind.type) continue;
      const ancestorName = name.split('/').slice(0, ancestorKind.parentCollections.length * 2 + 2).join('/');
      const ancestor = this.store.get(ancestorName);
      if (!ancestor) continue;
      const n = Number(ancestor.body[counts.field] ?? 0) + delta;
      if (n > 0) ancestor.body[counts.field] = n;
      else delete ancestor.body[counts.field];
    }
  }

  // ---- long-running operations ----

  startOperation(args: {
    kind: KindDef;
    target: string;
    verb: StoredOperation['verb'];
    effect: Effect;
    now: number;
  }): StoredOperation {
    const { kind, target, verb, now } = args;
    const location = locationPrefix(target);
    const notebooks = kind.api === 'notebooks';
    const id = notebooks
      ? `operation-${now}-${randomBytes(7).toString('hex').slice(0, 13)}-${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}`
      : this.store.newNumericId();
    // Vertex AI names create/update operations after the resource, deletes after the location.
    const name = !notebooks && verb !== 'delete' ? `${target}/operations/${id}` : `${location}/operations/${id}`;
    const op: StoredOperation = {
      id,
      name,
      api: kind.api,
      target,
      verb,
      seq: this.store.nextSeq(),
      createMs: now,
      doneMs: now + this.settings.operationDelayMs,
      done: false,
      fails: this.faults.failOperation(),
      effect: args.effect,
      metadataType: behaviourOf(kind).operationMetadata?.[verb],
    };
    this.store.addOperation(op);
    this.changed();
    if (this.settings.operationDelayMs === 0) this.completeOperation(op, now);
    return op;
  }

  /** Finishes every operation whose time has come. */
  settle(now: number): void {
    if (this.store.pendingOperations.size === 0) return;
    for (const op of [...this.store.pendingOperations]) if (op.doneMs <= now) this.completeOperation(op, now);
  }

  private completeOperation(op: StoredOperation, now: number): void {
    this.store.pendingOperations.delete(op);
    if (op.effect?.type === 'create') this.store.reservedNames.delete(op.effect.name);
    op.done = true;
    op.doneMs = Math.min(op.doneMs, now);
    if (op.fails) {
      op.error = { code: rpcCode('INTERNAL'), message: 'Internal error encountered.' };
    } else if (op.effect) {
      try {
        op.response = this.applyEffect(op.effect, op.doneMs);
      } catch (err) {
        if (!(err instanceof ApiFailure)) throw err;
        op.error = { code: rpcCode(err.status), message: err.message };
      }
    }
    delete op.effect;
    this.changed();
  }

  private applyEffect(effect: Effect, now: number): Json {
    if (effect.type === 'delete') {
      this.removeResource(effect.name);
      return { '@type': 'type.googleapis.com/google.protobuf.Empty' };
    }
    if (effect.type === 'create') {
      const kind = getKind(effect.kindType);
      const res = this.insertResource(kind, effect.name, effect.body, now);
      return typed(kind, this.view(res, now));
    }
    const res = this.store.get(effect.name);
    if (!res) throw notFound(`Resource ${effect.name} is not found.`);
    const kind = getKind(res.type);
    applyMask(res.body, effect.mask, effect.values);
    this.touch(kind, res, now);
    return typed(kind, this.view(res, now));
  }

  /** Cancels a pending operation: it ends with CANCELLED and its effect does not happen. */
  cancelOperation(op: StoredOperation, now: number): void {
    if (op.done) return;
    this.store.pendingOperations.delete(op);
    if (op.effect?.type === 'create') this.store.reservedNames.delete(op.effect.name);
    delete op.effect;
    op.done = true;
    op.doneMs = now;
    op.error = { code: rpcCode('CANCELLED'), message: 'Operation was cancelled.' };
    this.changed();
  }

  operationJson(op: StoredOperation): Json {
    const updated = iso(op.done ? op.doneMs : op.createMs);
    const metadata =
      op.api === 'notebooks'
        ? {
            '@type': 'type.googleapis.com/google.cloud.notebooks.v1.OperationMetadata',
            createTime: iso(op.createMs),
            ...(op.done && { endTime: updated }),
            target: op.target,
            verb: op.verb,
            ...(op.error?.code === 1 && { requestedCancellation: true }),
            apiVersion: 'v1',
          }
        : {
            '@type': `type.googleapis.com/${op.metadataType ?? 'google.cloud.aiplatform.v1.GenericOperationMetadata'}`,
            genericMetadata: { createTime: iso(op.createMs), updateTime: updated },
          };
    // proto3 JSON leaves out `done: false`.
    return {
      name: op.name,
      metadata,
      ...(op.done && { done: true }),
      ...(op.error && { error: op.error }),
      ...(op.response && { response: op.response }),
    };
  }
}

/** `projects/p/locations/l/...` → `projects/p/locations/l`. */
export function locationPrefix(name: string): string {
  return name.split('/').slice(0, 4).join('/');
}

function typed(kind: KindDef, body: Json): Json {
  return { '@type': `type.googleapis.com/${behaviourOf(kind).protoMessage}`, ...body };
}

/** Sets (or clears, when absent from `values`) each masked field path. */
export function applyMask(body: Json, mask: string[], values: Json): void {
  for (const path of mask) {
    const segs = path.split('.');
    let src: unknown = values;
    let dst = body;
    for (const seg of segs.slice(0, -1)) {
      src = src && typeof src === 'object' ? (src as Json)[seg] : undefined;
      if (!dst[seg] || typeof dst[seg] !== 'object') dst[seg] = {};
      dst = dst[seg] as Json;
    }
    const last = segs[segs.length - 1];
    const v = src && typeof src === 'object' ? (src as Json)[last] : undefined;
    if (v === undefined) delete dst[last];
    else dst[last] = v;
  }
}
