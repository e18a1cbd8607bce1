import type { ApiClient } from '../api/client.js';
import { UserError } from '../core/errors.js';
import { ownRecord } from '../core/records.js';
import { bodyFromProps } from '../kinds/body.js';
import { jobStatusOf } from '../kinds/job-status.js';
import { getKind } from '../kinds/index.js';
import { describeOwner, getPath, isLegacyOf, labelledOwner, labelsOf, ownershipLabels, sameOwner, type Owner } from '../kinds/labels.js';
import { idOf, parentOfName, projectKeyOf } from '../kinds/names.js';
import type { KindDef } from '../kinds/types.js';
import { dataProps } from '../kinds/virtual-props.js';
import { dependencyOrder } from '../manifest/dag.js';
import { formatPath, type PathSegment } from '../core/paths.js';
import { didYouMean } from '../core/suggest.js';
import { hasReferences } from '../manifest/references.js';
import type { DesiredResource, Problem, Stack } from '../manifest/types.js';
import { optionChanges } from '../state/entry.js';
import type { StateDoc, StateEntry } from '../state/types.js';
import { classifyChanges, diffBody, mask } from './diff.js';
import { fingerprint } from './fingerprint.js';
import { sameResourceName } from './normalize.js';
import { refresh, type LiveResource, type RefreshResult, type ResolvedProps } from './refresh.js';
import { prepareVirtualProps, type PreparedVirtual } from './virtual.js';
import { clientId, knownName, knownParent, referenceValue, resolveProps, targetOfEntry, type Lookup, type ReferenceTarget } from './resolve.js';
import { PLAN_FORMAT_VERSION, type Action, type Change, type FieldChange, type Plan, type PlannedStep, type PlanSummary, type ReasonCode, type ReplaceOrder } from './types.js';

export interface PlanOptions {
  /** Needed unless refresh is false. */
  client?: ApiClient;
  stateDoc: StateDoc | null;
  /** false: plan from state alone, without reading the API. */
  refresh: boolean;
  /** Only these addresses and what they depend on (deletes: and what depends on them). */
  targets?: string[];
  /** Addresses to replace even though nothing forces it (`--replace ADDR`: e.g. re-submit a failed job). */
  replace?: string[];
  source?: Plan['source'];
  /** Receives what refresh read (the applier guards its patches with these live resources). */
  onRefresh?: (found: RefreshResult) => void;
  /** Plan a replace of a protected resource instead of refusing it (drift reports such drift; nothing applies this plan). */
  reportOnly?: boolean;
  /** The complete `vertexctl import …` command for an address (the CLI knows the flags it needs). */
  importHint?: (address: string, name: string) => string;
}

/** What the planner worked out for one manifest address, for the references of later ones. */
interface Planned {
  kind: KindDef;
  props: Record<string, unknown>;
  action: Action;
  live: LiveResource | null | undefined;
  /** Full name once apply is done, when known now. */
  nameAfter?: string;
}

/**
 * The plan: for every manifest address create / update / replace / no-op, and a delete for what
 * state (or our ownership labels) holds that the manifests no longer have. Makes no write call.
 */
export async function makePlan(stack: Stack, opts: PlanOptions): Promise<Plan> {
  const state = opts.stateDoc;
  const entries = state?.resources ?? ownRecord<StateEntry>();
  // Without --target, everything: no set of every address to ask.
  const selected = opts.targets?.length ? selectTargets(stack, entries, opts.targets) : undefined;
  const desired = selected ? stack.resources.filter((r) => selected.has(r.address)) : stack.resources;
  const byAddress = new Map(desired.map((r) => [r.address, r]));
  const ordered = dependencyOrder(desired).map((a) => byAddress.get(a)!);
  const stateList = Object.entries(entries).filter(([a]) => !selected || selected.has(a));
  const stateSel = selected ? ownRecord(stateList) : entries;
  // Metric points and other virtual data: checked (data files read) before anything is asked of the API.
  const prepared = await prepareVirtualProps(ordered, (a) => stateSel[a]);

  let found: RefreshResult;
  if (opts.refresh) {
    if (!opts.client) throw new Error('makePlan: refresh needs an API client');
    found = await refresh(ordered, state && { ...state, resources: stateSel }, opts.client, {
      owner: ownerOfStack(stack),
      virtualReads: (address, live) => {
        const values = prepared.get(address);
        return values ? virtualPropsToRead(byAddress.get(address), values, recordOf(stateSel[address], live)) : [];
      },
    });
    // Orphans are pruned by whole-stack plans only: a targeted plan touches its targets alone.
    if (opts.targets?.length) found.orphans = [];
    opts.onRefresh?.(found);
  } else {
    found = fromState(ordered, stateSel);
  }

  const problems: Problem[] = [];
  const steps = new Map<string, PlannedStep>();
  const planned = new Map<string, Planned>();
  const ctx: PlanContext = {
    stack,
    lookup: (address, field) => referenceValue(targetAfterApply(planned.get(address), entries[address]), field),
    steps,
    replacedByLiveName: new Map(),
    fromStateOnly: !opts.refresh,
    reportOnly: !!opts.reportOnly,
    replace: requestedReplaces(stack, opts.replace),
    problems,
    prepared,
    holderOf: nameHolders(found),
    importHint: opts.importHint ?? ((address, name) => `vertexctl import ${address} ${name}`),
    owner: ownerOfStack(stack),
  };
  for (const r of ordered) {
    const p = await planResource(ctx, r, entries[r.address], found.live.get(r.address), found.resolved?.get(r.address));
    planned.set(r.address, p.planned);
    steps.set(r.address, p.step);
    if (p.planned.live && p.planned.action === 'replace') ctx.replacedByLiveName.set(p.planned.live.name, r.address);
  }
  for (const [address, entry] of stateList) {
    if (byAddress.has(address)) continue;
    steps.set(address, deleteStep(address, entry, found.live.get(address), problems));
  }
  // What an earlier run replaced but could not retire yet (it died in between), by old name.
  const unfinished = new Map<string, string>();
  for (const [address, e] of stateList) if (e.pending?.replaces && e.pending.replaces !== e.name) unfinished.set(e.pending.replaces, address);
  for (const orphan of found.orphans) {
    const replacedBy = unfinished.get(orphan.name);
    unfinished.delete(orphan.name);
    steps.set(orphan.address, {
      address: orphan.address,
      type: orphan.kind.type,
      action: 'delete',
      name: orphan.name,
      ...(replacedBy ? unfinishedReplace(replacedBy) : ORPHAN),
      after: [],
      inState: false,
    });
  }
  // Not found among the orphans (a targeted plan, or a kind without labels): retired by name.
  for (const [name, address] of unfinished) {
    if (!opts.refresh) continue;
    const retire = `${address}#${idOf(name)}`;
    steps.set(retire, { address: retire, type: stateSel[address].type, action: 'delete', name, ...unfinishedReplace(address), after: [], inState: false });
  }
  if (problems.length) throw new UserError(problems);

  orderSteps(steps, byAddress, stateSel);
  const list = [...steps.values()];
  const fingerprints = ownRecord<string>();
  if (opts.refresh) {
    // Unread addresses (under a parent that does not exist yet) are recorded as absent too.
    for (const s of list) fingerprints[s.address] = fingerprint(found.live.get(s.address) ?? found.orphans.find((o) => o.address === s.address));
  }
  return assemblePlan({
    stack: stack.name,
    env: stack.env,
    state: { lineage: state?.lineage ?? null, serial: state?.serial ?? 0 },
    fingerprints,
    steps: list,
    source: opts.source ?? { paths: stack.files, vars: {} },
  });
}

/** A Plan value from its steps: the public changes and the summary are derived from them. */
export function assemblePlan(p: Pick<Plan, 'mode' | 'stack' | 'env' | 'state' | 'fingerprints' | 'steps' | 'source'>): Plan {
  return {
    kind: 'vertexctl-plan',
    formatVersion: PLAN_FORMAT_VERSION,
    ...(p.mode && { mode: p.mode }),
    stack: p.stack,
    ...(p.env !== undefined && { env: p.env }),
    createdAt: new Date().toISOString(),
    state: p.state,
    fingerprints: p.fingerprints,
    changes: p.steps.map(publicChange),
    steps: p.steps,
    summary: summarize(p.steps),
    source: p.source,
  };
}

/** The public part of a step (the plan JSON's change). */
export function publicChange(s: PlannedStep): Change {
  const { desired, after, inState, ...change } = s;
  void desired;
  void after;
  void inState;
  return change;
}

export function summarize(steps: readonly { action: Action }[]): PlanSummary {
  const summary: PlanSummary = { create: 0, update: 0, replace: 0, delete: 0, record: 0, adopt: 0, 'no-op': 0 };
  for (const s of steps) summary[s.action]++;
  return summary;
}

/** The addresses a targeted plan covers: the targets and everything they depend on (transitively). */
function selectTargets(stack: Stack, entries: Record<string, StateEntry>, targets: string[]): Set<string> {
  const all = new Set([...stack.resources.map((r) => r.address), ...Object.keys(entries)]);
  const unknown = targets.filter((t) => !all.has(t));
  if (unknown.length) throw new UserError(unknown.map((t) => ({ message: `--target "${t}": no such address in the manifests or the state` })));
  const deps = new Map<string, string[]>();
  for (const [a, e] of Object.entries(entries)) deps.set(a, e.dependsOn ?? []);
  for (const r of stack.resources) deps.set(r.address, r.dependsOn);
  const inManifest = new Set(stack.resources.map((r) => r.address));
  const selected = new Set<string>();
  const queue = [...targets];
  while (queue.length) {
    const a = queue.pop()!;
    if (selected.has(a)) continue;
    selected.add(a);
    queue.push(...(deps.get(a) ?? []));
    // Deleting a resource deletes what lives under it: those deletes belong to the target.
    if (!inManifest.has(a)) for (const [b, e] of Object.entries(entries)) if (!inManifest.has(b) && e.dependsOn?.includes(a)) queue.push(b);
  }
  return selected;
}

/** Virtual props whose live value refresh must read: set in the manifest, and state does not vouch that live matches. */
function virtualPropsToRead(r: DesiredResource | undefined, prepared: Record<string, unknown> | undefined, applied: StateEntry | undefined): string[] {
  if (!r || !prepared) return [];
  return dataProps(r.kind)
    .filter(([v, handler]) => prepared[v] !== undefined && !r.ignoreChanges.includes(v) && handler.needsLive(prepared[v], applied?.props[v]))
    .map(([v]) => v);
}

/**
 * The state entry as the last-applied record of this live resource, if it is one: a write that
 * never finished (pending) or an entry naming another resource is not.
 */
function recordOf(entry: StateEntry | undefined, live: LiveResource | null | undefined): StateEntry | undefined {
  return entry && !entry.pending && live && (!entry.name || idOf(entry.name) === idOf(live.name)) ? entry : undefined;
}

/** `--refresh=false`: state stands in for the live resources. */
function fromState(ordered: DesiredResource[], entries: Record<string, StateEntry>): RefreshResult {
  const live = new Map<string, LiveResource | null>();
  for (const [address, entry] of Object.entries(entries)) {
    if (!entry.name) continue;
    const kind = getKind(entry.type);
    live.set(address, { address, kind, name: entry.name, body: bodyFromProps(kind, entry.props), matchedBy: 'name' });
  }
  for (const r of ordered) if (!live.has(r.address)) live.set(r.address, null);
  return { live, orphans: [], listed: [] };
}

/** What will be known about an address once apply is done. */
function targetAfterApply(p: Planned | undefined, entry: StateEntry | undefined): ReferenceTarget | undefined {
  // Not planned (outside --target): as state recorded it.
  if (!p) return entry && targetOfEntry(getKind(entry.type), entry);
  const isNew = p.action === 'create' || p.action === 'replace';
  // A resource that stays keeps the fields it has; a new one has only what the manifest gives until it exists.
  const body = isNew ? undefined : (p.live?.body ?? (entry && !entry.pending ? entry.outputs : undefined));
  return { kind: p.kind, name: p.nameAfter, props: p.props, body };
}

/** What planning one address needs from the rest of the plan. */
interface PlanContext {
  stack: Stack;
  lookup: Lookup;
  steps: Map<string, PlannedStep>;
  /** The manifest addresses planned as replaced, by the live name of their resource (a child moves with its parent). */
  replacedByLiveName: Map<string, string>;
  fromStateOnly: boolean;
  reportOnly: boolean;
  /** `--replace` addresses. */
  replace: Set<string>;
  problems: Problem[];
  prepared: PreparedVirtual;
  /** The live resource that holds a name now, among the collections refresh listed. */
  holderOf: (kind: KindDef, name: string) => Record<string, unknown> | undefined;
  importHint: (address: string, name: string) => string;
  /** Whose resources this stack's are. */
  owner: Owner;
}

async function planResource(
  ctx: PlanContext,
  r: DesiredResource,
  entry: StateEntry | undefined,
  live: LiveResource | null | undefined,
  refreshed: ResolvedProps | undefined,
): Promise<{ planned: Planned; step: PlannedStep }> {
  const kind = r.kind;
  const props = propsAfterApply(r, ctx.lookup, refreshed);
  const inState = !!recordOf(entry, live);
  const desiredRecord = {
    props,
    dependsOn: r.dependsOn,
    protected: r.protected,
    ignoreChanges: r.ignoreChanges,
    deletionPolicy: r.deletionPolicy,
    sensitive: r.sensitive,
  };
  const base = { address: r.address, type: r.type, desired: desiredRecord, after: [] as string[], inState };

  if (!live) {
    const virtual = await planVirtual(ctx, r, props, undefined, undefined, true);
    const nameAfter = knownName(kind, props, clientId(kind, props));
    const gone = entry?.name && live === null && !ctx.fromStateOnly;
    const step: PlannedStep = {
      ...base,
      action: 'create',
      ...(nameAfter && { name: nameAfter }),
      ...(gone && { reason: `${entry.name} no longer exists; it will be created again`, reasonCode: 'missing_live' as const }),
      fields: [...creationFields(kind, props, r.sensitive), ...virtual.fields],
      inState: false,
    };
    return { planned: { kind, props, action: 'create', live, nameAfter }, step };
  }

  const owner = ctx.owner;
  if (!inState && live.owner !== undefined && !sameOwner(live.owner, owner)) {
    ctx.problems.push({
      pos: r.pos,
      address: r.address,
      message: `${live.name} belongs to ${describeOwner(live.owner)} (its ownership labels say so); refusing to adopt it: give this resource another id, or take it over on purpose with: ${ctx.importHint(r.address, live.name)}`,
    });
  }

  let why = moveReason(ctx, kind, props, live);
  let action: Action = 'replace';
  let fields: FieldChange[] = [];
  let updateMask: string[] = [];
  if (!why) {
    const prior = inState ? bodyFromProps(kind, entry!.props) : undefined;
    const classified = classifyChanges(
      kind,
      diffBody({
        kind,
        desired: bodyFromProps(kind, props),
        prior,
        // Jobs are compared with what was last submitted: the live job carries server defaults and state.
        base: kind.patch === 'none' && prior ? prior : live.body,
        ignoreChanges: r.ignoreChanges,
        sensitive: r.sensitive,
      }),
    );
    ({ action, updateMask, fields } = classified);
    if (classified.reason) why = { reason: classified.reason, reasonCode: classified.reasonCode! };
    const virtual = await planVirtual(ctx, r, props, inState ? entry : undefined, live, action === 'replace');
    if (virtual.recreate && action !== 'replace') {
      action = 'replace';
      why = { reason: virtual.recreate, reasonCode: 'data_not_appendable' };
      updateMask = [];
      await planVirtual(ctx, r, props, undefined, live, true);
      fields.push(...virtual.fields.map((f) => ({ ...f, forcesReplace: true })));
    } else if (virtual.fields.length) {
      fields.push(...virtual.fields);
      if (action === 'no-op') action = 'update';
    }
  } else fields.push(...(await planVirtual(ctx, r, props, undefined, live, true)).fields);
  if (ctx.replace.has(r.address) && action !== 'replace') {
    action = 'replace';
    updateMask = [];
    why = { reason: 'replacement requested with --replace', reasonCode: 'replace_requested' };
  }
  if (action !== 'replace' && inState) {
    const migration = labelMigration(kind, live, owner, r.address);
    if (migration.length) {
      fields.push(...migration);
      updateMask = [...new Set([...updateMask, kind.labelsPath!.split('.')[0]])];
      if (action === 'no-op') {
        action = 'update';
        why = { reason: 'ownership labels written by an earlier vertexctl are rewritten with stack and environment apart', reasonCode: 'labels_migrated' };
      }
    }
  }
  if (action === 'replace' && r.protected && !ctx.reportOnly) {
    ctx.problems.push({ pos: r.pos, address: r.address, message: `is protected; it would be replaced because ${why!.reason}` });
  }
  if (action === 'no-op' && !inState) {
    action = 'adopt';
    why = adoptReason(entry, live);
  } else if (action === 'update' && !inState) {
    why = adoptReason(entry, live);
  } else if (action === 'no-op' && entry) {
    const options = optionChanges(entry, desiredRecord);
    if (options.length) {
      action = 'record';
      fields = options;
      why = { reason: `only ${options.map((o) => o.path).join(', ')} change${options.length > 1 ? '' : 's'}: recorded in state`, reasonCode: 'options_changed' };
    }
  }
  // After a replace, a client-chosen id gives the same name again; the server chooses a new one.
  const nameAfter = action !== 'replace' ? live.name : kind.idChosenBy === 'client' ? knownName(kind, props, clientId(kind, props)) : undefined;
  if (action === 'replace' && nameAfter !== undefined && !sameResourceName(live.name, nameAfter)) refuseTakenName(ctx, r, live.name, nameAfter);
  const job = jobStatusOf(kind, live.body);
  // Written out, not spread: made for every resource of every plan, and a spread copy is slow.
  const step: PlannedStep = { address: base.address, type: base.type, desired: base.desired, after: base.after, inState, action, name: live.name };
  if (action === 'replace') step.order = replaceOrder(live.name, nameAfter);
  if (job) step.job = job;
  if (updateMask.length) step.updateMask = updateMask;
  if (why) {
    step.reason = why.reason;
    step.reasonCode = why.reasonCode;
  }
  if (fields.length) step.fields = fields;
  return { planned: { kind, props, action, live, nameAfter }, step };
}

/**
 * The props as they will be after apply. Refresh resolved them already, against what exists now;
 * where every reference answers the same after apply (the usual case: nothing it points to is
 * new or replaced), those props are the answer, without resolving them again.
 */
function propsAfterApply(r: DesiredResource, lookup: Lookup, refreshed: ResolvedProps | undefined): Record<string, unknown> {
  if (refreshed && refreshed.answers.every((a) => lookup(a.address, a.field) === a.value)) return refreshed.props;
  return resolveProps(r.props, lookup).props;
}

/** Finds the holder of a name in the collections refresh listed (ids compared within one parent). */
function nameHolders(found: RefreshResult): PlanContext['holderOf'] {
  const byParent = new Map<string, Map<string, Record<string, unknown>>>();
  for (const l of found.listed) byParent.set(`${l.kind.type} ${projectKeyOf(l.parent)}`, l.items);
  return (kind, name) => {
    const parent = parentOfName(kind, name);
    return parent === undefined ? undefined : byParent.get(`${kind.type} ${projectKeyOf(parent)}`)?.get(idOf(name));
  };
}

/**
 * A replace that moves a resource to a name another resource holds would delete (or keep) the
 * old one and then fail to create the new one: refused now, naming the holder and the way out.
 */
function refuseTakenName(ctx: PlanContext, r: DesiredResource, oldName: string, newName: string): void {
  const holder = ctx.holderOf(r.kind, newName);
  if (!holder) return;
  const owner = labelledOwner(labelsOf(r.kind, holder));
  const whose = owner ? describeOwner(owner) : 'no vertexctl stack (it has no ownership labels)';
  ctx.problems.push({
    pos: r.pos,
    address: r.address,
    message: `cannot be replaced: its new name ${newName} is taken by a resource of ${whose}, so ${oldName} would be given up for a create that fails; give it another ${r.kind.idProp}, or take the existing one over with: ${ctx.importHint(r.address, newName)}`,
  });
}

interface Why {
  reason: string;
  reasonCode: ReasonCode;
}

/**
 * A new name lets the new resource be created while the old one still exists, so a failed
 * create leaves the old one in place; only a name that must be reused deletes first.
 */
function replaceOrder(oldName: string, newName: string | undefined): ReplaceOrder {
  return newName !== undefined && sameResourceName(oldName, newName) ? 'delete-first' : 'create-first';
}

/** Why a live resource that state does not record (yet) is taken into state. */
function adoptReason(entry: StateEntry | undefined, live: LiveResource): Why {
  if (entry?.pending) return { reason: 'created by an earlier apply that did not finish; recorded in state', reasonCode: 'unfinished_create' };
  if (live.matchedBy === 'labels') return { reason: "found by this stack's ownership labels; recorded in state", reasonCode: 'found_by_labels' };
  return { reason: 'exists already (found by its id); recorded in state', reasonCode: 'found_by_id' };
}

const ORPHAN: Why = { reason: "carries this stack's ownership labels but no manifest or state entry claims it", reasonCode: 'owned_orphan' };

/** The delete of a removed deletionPolicy-abandon resource (and of destroy): state only. */
export const ABANDONED: Why = { reason: 'deletionPolicy abandon: removed from state only, the resource is kept', reasonCode: 'deletion_policy_abandon' };

function unfinishedReplace(address: string): Why {
  return { reason: `replaced by "${address}" in an earlier apply that did not finish`, reasonCode: 'unfinished_replace' };
}

/** The `--replace` addresses, each of which must be in the manifests. */
function requestedReplaces(stack: Stack, replace: string[] | undefined): Set<string> {
  if (!replace?.length) return new Set();
  const known = new Set(stack.resources.map((r) => r.address));
  const unknown = (replace ?? []).filter((a) => !known.has(a));
  if (unknown.length) {
    throw new UserError(unknown.map((a) => ({ message: `--replace "${a}": no such address in the manifests${didYouMean(a, known)}` })));
  }
  return new Set(replace);
}

/** Whose resources this stack's are: its name and environment, as the ownership labels name them. */
export function ownerOfStack(stack: Pick<Stack, 'name' | 'env'>): Owner {
  return { stack: stack.name, ...(stack.env !== undefined && { env: stack.env }) };
}

/**
 * The label changes that bring a resource of this stack (state records it) from the ownership
 * labels of earlier versions (`vertexctl-stack: <stack>-<env>`) to today's, where its kind lets
 * labels be patched; kinds without patch keep theirs (state names them, which is enough).
 */
function labelMigration(kind: KindDef, live: LiveResource, owner: Owner, address: string): FieldChange[] {
  if (!kind.labelsPath || kind.patch === 'none' || !kind.updatable.includes(kind.labelsPath.split('.')[0])) return [];
  if (!isLegacyOf(live.owner, owner)) return [];
  const path = kind.labelsPath.split('.');
  const labels = (getPath(live.body, kind.labelsPath) ?? {}) as Record<string, string>;
  return Object.entries(ownershipLabels(owner, address))
    .filter(([key, value]) => labels[key] !== value)
    .map(([key, value]) => ({ path: formatPath([...path, key]), ...(labels[key] !== undefined && { before: labels[key] }), after: value }));
}

/**
 * Why the live resource cannot stay where it is: the parent it lives under is replaced (and
 * takes it along), or the manifest puts it under another parent or gives it another id.
 */
function moveReason(ctx: PlanContext, kind: KindDef, props: Record<string, unknown>, live: LiveResource): Why | undefined {
  const wantParent = knownParent(kind, props);
  const liveParent = parentOfName(kind, live.name);
  const parentAddr = liveParent !== undefined ? ctx.replacedByLiveName.get(liveParent) : undefined;
  if (parentAddr) return { reason: `parent "${parentAddr}" is replaced`, reasonCode: 'parent_replaced' };
  if (wantParent === undefined) return { reason: 'it moves to a parent that does not exist yet', reasonCode: 'parent_not_created' };
  if (liveParent === undefined || !sameResourceName(wantParent, liveParent)) {
    return { reason: `it moves from ${liveParent ?? live.name} to ${wantParent}`, reasonCode: 'parent_changed' };
  }
  const wantId = clientId(kind, props);
  if (kind.idChosenBy === 'client' && wantId !== idOf(live.name)) {
    return { reason: `${kind.idProp} changes from "${idOf(live.name)}" to "${wantId ?? '?'}"`, reasonCode: 'id_changed' };
  }
  return undefined;
}

interface VirtualPlan {
  fields: readonly FieldChange[];
  recreate?: string;
}

const NO_DATA: VirtualPlan = Object.freeze({ fields: Object.freeze([]) });

/**
 * Virtual data props (metric points): the kind's handler says what apply writes, which replaces
 * the prop in `props` (the step's desired value), and what changes. `fresh`: the resource is
 * created or recreated, so everything is written. `recreate`: only a replace gets there.
 */
function planVirtual(
  ctx: PlanContext,
  r: DesiredResource,
  props: Record<string, unknown>,
  entry: StateEntry | undefined,
  live: LiveResource | null | undefined,
  fresh: boolean,
): VirtualPlan | Promise<VirtualPlan> {
  // Most resources have no data: no promise to make for them.
  if (!ctx.prepared.has(r.address)) return NO_DATA;
  return (async (): Promise<VirtualPlan> => {
    const fields: FieldChange[] = [];
    let recreate: string | undefined;
    const prepared = ctx.prepared.get(r.address)!;
    for (const [v, handler] of dataProps(r.kind)) {
      if (prepared[v] === undefined) continue;
      const liveRead = !r.ignoreChanges.includes(v) && handler.needsLive(prepared[v], entry?.props[v]);
      const planned = await handler.plan(prepared[v], { live: live?.virtual?.[v], fresh, liveRead, props });
      props[v] = planned.value;
      if (planned.recreate) recreate = planned.recreate;
      // Live already as desired: state records it when it adopts the resource, or with an update when it has a stale record.
      if (planned.recordOnly && !entry) continue;
      if (planned.change !== undefined && !r.ignoreChanges.includes(v)) {
        fields.push(r.sensitive.includes(v) ? mask({ path: v, after: planned.change }) : { path: v, after: planned.change });
      }
    }
    return { fields, ...(recreate && { recreate }) };
  })();
}

/**
 * The fields a create sets: every prop the manifest gives the body (and virtual props); values
 * that hold references are split down to the fields known only after apply.
 */
function creationFields(kind: KindDef, props: Record<string, unknown>, sensitive: string[]): FieldChange[] {
  const body = bodyFromProps(kind, props);
  const out: FieldChange[] = [];
  const add = (segs: PathSegment[], value: unknown) => {
    const path = formatPath(segs);
    if (sensitive.includes(String(segs[0]))) out.push(mask({ path, after: value }));
    else if (!hasReferences(value)) out.push({ path, after: value });
    else if (Array.isArray(value)) value.forEach((v, i) => add([...segs, i], v));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) add([...segs, k], v);
    else out.push({ path, unknown: true });
  };
  for (const [k, v] of Object.entries(body)) add([k], v);
  return out;
}

function deleteStep(address: string, entry: StateEntry, live: LiveResource | null | undefined, problems: Problem[]): PlannedStep {
  const step: PlannedStep = {
    address,
    type: entry.type,
    action: 'delete',
    ...((live?.name ?? entry.name) && { name: live?.name ?? entry.name }),
    after: [],
    inState: true,
  };
  if (live === null) Object.assign(step, { reason: 'already gone; only removed from state', reasonCode: 'already_gone' });
  else if (entry.deletionPolicy === 'abandon') Object.assign(step, ABANDONED);
  else {
    Object.assign(step, { reason: 'removed from the manifests', reasonCode: 'removed_from_manifests' });
    if (entry.protected) problems.push({ address, message: 'is protected; it would be deleted because it was removed from the manifests' });
  }
  return step;
}

/**
 * `after` edges and step order: the only edges apply follows. Creates, updates, replaces,
 * adoptions and records come after what they depend on; a delete (or the delete half of a
 * replace) comes after the deletes of what depends on it, so children go first. Steps are
 * listed dependencies first, deletes children first.
 */
function orderSteps(steps: Map<string, PlannedStep>, desired: Map<string, DesiredResource>, entries: Record<string, StateEntry>): void {
  // Built when a step first asks (a plan of no-ops asks nothing).
  let byName: Map<string, string> | undefined;
  const parentOf = (s: PlannedStep): string | undefined => {
    if (!s.name) return undefined;
    const parent = parentOfName(getKind(s.type), s.name);
    if (parent === undefined) return undefined;
    if (!byName) {
      byName = new Map();
      for (const t of steps.values()) if (t.name) byName.set(t.name, t.address);
    }
    return byName.get(parent);
  };
  const dependsOn = (s: PlannedStep): string[] => {
    const deps = new Set(desired.get(s.address)?.dependsOn ?? entries[s.address]?.dependsOn ?? []);
    const parent = parentOf(s);
    if (parent) deps.add(parent);
    deps.delete(s.address);
    return [...deps];
  };
  // What a resource depends on is created, changed or recorded first (its references resolve from state).
  for (const s of steps.values()) {
    if (s.action === 'delete' || s.action === 'no-op') continue;
    s.after = dependsOn(s).filter((d) => {
      const a = steps.get(d)?.action;
      return a !== undefined && a !== 'no-op' && a !== 'delete';
    });
  }
  // A resource deleted as unclaimed (our labels, no state entry) may be what a create or replace
  // of its kind adopts, as the work of a run that died: it is decided after those.
  for (const s of steps.values()) {
    if (s.action !== 'delete' || s.inState) continue;
    for (const c of steps.values()) if ((c.action === 'create' || c.action === 'replace') && c.type === s.type) s.after.push(c.address);
  }
  for (const s of steps.values()) {
    if (s.action !== 'delete') continue;
    for (const d of dependsOn(s)) {
      const target = steps.get(d);
      if (target && (target.action === 'delete' || target.action === 'replace') && !target.after.includes(s.address)) target.after.push(s.address);
    }
  }
  // Listing order: manifest steps as planned (dependencies first), then deletes, deepest names first.
  const deletes = [...steps.values()].filter((s) => s.action === 'delete' && !desired.has(s.address));
  deletes.sort((a, b) => depth(b.name) - depth(a.name) || a.address.localeCompare(b.address));
  for (const s of deletes) {
    steps.delete(s.address);
    steps.set(s.address, s);
  }
}

function depth(name: string | undefined): number {
  return name ? name.split('/').length : 0;
}
