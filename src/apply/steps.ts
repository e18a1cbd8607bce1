import { ApiError, type ApiClient } from '../api/client.js';
import { bodyFromProps } from '../kinds/body.js';
import { isOwnedBy, labelsOf, type Owner } from '../kinds/labels.js';
import { idOf, parentName, resourceName } from '../kinds/names.js';
import type { KindDef } from '../kinds/types.js';
import { describeFailedJob, jobStatusOf } from '../kinds/job-status.js';
import { dataProps } from '../kinds/virtual-props.js';
import { untouchedLabels } from '../plan/diff.js';
import type { PlannedStep } from '../plan/types.js';
import { forgetEntry, removeEntry, settleReplaced } from '../state/doc.js';
import type { StateStore } from '../state/store.js';
import type { PendingOperation, StateEntry } from '../state/types.js';
import { batchCreate, type BatchItem } from './batch.js';
import {
  cancelJob,
  createResource,
  deleteResource,
  findOwned,
  getResource,
  isTerminal,
  jobError,
  jobState,
  patchResource,
  waitJobTerminal,
  type Deadline,
  type Live,
} from './operations.js';
import { appliedEntry, refreshedEntry, withOptions } from '../state/entry.js';
import type { StepResult } from './types.js';

/** What every step of one run shares. */
export interface StepEnv {
  client: ApiClient;
  store: StateStore;
  /** Whose resources these are: the stack and environment the ownership labels name. */
  owner: Owner;
  waitJobs: boolean;
  /** Live resources read when the plan was checked, by address: their etags guard patches. */
  live: Map<string, Live>;
  /** Write calls in flight for one step's data (metric points); default 10. */
  parallelism?: number;
  /** The command that imports a resource under an address (the CLI knows the flags it needs). */
  importHint?: (address: string, name: string) => string;
  /** Aborted by the first Ctrl-C: no new steps, and job waits stop (the jobs run on). */
  signal?: AbortSignal;
}

/** One step ready to run: references in its props are resolved. */
export interface StepTask {
  step: PlannedStep;
  kind: KindDef;
  /** Desired props with references resolved (empty for deletes). */
  props: Record<string, unknown>;
  deadline: Deadline;
  progress: (message: string) => void;
}

export interface StepOutcome {
  result: StepResult;
  name?: string;
  /** Addresses removed from state with this one (children the API deleted along with it). */
  also?: string[];
}

export function runStep(env: StepEnv, task: StepTask): Promise<StepOutcome> {
  switch (task.step.action) {
    case 'create':
      return createStep(env, task);
    case 'update':
      return updateStep(env, task);
    case 'replace':
      return replaceStep(env, task);
    case 'delete':
      return deleteStep(env, task);
    case 'record':
      return recordStep(env, task);
    case 'adopt':
      return adoptStep(env, task);
    case 'no-op':
      // Only an unchanged job that apply --wait-jobs watches reaches here (the executor skips other no-ops).
      if (!needsWatching(task.step, env.waitJobs)) throw new Error('a no-op step has nothing to run');
      return watchJob(env, task).then(() => ({ result: 'waited', name: task.step.name }));
  }
}

/**
 * Whether an unchanged job still has something to say to an apply --wait-jobs: it runs (wait for
 * it), or it ended badly (the run fails, this time and every time, until it is re-submitted).
 */
export function needsWatching(step: PlannedStep, waitJobs: boolean): boolean {
  return waitJobs && step.action === 'no-op' && !!step.job && step.job.outcome !== 'succeeded';
}

const now = () => new Date().toISOString();

function owner(env: StepEnv, task: StepTask) {
  return { ...env.owner, address: task.step.address };
}

function clientId(kind: KindDef, props: Record<string, unknown>): string | undefined {
  return kind.idChosenBy === 'client' ? String(props[kind.idProp]) : undefined;
}

/**
 * Records, before a create call, that the address is being created (and where): a run that dies
 * before the answer leaves this intent, and the next run adopts what was created instead of
 * creating a twin. The props recorded are those sent, so an adopted resource compares equal;
 * virtual props are left out, since they are written only after the create.
 */
function intentEntry(task: StepTask, pending: PendingOperation, name: string, prev: StateEntry | undefined): StateEntry {
  const { kind, props } = task;
  // The task's own props (resolved for it), not a copy: state freezes what it keeps, and the
  // finished entry shares them (recordedProps), so 10,000 runs' props are copied and frozen once.
  const sent = kind.virtualProps.length ? Object.fromEntries(Object.entries(props).filter(([k]) => !kind.virtualProps.includes(k))) : props;
  const entry: StateEntry = {
    type: kind.type,
    name,
    id: name ? idOf(name) : '',
    props: sent,
    outputs: prev?.outputs ?? NO_OUTPUTS,
    pending,
  };
  const desired = task.step.desired;
  if (desired?.dependsOn.length) entry.dependsOn = [...desired.dependsOn];
  if (desired?.deletionPolicy === 'abandon') entry.deletionPolicy = 'abandon';
  if (desired?.protected) entry.protected = true;
  return entry;
}

/** The outputs of an address not created yet: one frozen object for all (state freezes what it keeps anyway). */
const NO_OUTPUTS: Record<string, unknown> = Object.freeze({});

function writeIntent(env: StepEnv, task: StepTask, pending: Omit<PendingOperation, 'startedAt'>, name: string): Promise<void> {
  const { address } = task.step;
  return env.store.put([[address, intentEntry(task, { ...pending, startedAt: now() }, name, env.store.doc.resources[address])]]);
}

function noteOperation(env: StepEnv, address: string, operation: string): Promise<void> {
  const entry = env.store.doc.resources[address];
  return env.store.put(entry?.pending ? [[address, { ...entry, pending: { ...entry.pending, operation } }]] : []);
}

function record(env: StepEnv, task: StepTask, live: Live): Promise<void> {
  return env.store.put([[task.step.address, appliedEntry(task.kind, task.props, live, task.step.desired)]]);
}

// ---------------------------------------------------------------------------------------------
// create

/** `earlier`: the intent an unfinished earlier run left (by default, what state holds now). */
async function createStep(env: StepEnv, task: StepTask, earlier = env.store.doc.resources[task.step.address]?.pending): Promise<StepOutcome> {
  const live = await createOne(env, task, { earlier });
  await writeVirtualProps(env, [{ task, live }]);
  const final = await finishJob(env, task, live);
  return { result: 'created', name: String(final.name) };
}

/**
 * Creates (or adopts what an unfinished earlier run created) and returns the live resource.
 * `replaces`: the resource this one replaces, which stays recorded (name and props) until the
 * new one exists, so a crash in between leaves state describing what is really there.
 */
async function createOne(
  env: StepEnv,
  task: StepTask,
  { replaces, earlier = env.store.doc.resources[task.step.address]?.pending }: { replaces?: string; earlier?: PendingOperation } = {},
): Promise<Live> {
  const { step, kind, props } = task;
  const prev = env.store.doc.resources[step.address];
  const parent = parentName(kind, props);
  const id = clientId(kind, props);
  if (earlier && kind.idChosenBy === 'server') {
    const adopted = await adoptOwned(env, task, parent, [earlier.replaces, replaces, prev?.name]);
    if (adopted) return adopted;
  }
  const name = id ? resourceName(kind, props, id) : '';
  if (replaces && prev) {
    await env.store.update((doc) => {
      doc.resources[step.address] = { ...prev, pending: { action: 'replace', parent, replaces, startedAt: now() } };
    });
  } else {
    await writeIntent(env, task, { action: 'create', parent }, name);
  }
  try {
    return await createResource(
      env.client,
      kind,
      { parent, id, body: bodyFromProps(kind, props, owner(env, task)), onOperation: (op) => noteOperation(env, step.address, op) },
      task.deadline,
    );
  } catch (err) {
    if (!(id && err instanceof ApiError && err.code === 'ALREADY_EXISTS')) throw err;
    return adoptExisting(env, task, name, !!earlier, err);
  }
}

/**
 * A create with a client-chosen id was refused as a conflict. If the id is taken, it is ours when
 * an earlier run recorded the intent to create it or it carries our ownership labels; anything
 * else is someone else's.
 */
async function adoptExisting(env: StepEnv, task: StepTask, name: string, hadIntent: boolean, conflict: ApiError): Promise<Live> {
  const { kind, step } = task;
  const live = await getResource(env.client, kind, name);
  // Not the id that is taken (e.g. a run's displayName must be unique in its experiment): the API's message says what.
  if (!live) throw conflict;
  if (!hadIntent && !isOwnedBy(kind, live, env.owner, step.address)) {
    const hint = env.importHint?.(step.address, name) ?? `vertexctl import ${step.address} ${name}`;
    throw new Error(`${name} already exists and is not managed by this stack; to manage it, run: ${hint}`);
  }
  task.progress(`adopted ${name}, created by an earlier run that did not finish`);
  return converge(env, task, live);
}

/** Finds what an unfinished earlier run created with a server-chosen id; extra twins are deleted. */
async function adoptOwned(env: StepEnv, task: StepTask, parent: string, exclude: (string | undefined)[]): Promise<Live | undefined> {
  const found = (await findOwned(env.client, task.kind, parent, owner(env, task))).filter((l) => !exclude.includes(String(l.name)));
  if (!found.length) return undefined;
  found.sort((a, b) => String(a.createTime ?? '').localeCompare(String(b.createTime ?? '')));
  const [keep, ...twins] = found;
  for (const twin of twins) {
    task.progress(`deleting duplicate ${String(twin.name)}`);
    await removeResource(env, task, String(twin.name));
  }
  task.progress(`adopted ${String(keep.name)}, created by an earlier run that did not finish`);
  return converge(env, task, keep);
}

/** Brings an adopted resource's updatable fields to the desired values (one patch, where the kind allows). */
async function converge(env: StepEnv, task: StepTask, live: Live): Promise<Live> {
  const { kind, props } = task;
  if (kind.patch === 'none') return live;
  const body = bodyFromProps(kind, props, owner(env, task));
  const mask = kind.updatable.filter((f) => f in body);
  if (!mask.length) return live;
  return patchResource(env.client, kind, String(live.name), body, mask, task.deadline);
}

/** Creates the runs (or time series) of one parent in one batch call; items fall back to single creates on conflict. */
export async function createBatch(env: StepEnv, on: string, tasks: StepTask[]): Promise<Map<string, StepOutcome | Error>> {
  const kind = tasks[0].kind;
  const outcomes = new Map<string, StepOutcome | Error>();
  const earlier = new Map(tasks.map((t) => [t.step.address, env.store.doc.resources[t.step.address]?.pending]));
  // A batch on the direct parent (runs of an experiment): every item's parent is the batch's, and
  // their intents share one pending record (frozen once, as state freezes what it keeps).
  const direct = !kind.batchCreate?.parentLevel;
  const items: BatchItem[] = tasks.map((t) => ({
    parent: direct ? on : parentName(kind, t.props),
    id: String(t.props[kind.idProp]),
    body: bodyFromProps(kind, t.props, owner(env, t)),
  }));
  const startedAt = now();
  const shared: PendingOperation | undefined = direct ? { action: 'create', parent: on, startedAt } : undefined;
  await env.store.put(
    tasks.map((t, i) => {
      const { parent, id } = items[i];
      const pending = shared ?? { action: 'create', parent, startedAt };
      return [t.step.address, intentEntry(t, pending, `${parent}/${kind.collection}/${id}`, env.store.doc.resources[t.step.address])];
    }),
  );
  let created: Live[];
  try {
    created = await batchCreate(env.client, kind, on, items);
  } catch (err) {
    // Some already exist (an earlier run died after creating them): create one by one, adopting ours.
    if (!(err instanceof ApiError && err.code === 'ALREADY_EXISTS')) throw err;
    await Promise.all(
      tasks.map(async (t) => {
        outcomes.set(t.step.address, await createStep(env, t, earlier.get(t.step.address)).catch((e: unknown) => asError(e)));
      }),
    );
    return outcomes;
  }
  if (dataProps(kind).length) await writeVirtualProps(env, tasks.map((task, i) => ({ task, live: created[i] })));
  await env.store.put(tasks.map((t, i) => [t.step.address, appliedEntry(kind, t.props, created[i], t.step.desired)]));
  tasks.forEach((t, i) => outcomes.set(t.step.address, { result: 'created', name: String(created[i].name) }));
  return outcomes;
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

// ---------------------------------------------------------------------------------------------
// update

function topField(path: string): string {
  return path.split(/[.[]/)[0];
}

function updateStep(env: StepEnv, task: StepTask): Promise<StepOutcome> {
  return updateSteps(env, [task]).then((outcomes) => {
    const outcome = outcomes.get(task.step.address)!;
    if (outcome instanceof Error) throw outcome;
    return outcome;
  });
}

/**
 * Updates several resources of one kind and batch parent (the time series of one experiment):
 * each its own patch, then their data (metric points) written together, so that one point
 * changed in each of many series is one write request.
 */
export async function updateSteps(env: StepEnv, tasks: StepTask[]): Promise<Map<string, StepOutcome | Error>> {
  const outcomes = new Map<string, StepOutcome | Error>();
  const patched: { task: StepTask; live: Live; name: string; only: string[] }[] = [];
  await Promise.all(
    tasks.map(async (task) => {
      try {
        patched.push({ task, ...(await patchForUpdate(env, task)) });
      } catch (err) {
        outcomes.set(task.step.address, asError(err));
      }
    }),
  );
  try {
    await writeVirtualProps(env, patched.filter((p) => p.only.length));
  } catch (err) {
    for (const p of patched) outcomes.set(p.task.step.address, asError(err));
    return outcomes;
  }
  for (const { task, live, name } of patched) {
    await record(env, task, live);
    outcomes.set(task.step.address, { result: 'updated', name });
  }
  return outcomes;
}

/** An update's patch of API fields (when any changed); returns the live resource and the virtual props to write. */
async function patchForUpdate(env: StepEnv, task: StepTask): Promise<{ live: Live; name: string; only: string[] }> {
  const { step, kind, props } = task;
  const name = step.name ?? env.store.doc.resources[step.address]?.name;
  if (!name) throw new Error('the resource name is unknown; run plan again');
  const before = env.live.get(step.address);
  const changed = [...(step.updateMask ?? []), ...(step.fields ?? []).map((f) => f.path)];
  const mask = [...new Set((step.updateMask ?? []).filter((f) => !kind.virtualProps.includes(topField(f))))];
  // An adopted resource gets our ownership labels with its first patch.
  const labelsField = kind.labelsPath ? topField(kind.labelsPath) : undefined;
  if (labelsField && kind.updatable.includes(labelsField) && before && !isOwnedBy(kind, before, env.owner, step.address) && !mask.some((f) => topField(f) === labelsField)) {
    mask.push(labelsField);
  }
  let live: Live | null;
  if (mask.length) {
    const body = bodyFromProps(kind, props, owner(env, task));
    if (before && mask.some((f) => topField(f) === labelsField)) {
      // The labels map is written whole: keep the live keys the plan did not say it removes.
      const entry = env.store.doc.resources[step.address];
      const kept = untouchedLabels(kind, before, {
        body: bodyFromProps(kind, props),
        prior: step.inState && entry ? bodyFromProps(kind, entry.props) : undefined,
        ignoreChanges: step.desired?.ignoreChanges ?? [],
      });
      Object.assign(labelsOf(kind, body)!, kept);
    }
    if (typeof before?.etag === 'string') body.etag = before.etag;
    live = await patchResource(env.client, kind, name, body, mask, task.deadline);
  } else {
    live = before ?? (await getResource(env.client, kind, name));
    if (!live) throw new Error(`${name} no longer exists; run plan again`);
  }
  return { live, name, only: kind.virtualProps.filter((v) => changed.some((f) => topField(f) === v)) };
}

// ---------------------------------------------------------------------------------------------
// replace

async function replaceStep(env: StepEnv, task: StepTask): Promise<StepOutcome> {
  const { step, kind } = task;
  const entry = env.store.doc.resources[step.address];
  const oldName = step.name ?? entry?.name;
  if (step.order === 'create-first' && oldName) {
    // The new resource has a new name: create it while the old one still exists (a failed
    // create leaves the old one in place), record it, then retire the old one.
    const live = await createOne(env, task, { replaces: oldName });
    // The old one stays named in `pending.replaces` until it is gone.
    await env.store.put([[step.address, { ...appliedEntry(kind, task.props, live, step.desired), pending: { action: 'replace', replaces: oldName, startedAt: now() } }]]);
    await writeVirtualProps(env, [{ task, live }]);
    task.progress(`retiring ${oldName}`);
    await removeResource(env, task, oldName);
    await env.store.update((doc) => settleReplaced(doc, oldName));
    const final = await finishJob(env, task, live);
    return { result: 'replaced', name: String(final.name) };
  }
  // The same name is reused: the old resource must be gone first.
  if (oldName) {
    task.progress(`deleting ${oldName}`);
    await removeResource(env, task, oldName);
  }
  const live = await createOne(env, task);
  await writeVirtualProps(env, [{ task, live }]);
  const final = await finishJob(env, task, live);
  return { result: 'replaced', name: String(final.name) };
}

/** Deletes a resource; a job still running is cancelled first where the API allows it. */
async function removeResource(env: StepEnv, task: StepTask, name: string): Promise<boolean> {
  const { kind } = task;
  if (kind.job) {
    const live = await getResource(env.client, kind, name);
    if (!live) return false;
    if (!isTerminal(kind, live) && kind.job.cancellable) {
      task.progress(`cancelling ${name}`);
      await cancelJob(env.client, kind, name);
      await waitJobTerminal(env.client, kind, name, task.deadline);
    }
  }
  return deleteResource(env.client, kind, name, task.deadline);
}

// ---------------------------------------------------------------------------------------------
// delete

async function deleteStep(env: StepEnv, task: StepTask): Promise<StepOutcome> {
  const { step, kind } = task;
  const entry = env.store.doc.resources[step.address];
  if (entry?.protected) throw new Error('resource is protected; remove `protected: true` from its manifest first');
  if (entry?.deletionPolicy === 'abandon') {
    await env.store.update((doc) => forgetEntry(doc, step.address));
    return { result: 'forgotten', name: entry.name || undefined };
  }
  if (!entry && step.name) {
    const owner = Object.entries(env.store.doc.resources).find(([, e]) => e.name === step.name);
    // Planned as unclaimed, then adopted by this run: it is now recorded, and kept.
    if (owner) return { result: 'adopted', name: `${step.name} (now recorded as "${owner[0]}")` };
  }
  const names = new Set([step.name, entry?.name, entry?.pending?.replaces].filter((n): n is string => !!n));
  // A create that never finished may have left a resource whose server-chosen id nobody recorded.
  if (entry?.pending?.parent && kind.idChosenBy === 'server') {
    for (const l of await findOwned(env.client, kind, entry.pending.parent, owner(env, task))) names.add(String(l.name));
  }
  let deleted = false;
  for (const name of names) deleted = (await removeResource(env, task, name)) || deleted;
  // The API deletes a resource's children with it: their addresses leave state too.
  const also: string[] = [];
  await env.store.update((doc) => {
    for (const name of names) settleReplaced(doc, name);
    delete doc.resources[step.address];
    for (const [address, e] of Object.entries(doc.resources)) {
      if ([...names].some((n) => e.name.startsWith(`${n}/`))) {
        delete doc.resources[address];
        also.push(address);
      }
    }
  });
  return { result: deleted ? 'deleted' : 'forgotten', name: step.name ?? entry?.name, ...(also.length && { also }) };
}

// ---------------------------------------------------------------------------------------------
// record and adopt: state only

/**
 * Only state changes: the options later deletes go by (protected, deletionPolicy, dependsOn,
 * ignoreChanges), or, in a refresh-only plan, what changed outside vertexctl is accepted.
 */
async function recordStep(env: StepEnv, task: StepTask): Promise<StepOutcome> {
  const { step } = task;
  const entry = env.store.doc.resources[step.address];
  if (!entry) throw new Error('no longer in state; run plan again');
  if (step.reasonCode === 'deleted_outside') {
    await env.store.update((doc) => {
      removeEntry(doc, step.address);
    });
    return { result: 'forgotten', name: entry.name || undefined };
  }
  if (step.reasonCode === 'changed_outside') {
    // The live resource read again when the plan was checked (unchanged since, or the plan was refused).
    const live = env.live.get(step.address);
    if (!live) throw new Error(`${step.name ?? step.address} was not read again; run plan again`);
    await env.store.update((doc) => {
      doc.resources[step.address] = refreshedEntry(task.kind, doc.resources[step.address], task.props, live);
    });
    return { result: 'recorded', name: String(live.name) };
  }
  await env.store.update((doc) => {
    doc.resources[step.address] = withOptions(doc.resources[step.address], step.desired);
  });
  return { result: 'recorded', name: entry.name || undefined };
}

/** A live resource state does not record (found by its id or our labels) is taken into state as it is. */
async function adoptStep(env: StepEnv, task: StepTask): Promise<StepOutcome> {
  const { step, kind } = task;
  const name = step.name ?? env.store.doc.resources[step.address]?.name;
  const live = env.live.get(step.address) ?? (name ? await getResource(env.client, kind, name) : null);
  if (!live) throw new Error(`${name ?? step.address} no longer exists; run plan again`);
  await record(env, task, live);
  return { result: 'adopted', name: String(live.name) };
}

// ---------------------------------------------------------------------------------------------
// virtual props and jobs

/**
 * Writes virtual data (metric points) as planned. Before the first write call, state marks the
 * values pending: a run that dies in between leaves the mark, and the next plan reads the live
 * values instead of trusting state.
 */
async function writeVirtualProps(env: StepEnv, items: { task: StepTask; live: Live; only?: string[] }[]): Promise<void> {
  if (!items.length) return;
  for (const [prop, handler] of dataProps(items[0].task.kind)) {
    const targets = items.filter(({ task, only }) => task.props[prop] !== undefined && (!only || only.includes(prop)));
    if (!targets.length) continue;
    const marked: [string, StateEntry][] = [];
    for (const { task } of targets) {
      const entry = env.store.doc.resources[task.step.address];
      if (entry) marked.push([task.step.address, { ...entry, props: { ...entry.props, [prop]: handler.pending(entry.props[prop]) } }]);
    }
    await env.store.put(marked);
    await handler.write(env.client, targets.map(({ task, live }) => ({ props: task.props, live })), { parallelism: env.parallelism ?? 10 });
  }
}

/**
 * Records a created job, then with --wait-jobs waits for its terminal state: a failed job fails
 * the step with the job's own error message (after it is recorded, since it exists).
 */
async function finishJob(env: StepEnv, task: StepTask, live: Live): Promise<Live> {
  await record(env, task, live);
  const { kind } = task;
  if (!env.waitJobs || !kind.job) return live;
  return waitForJob(env, task, live);
}

/** Waits for a recorded job's terminal state and records it; a job that did not succeed fails the step. */
async function waitForJob(env: StepEnv, task: StepTask, live: Live): Promise<Live> {
  const { kind } = task;
  const name = String(live.name);
  const done = isTerminal(kind, live) ? live : await waitJobTerminal(env.client, kind, name, task.deadline, (s) => task.progress(s), env.signal);
  if (!done) throw new Error(`job ${name} disappeared while it ran`);
  if (done !== live) await record(env, task, done);
  const status = jobStatusOf(kind, done);
  if (status?.outcome === 'failed') throw new Error(describeFailedJob(name, status, task.step.address));
  return done;
}

/** An unchanged job under --wait-jobs: waited for while it runs; one that ended badly fails the run again. */
async function watchJob(env: StepEnv, task: StepTask): Promise<void> {
  const name = task.step.name ?? env.store.doc.resources[task.step.address]?.name;
  const live = env.live.get(task.step.address) ?? (name ? await getResource(env.client, task.kind, name) : null);
  if (!live) throw new Error(`job ${name ?? task.step.address} no longer exists; run plan again`);
  await waitForJob(env, task, live);
}
