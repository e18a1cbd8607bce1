import { setTimeout as sleep } from 'node:timers/promises';
import { KINDS } from '../kinds/index.js';
import { canonicalDuration } from '../schema/formats.js';
import { locationPrefix, type EmulatorCore } from './engine.js';
import { invalidArgument, notFound } from './errors.js';
import { parseFilter } from './filter.js';
import { decodePageToken, encodePageToken, fingerprint, pageSize } from './pagination.js';
import { itemPattern, requireObjectBody, STANDARD_PAGE } from './resources.js';
import type { Reply, RequestContext, Route } from './router.js';
import type { StoredOperation } from './store.js';

/**
 * google.longrunning.Operations: get, list, cancel, delete, and aiplatform's `:wait` long poll.
 * An operation is reachable under its location and under the resource it acts on, like the
 * `{resource}/operations/{id}` paths of the discovery documents.
 */

const WAIT_DEFAULT_MS = 60_000;
const WAIT_MAX_MS = 600_000;

function parseTimeout(raw: string | null): number {
  if (raw === null || raw === '') return WAIT_DEFAULT_MS;
  const m = /^(\d+)(\.\d+)?s$/.exec(canonicalDuration(raw));
  if (!m) throw invalidArgument(`Invalid value at 'timeout' (type.googleapis.com/google.protobuf.Duration), "${raw}"`);
  return Math.min(Number(`${m[1]}${m[2] ?? ''}`) * 1000, WAIT_MAX_MS);
}


class OperationHandlers {
  constructor(private readonly core: EmulatorCore) {}

  /** The operation a `{prefix}/operations/{id}` path names, or NOT_FOUND. */
  find(ctx: RequestContext): StoredOperation {
    const id = ctx.segments[ctx.segments.length - 1];
    const prefix = ctx.segments.slice(0, -2).join('/');
    const op = this.core.store.operations.get(id);
    const projects = this.core.projects;
    if (!op || (!projects.same(prefix, locationPrefix(op.target)) && !projects.same(prefix, op.target))) throw notFound(`Operation ${ctx.path} is not found.`);
    return op;
  }

  get(ctx: RequestContext): Reply {
    return { body: this.core.operationJson(this.find(ctx)) };
  }

  list(ctx: RequestContext): Reply {
    const prefix = ctx.segments.slice(0, -1).join('/');
    const filter = ctx.query.get('filter');
    const size = pageSize(ctx.query.get('pageSize'), ctx.discovery?.page ?? STANDARD_PAGE);
    const print = fingerprint(ctx.path, filter);
    const after = decodePageToken(ctx.query.get('pageToken'), print)?.after ?? 0;
    const matches = filter ? parseFilter(filter) : () => true;
    const atLocation = prefix.split('/').length === 4;
    const found: StoredOperation[] = [];
    let next: string | undefined;
    for (const op of this.core.store.operations.values()) {
      if (op.seq <= after) continue;
      const inScope = this.core.projects.same(atLocation ? locationPrefix(op.target) : op.target, prefix);
      if (!inScope || !matches(this.core.operationJson(op))) continue;
      if (found.length === size) {
        next = encodePageToken({ after: found[found.length - 1].seq }, print);
        break;
      }
      found.push(op);
    }
    const operations = found.map((op) => this.core.operationJson(op));
    return { body: { ...(operations.length && { operations }), ...(next && { nextPageToken: next }) } };
  }

  /** Long poll: answers when the operation is done or the timeout has passed. */
  async wait(ctx: RequestContext): Promise<Reply> {
    const op = this.find(ctx);
    // notebooks v1 has no :wait; only aiplatform operations answer to it.
    if (op.api !== 'aiplatform') throw notFound(`The requested URL /v1/${ctx.path}:wait was not found on this server.`);
    requireObjectBody(ctx.body);
    const deadline = ctx.now + parseTimeout(ctx.query.get('timeout'));
    for (;;) {
      const now = Date.now();
      this.core.settle(now);
      if (op.done || now >= deadline || ctx.aborted() || this.core.closed) break;
      await sleep(Math.max(1, Math.min(op.doneMs - now, deadline - now, 100)));
    }
    return { body: this.core.operationJson(op) };
  }

  cancel(ctx: RequestContext): Reply {
    const op = this.find(ctx);
    requireObjectBody(ctx.body);
    this.core.cancelOperation(op, ctx.now);
    return { body: {} };
  }

  delete(ctx: RequestContext): Reply {
    const op = this.find(ctx);
    this.core.store.operations.delete(op.id);
    this.core.store.pendingOperations.delete(op);
    this.core.changed();
    return { body: {} };
  }
}

/** Operation routes under each location and under each resource of every kind. */
export function operationRoutes(core: EmulatorCore): Route[] {
  const h = new OperationHandlers(core);
  const owners = ['projects/*/locations/*', ...KINDS.filter((k) => k.api === 'aiplatform').map(itemPattern)];
  // Every owner's operations are described by the location's methods in the discovery document;
  // Google's generated clients call them under /ui/ first (their HttpRule bindings), then /v1/.
  const at = 'projects/*/locations/*/operations';
  const common = { api: 'aiplatform' as const, bindings: ['v1', 'ui'] };
  return owners.flatMap((owner): Route[] => {
    const ops = `${owner}/operations`;
    return [
      { ...common, method: 'GET', pattern: ops, discoveryPattern: at, name: 'operations.list', handle: (ctx) => h.list(ctx) },
      { ...common, method: 'GET', pattern: `${ops}/*`, discoveryPattern: `${at}/*`, name: 'operations.get', handle: (ctx) => h.get(ctx) },
      { ...common, method: 'DELETE', pattern: `${ops}/*`, discoveryPattern: `${at}/*`, name: 'operations.delete', handle: (ctx) => h.delete(ctx) },
      { ...common, method: 'POST', pattern: `${ops}/*:cancel`, discoveryPattern: `${at}/*:cancel`, name: 'operations.cancel', handle: (ctx) => h.cancel(ctx) },
      { ...common, method: 'POST', pattern: `${ops}/*:wait`, discoveryPattern: `${at}/*:wait`, name: 'operations.wait', handle: (ctx) => h.wait(ctx) },
    ];
  });
}
