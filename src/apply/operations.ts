import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, isNotFound, type ApiClient } from '../api/client.js';
import type { Operation } from '../api/types.js';
import { getPath, isOwnedBy, type Owner } from '../kinds/labels.js';
import type { KindDef } from '../kinds/types.js';

/**
 * API calls on one resource of any kind, driven by its KindDef: create (client id or server id,
 * sync or long-running), patch, delete, job cancel/wait, and finding what a crashed run created.
 */
export type Live = Record<string, unknown>;

/** Time left of a step, for operation waits. */
export interface Deadline {
  remainingMs(): number;
}

/** The run was interrupted while it waited for a job: the job runs on, state records it. */
export class JobWaitStopped extends Error {
  constructor(name: string, state: string | undefined) {
    super(`stopped waiting for job ${name} (${state ?? 'running'}): it keeps running and state records it; apply --wait-jobs again to wait for it`);
    this.name = 'JobWaitStopped';
  }
}

export class StepTimeout extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StepTimeout';
  }
}

const JOB_POLL_BASE_MS = 100;
const JOB_POLL_MAX_MS = 10_000;

function collectionPath(kind: KindDef, parent: string): string {
  return `${kind.version}/${parent}/${kind.collection}`;
}

/** The resource inside a finished operation's `response` (without its `@type`). */
function resourceOf(op: Operation): Live | undefined {
  const r = op.response;
  if (!r || typeof r.name !== 'string') return undefined;
  const { ['@type']: _type, ...rest } = r;
  return rest;
}

async function waitFor(client: ApiClient, kind: KindDef, op: Operation, deadline: Deadline): Promise<Operation> {
  const timeoutMs = deadline.remainingMs();
  if (timeoutMs <= 0) throw new StepTimeout(`step timed out while waiting for operation ${op.name}`);
  return client.waitOperation(kind.api, op, { timeoutMs });
}

export async function getResource(client: ApiClient, kind: KindDef, name: string): Promise<Live | null> {
  try {
    return await client.request<Live>({ api: kind.api, method: 'GET', path: `${kind.version}/${name}` });
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

export interface CreateCall {
  parent: string;
  /** Client-chosen id, for kinds whose API takes one. */
  id?: string;
  body: Live;
  /** Called with the operation name before waiting, so state can record it. */
  onOperation?: (operation: string) => Promise<void>;
}

/** Creates a resource and returns it as the server holds it. ALREADY_EXISTS is the caller's to judge. */
export async function createResource(client: ApiClient, kind: KindDef, call: CreateCall, deadline: Deadline): Promise<Live> {
  const query = kind.idChosenBy === 'client' && kind.createIdParam ? { [kind.createIdParam]: call.id } : undefined;
  const res = await client.request<Live>({ api: kind.api, method: 'POST', path: collectionPath(kind, call.parent), query, body: call.body });
  if (kind.create === 'sync') return res;
  const op = res as unknown as Operation;
  await call.onOperation?.(op.name);
  const done = await waitFor(client, kind, op, deadline);
  const created = resourceOf(done);
  if (created) return created;
  // Some operations answer with an empty response: read the resource when its name is known.
  if (call.id) {
    const name = `${call.parent}/${kind.collection}/${call.id}`;
    const live = await getResource(client, kind, name);
    if (live) return live;
  }
  throw new Error(`operation ${op.name} finished without returning the created resource`);
}

/** Patches the fields in `mask` (top-level body fields) and returns the resource after the change. */
export async function patchResource(
  client: ApiClient,
  kind: KindDef,
  name: string,
  body: Live,
  mask: string[],
  deadline: Deadline,
): Promise<Live> {
  const res = await client.request<Live>({
    api: kind.api,
    method: 'PATCH',
    path: `${kind.version}/${name}`,
    query: { updateMask: mask.join(',') },
    body,
  });
  if (kind.patch !== 'lro') return res;
  const done = await waitFor(client, kind, res as unknown as Operation, deadline);
  const live = resourceOf(done) ?? (await getResource(client, kind, name));
  if (!live) throw new Error(`${name} no longer exists after its update`);
  return live;
}

/** Deletes a resource; false when it was already gone (404 counts as done). */
export async function deleteResource(client: ApiClient, kind: KindDef, name: string, deadline: Deadline): Promise<boolean> {
  let res: Live;
  try {
    res = await client.request<Live>({ api: kind.api, method: 'DELETE', path: `${kind.version}/${name}` });
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
  if (kind.delete === 'lro' && typeof res.name === 'string') {
    try {
      await waitFor(client, kind, res as unknown as Operation, deadline);
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }
  return true;
}

/**
 * Live resources of a parent collection that carry this stack's and address's ownership labels:
 * what an earlier run created with a server-chosen id but could not record (it crashed first).
 */
export async function findOwned(
  client: ApiClient,
  kind: KindDef,
  parent: string,
  owner: Owner & { address: string },
): Promise<Live[]> {
  const found: Live[] = [];
  const items = client.list<Live>({ api: kind.api, path: collectionPath(kind, parent), itemsField: kind.listItemsField, query: kind.listQuery });
  for await (const item of items) {
    if (isOwnedBy(kind, item, owner, owner.address)) found.push(item);
  }
  return found;
}

export function jobState(kind: KindDef, live: Live): string | undefined {
  if (!kind.job) return undefined;
  const s = live[kind.job.stateField];
  return typeof s === 'string' ? s : undefined;
}

export function isTerminal(kind: KindDef, live: Live): boolean {
  const s = jobState(kind, live);
  return !!kind.job && s !== undefined && kind.job.terminal.includes(s);
}

/** The job's own error message, when it reports one. */
export function jobError(kind: KindDef, live: Live): string | undefined {
  if (!kind.job?.errorField) return undefined;
  const msg = getPath(live, `${kind.job.errorField}.message`);
  return typeof msg === 'string' && msg ? msg : undefined;
}

export async function cancelJob(client: ApiClient, kind: KindDef, name: string): Promise<void> {
  try {
    await client.request({ api: kind.api, method: 'POST', path: `${kind.version}/${name}:cancel`, body: {} });
  } catch (err) {
    // Already finished or already gone: nothing to cancel.
    if (isNotFound(err) || (err instanceof ApiError && err.code === 'FAILED_PRECONDITION')) return;
    throw err;
  }
}

/** Polls a job with capped exponential backoff until it reaches a terminal state (null: it is gone). */
export async function waitJobTerminal(
  client: ApiClient,
  kind: KindDef,
  name: string,
  deadline: Deadline,
  onState?: (state: string) => void,
  /** Stops the wait (not the job) when aborted: the first Ctrl-C of an apply --wait-jobs. */
  signal?: AbortSignal,
): Promise<Live | null> {
  let lastState: string | undefined;
  for (let poll = 0; ; poll++) {
    if (signal?.aborted) throw new JobWaitStopped(name, lastState);
    const live = await getResource(client, kind, name);
    if (!live) return null;
    const state = jobState(kind, live);
    if (state !== undefined && state !== lastState) onState?.(state);
    lastState = state;
    if (isTerminal(kind, live)) return live;
    const remaining = deadline.remainingMs();
    if (remaining <= 0) throw new StepTimeout(`step timed out while job ${name} was ${state ?? 'running'}`);
    await sleep(Math.min(remaining, JOB_POLL_MAX_MS, JOB_POLL_BASE_MS * 2 ** Math.min(poll, 10)), undefined, { signal }).catch(() => undefined);
  }
}
