import { KINDS, findKind, getPath } from '../kinds/index.js';
import type { KindDef } from '../kinds/types.js';
import { messageSchema } from '../schema/registry.js';
import { applyNestedDefault, behaviourOf, shortName, type KindBehaviour } from './behaviour.js';
import { camel, canonicalize, checkBody, requiredFieldsMissing, snake, stripReadOnly } from './bodies.js';
import { applyMask, type EmulatorCore } from './engine.js';
import { ApiFailure, badRequest, invalidArgument, notFound } from './errors.js';
import { parseFilter } from './filter.js';
import { advanceJob } from './jobs.js';
import { decodePageToken, encodePageToken, fingerprint, pageSize } from './pagination.js';
import type { Reply, RequestContext, Route } from './router.js';
import type { Json, StoredResource } from './store.js';

/**
 * create / get / list / patch / delete (+ :cancel, batchCreate) for every kind of src/kinds,
 * with the paths, id rules and call styles its KindDef gives.
 */

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function requireObjectBody(body: unknown): Json {
  if (body === undefined) return {};
  if (!isObject(body)) throw invalidArgument('Invalid JSON payload received. Expected an object.');
  return body;
}

function patternOf(kind: KindDef): { collection: string; item: string } {
  const parent = kind.parentCollections.map((c) => `${c}/*`).join('/');
  const collection = `${parent}/${kind.collection}`;
  return { collection, item: `${collection}/*` };
}

export function itemPattern(kind: KindDef): string {
  return patternOf(kind).item;
}

const parentOf = (name: string) => name.split('/').slice(0, -2).join('/');
/** The parent of a collection path (`{parent}/runs`). */
const collectionParent = (ctx: RequestContext) => ctx.segments.slice(0, -1).join('/');

// "Label keys and values can be no longer than 64 characters (Unicode codepoints), can only
// contain lowercase letters, numeric characters, underscores and dashes. International
// characters are allowed." Keys start with a letter (Google Cloud's label rules).
const LABEL_KEY = /^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u;
const LABEL_VALUE = /^[\p{Ll}\p{Lo}\p{N}_-]{0,64}$/u;

/** Label rules the API enforces on every write. */
function checkLabels(kind: KindDef, body: Json): void {
  if (!kind.labelsPath) return;
  const labels = getPath(body, kind.labelsPath);
  if (!isObject(labels)) return;
  const field = `${snake(behaviourOf(kind).requestField)}.${kind.labelsPath.split('.').map(snake).join('.')}`;
  for (const [key, value] of Object.entries(labels)) {
    const bad = !LABEL_KEY.test(key) ? `key "${key}"` : !LABEL_VALUE.test(String(value)) ? `value "${String(value)}" of key "${key}"` : undefined;
    if (!bad) continue;
    const description = `Invalid label ${bad}: label keys start with a lowercase letter; keys and values can be at most 64 characters of lowercase letters, digits, underscores and dashes.`;
    throw invalidArgument(description, [badRequest([{ field, description }])]);
  }
}

/** Key under which a list filter sees the resource's own id. */
const ID_FIELD = '\u0000id';

/** `NotebookExecutionJob` → `notebookExecutionJob`: how filters name a resource's id. */
function resourceFieldName(kind: KindDef): string {
  const short = shortName(behaviourOf(kind));
  return short.charAt(0).toLowerCase() + short.slice(1);
}

/** The standard list page size where a method documents no other (DESIGN: 50, at most 1000). */
export const STANDARD_PAGE = { default: 50, max: 1000 };

function notFoundFor(kind: KindDef, name: string): ApiFailure {
  return notFound(`${shortName(behaviourOf(kind))} ${name} is not found.`);
}

export class ResourceHandlers {
  constructor(private readonly core: EmulatorCore) {}

  /** The stored resource of this kind, or NOT_FOUND. */
  find(kind: KindDef, name: string): StoredResource {
    const res = this.core.store.get(name);
    if (!res || res.type !== kind.type) throw notFoundFor(kind, name);
    return res;
  }

  /** A managed parent (tensorboard, experiment, run) must exist; projects and locations always do. */
  private checkParent(kind: KindDef, parent: string): void {
    if (!kind.parentType) return;
    const parentKind = findKind(kind.parentType);
    if (parentKind) this.find(parentKind, parent);
  }

  /**
   * Checks a create and returns the body to store: id rules, duplicates, display-name
   * uniqueness, canonical form, server defaults, output fields.
   */
  prepareCreate(kind: KindDef, parent: string, requestedId: string | undefined, input: Json, also: Set<string> = new Set()) {
    const b = behaviourOf(kind);
    this.checkParent(kind, parent);
    let id = requestedId;
    if (kind.idChosenBy === 'server' || (id === undefined && b.idOptional)) id = this.core.store.newNumericId();
    else if (id === undefined || id === '') throw requiredFieldsMissing([snake(kind.createIdParam ?? 'id')]);
    else if (kind.idPattern && !kind.idPattern.test(id)) {
      const field = snake(kind.createIdParam ?? 'id');
      throw invalidArgument(`Invalid ${field} "${id}": it must be ${kind.idRule}.`, [badRequest([{ field, description: `must be ${kind.idRule}` }])]);
    }
    const name = `${parent}/${kind.collection}/${id}`;
    if (this.core.store.get(name) || this.core.store.reservedNames.has(name) || also.has(name)) {
      throw new ApiFailure('ALREADY_EXISTS', `${shortName(b)} ${name} already exists.`);
    }
    const body = canonicalize(this.core.schemaOf(kind), input) as Json;
    this.checkDisplayNameFree(kind, parent, body.displayName);
    for (const [field, value] of Object.entries(kind.serverDefaults ?? {})) {
      if (body[field] === undefined) body[field] = structuredClone(value);
    }
    for (const d of b.nestedDefaults ?? []) applyNestedDefault(body, d.path, d.value);
    Object.assign(body, b.createdFields?.(id, name));
    return { id, name, body };
  }

  /** For kinds whose display names are unique among siblings. */
  private checkDisplayNameFree(kind: KindDef, parent: string, displayName: unknown, self?: string): void {
    const b = behaviourOf(kind);
    if (!b.uniqueDisplayName || displayName === undefined) return;
    const holder = this.core.store.displayNameHolder(`${parent}/${kind.collection}`, displayName);
    if (holder !== undefined && holder !== self) {
      throw new ApiFailure('ALREADY_EXISTS', `${shortName(b)} with display name "${String(displayName)}" already exists in ${parent}.`);
    }
  }

  /** Output-only fields dropped, then the body checked against the kind's schema. */
  private checkedBody(kind: KindDef, raw: unknown, partial: boolean): Json {
    const body = requireObjectBody(raw);
    const schema = this.core.schemaOf(kind);
    stripReadOnly(schema, body);
    checkBody(schema, body, { requestField: behaviourOf(kind).requestField, partial });
    checkLabels(kind, body);
    return body;
  }

  create(kind: KindDef, ctx: RequestContext): Reply {
    const parent = collectionParent(ctx);
    const input = this.checkedBody(kind, ctx.body, false);
    const idParam = kind.createIdParam ? ctx.query.get(kind.createIdParam) ?? undefined : undefined;
    const { name, body } = this.prepareCreate(kind, parent, idParam, input);
    if (kind.create === 'sync') {
      return { body: this.present(kind, this.core.insertResource(kind, name, body, ctx.now), ctx, true) };
    }
    const op = this.core.startOperation({ kind, target: name, verb: 'create', effect: { type: 'create', kindType: kind.type, name, body }, now: ctx.now });
    return { body: this.core.operationJson(op) };
  }

  /** The body as the method returns it (views leave out some fields). */
  private present(kind: KindDef, res: StoredResource, ctx: RequestContext, full = false): Json {
    const body = this.core.view(res, ctx.now);
    const b = behaviourOf(kind);
    if (!b.basicViewOmits || full || ctx.query.get('view') === b.fullView) return body;
    const copy = { ...body };
    for (const f of b.basicViewOmits) delete copy[f];
    return copy;
  }

  get(kind: KindDef, ctx: RequestContext): Reply {
    return { body: this.present(kind, this.find(kind, ctx.path), ctx) };
  }

  list(kind: KindDef, ctx: RequestContext): Reply {
    const parent = collectionParent(ctx);
    this.checkParent(kind, parent);
    const filter = ctx.query.get('filter');
    const orderBy = ctx.query.get('orderBy');
    const readMask = ctx.query.get('readMask');
    const size = pageSize(ctx.query.get('pageSize'), ctx.discovery?.page ?? STANDARD_PAGE);
    const print = fingerprint(ctx.path, filter, orderBy, readMask, ctx.query.get('view'));
    const cursor = decodePageToken(ctx.query.get('pageToken'), print);
    const stateField = kind.job?.stateField;
    // A documented filter field named after the resource (`notebookExecutionJob="ID"`) is its id.
    const idField = ctx.discovery?.filterFields?.find((f) => camel(f) === resourceFieldName(kind));
    const aliases = { ...(stateField && { state: stateField }), ...(idField && { [idField]: ID_FIELD }) };
    const matches = filter ? parseFilter(filter, aliases, ctx.discovery?.filterFields) : () => true;

    let items: StoredResource[] = [];
    for (const res of this.core.store.children(ctx.path)) {
      if (!orderBy && cursor?.after !== undefined && res.seq <= cursor.after) continue;
      const body = this.core.view(res, ctx.now);
      if (matches(idField ? { ...body, [ID_FIELD]: res.name.slice(res.name.lastIndexOf('/') + 1) } : body)) items.push(res);
      // In creation order a page ends at its size (one more tells there is a next page); only a sort needs every item.
      if (!orderBy && items.length > size) break;
    }
    let next: string | undefined;
    if (orderBy) {
      items.sort(comparator(orderBy, ctx.discovery?.orderFields));
      const offset = cursor?.offset ?? 0;
      if (items.length > offset + size) next = encodePageToken({ offset: offset + size }, print);
      items = items.slice(offset, offset + size);
    } else if (items.length > size) {
      items = items.slice(0, size);
      next = encodePageToken({ after: items[items.length - 1].seq }, print);
    }
    const mask = readMask ? readMask.split(',').map((p) => camel(p.trim())) : undefined;
    const bodies = items.map((res) => {
      const body = this.present(kind, res, ctx);
      if (!mask) return body;
      return Object.fromEntries(Object.entries(body).filter(([k]) => k === 'name' || mask.includes(k)));
    });
    // proto3 JSON leaves out an empty list.
    return { body: { ...(bodies.length && { [behaviourOf(kind).listField]: bodies }), ...(next && { nextPageToken: next }) } };
  }

  patch(kind: KindDef, ctx: RequestContext): Reply {
    const res = this.find(kind, ctx.path);
    const input = this.checkedBody(kind, ctx.body, true);
    if (input.etag !== undefined && input.etag !== res.body.etag) {
      throw new ApiFailure('ABORTED', `The etag "${String(input.etag)}" of ${res.name} is stale: the resource changed since it was read.`);
    }
    const mask = this.updateMask(kind, ctx.query.get('updateMask'), input);
    const values = canonicalize(this.core.schemaOf(kind), input) as Json;
    if (mask.includes('displayName')) this.checkDisplayNameFree(kind, parentOf(res.name), values.displayName, res.name);
    if (kind.patch === 'lro') {
      const op = this.core.startOperation({ kind, target: res.name, verb: 'update', effect: { type: 'update', name: res.name, mask, values }, now: ctx.now });
      return { body: this.core.operationJson(op) };
    }
    applyMask(res.body, mask, values);
    this.core.touch(kind, res, ctx.now);
    return { body: this.present(kind, res, ctx) };
  }

  /** The update mask's field paths (lowerCamelCase); each must name an updatable field. */
  private updateMask(kind: KindDef, raw: string | null, input: Json): string[] {
    if (raw === null || raw.trim() === '') {
      if (kind.updateMaskRequired) throw requiredFieldsMissing(['update_mask']);
      // No mask: every updatable field the request sets is overwritten.
      return kind.updatable.filter((f) => input[f] !== undefined);
    }
    const paths = raw.split(',').map((p) => p.trim().split('.').map(camel).join('.'));
    for (const p of paths) {
      if (!kind.updatable.includes(p.split('.')[0])) {
        throw invalidArgument(
          `Invalid update_mask path "${snake(p)}": the field does not exist or cannot be updated. Updatable fields: ${kind.updatable.map(snake).join(', ')}.`,
          [badRequest([{ field: 'update_mask', description: `${snake(p)} cannot be updated` }])],
        );
      }
    }
    return paths;
  }

  delete(kind: KindDef, ctx: RequestContext): Reply {
    const res = this.find(kind, ctx.path);
    const b = behaviourOf(kind);
    if (kind.job?.cancellable && b.job) {
      this.core.view(res, ctx.now);
      if (!res.job?.final) {
        throw new ApiFailure(
          'FAILED_PRECONDITION',
          `${shortName(b)} ${res.name} is in state ${String(res.body[kind.job.stateField])} and cannot be deleted. Cancel it first.`,
        );
      }
    }
    if (kind.delete === 'sync') {
      this.core.removeResource(res.name);
      return { body: {} };
    }
    const op = this.core.startOperation({ kind, target: res.name, verb: 'delete', effect: { type: 'delete', name: res.name }, now: ctx.now });
    return { body: this.core.operationJson(op) };
  }

  cancel(kind: KindDef, ctx: RequestContext): Reply {
    const res = this.find(kind, ctx.path);
    requireObjectBody(ctx.body);
    const states = behaviourOf(kind).job;
    if (!states || !res.job || !kind.job) throw notFoundFor(kind, res.name);
    this.core.view(res, ctx.now);
    if (res.job.final) {
      throw new ApiFailure(
        'FAILED_PRECONDITION',
        `Cannot cancel ${shortName(behaviourOf(kind))} ${res.name} in state ${String(res.body[kind.job.stateField])}.`,
      );
    }
    if (res.job.cancelMs === undefined) {
      res.job.cancelMs = ctx.now;
      res.job.cancelPhaseMs = this.core.settings.jobPhaseMs;
      advanceJob(res, kind, states, ctx.now, this.core.store.failRules);
      this.core.changed();
    }
    return { body: {} };
  }

  /** runs:batchCreate / experiments:batchCreate: all items are checked before any is created. */
  batchCreate(kind: KindDef, ctx: RequestContext): Reply {
    const batch = kind.batchCreate!;
    const schema = messageSchema(behaviourOf(kind).batchRequestMessage!);
    const request = requireObjectBody(ctx.body);
    stripReadOnly(schema, request);
    checkBody(schema, request, { requestField: '' });
    const items = request[batch.requestsField] as Json[];
    if (items.length > batch.max) {
      throw invalidArgument(`At most ${batch.max} ${shortName(behaviourOf(kind))}s can be created in a batch; got ${items.length}.`);
    }
    // runs:batchCreate is posted to `{experiment}/runs`, experiments:batchCreate to `{experiment}`.
    const urlParent = ctx.segments.length % 2 ? ctx.segments.slice(0, -1).join('/') : ctx.path;
    const names = new Set<string>();
    const prepared = items.map((item, i) => {
      const parent = this.core.projects.canonical(String(item.parent));
      item.parent = parent;
      // The items' parent must be the URL's (runs) or one of its children (time series of its runs).
      const ok = batch.parentLevel === 0 ? parent === urlParent : parentOf(parent) === urlParent;
      if (!ok) throw invalidArgument(`requests[${i}].parent "${parent}" is not under ${urlParent}.`);
      const id = item[batch.itemIdField] as string | undefined;
      checkLabels(kind, item[batch.itemBodyField] as Json);
      const p = this.prepareCreate(kind, parent, id, item[batch.itemBodyField] as Json, names);
      names.add(p.name);
      return p;
    });
    this.checkBatchDisplayNames(kind, behaviourOf(kind), prepared);
    const created = prepared.map((p) => this.present(kind, this.core.insertResource(kind, p.name, p.body, ctx.now), ctx));
    return { body: { [batch.responseField]: created } };
  }

  private checkBatchDisplayNames(kind: KindDef, b: KindBehaviour, prepared: { name: string; body: Json }[]): void {
    if (!b.uniqueDisplayName) return;
    const seen = new Set<string>();
    for (const p of prepared) {
      const key = `${parentOf(p.name)}\u0000${String(p.body.displayName)}`;
      if (seen.has(key)) {
        throw new ApiFailure('ALREADY_EXISTS', `${shortName(b)} with display name "${String(p.body.displayName)}" already exists in ${parentOf(p.name)}.`);
      }
      seen.add(key);
    }
  }
}

/** `display_name, create_time desc` → a comparator of stored resources; `supported`: the documented fields. */
function comparator(orderBy: string, supported?: string[]): (a: StoredResource, b: StoredResource) => number {
  const keys = orderBy.split(',').map((part) => {
    const [field, dir, extra] = part.trim().split(/\s+/);
    if (!field || extra !== undefined || (dir !== undefined && dir !== 'desc' && dir !== 'asc')) {
      throw invalidArgument(`Invalid order_by "${orderBy}".`);
    }
    if (supported && !supported.some((f) => camel(f) === camel(field))) {
      throw invalidArgument(`Invalid order_by "${orderBy}": "${field}" is not supported; supported fields: ${supported.join(', ')}.`);
    }
    return { field: camel(field), sign: dir === 'desc' ? -1 : 1 };
  });
  return (a, b) => {
    for (const { field, sign } of keys) {
      const x = String(a.body[field] ?? '');
      const y = String(b.body[field] ?? '');
      if (x !== y) return x < y ? -sign : sign;
    }
    return a.seq - b.seq;
  };
}

/** The routes of every kind. */
export function resourceRoutes(core: EmulatorCore): Route[] {
  const h = new ResourceHandlers(core);
  const routes: Route[] = [];
  for (const kind of KINDS) {
    const { collection, item } = patternOf(kind);
    const name = kind.collection;
    const api = kind.api;
    routes.push(
      { method: 'POST', pattern: collection, name: `${name}.create`, api, jobSubmission: kind.job !== undefined, handle: (ctx) => h.create(kind, ctx) },
      { method: 'GET', pattern: collection, name: `${name}.list`, api, handle: (ctx) => h.list(kind, ctx) },
      { method: 'GET', pattern: item, name: `${name}.get`, api, handle: (ctx) => h.get(kind, ctx) },
      { method: 'DELETE', pattern: item, name: `${name}.delete`, api, handle: (ctx) => h.delete(kind, ctx) },
    );
    if (kind.patch !== 'none') {
      routes.push({ method: 'PATCH', pattern: item, name: `${name}.patch`, api, handle: (ctx) => h.patch(kind, ctx) });
    }
    if (kind.job?.cancellable) {
      routes.push({ method: 'POST', pattern: `${item}:cancel`, name: `${name}.cancel`, api, handle: (ctx) => h.cancel(kind, ctx) });
    }
    if (kind.batchCreate) {
      const parentSegs = collection.split('/').slice(0, -1);
      const urlParent = parentSegs.slice(0, parentSegs.length - 2 * kind.batchCreate.parentLevel).join('/');
      const suffix = kind.batchCreate.pathSuffix;
      routes.push({
        method: 'POST',
        pattern: suffix.startsWith(':') ? `${urlParent}${suffix}` : `${urlParent}/${suffix}`,
        name: `${name}.batchCreate`,
        api,
        handle: (ctx) => h.batchCreate(kind, ctx),
      });
    }
  }
  return routes;
}
