import type { ApiClient } from '../api/client.js';
import { UserError } from '../core/errors.js';
import { ownRecord } from '../core/records.js';
import { parsePath, valueAt, type PathSegment } from '../core/paths.js';
import { bodyFromProps } from '../kinds/body.js';
import { getKind } from '../kinds/index.js';
import type { KindDef } from '../kinds/types.js';
import type { Stack } from '../manifest/types.js';
import type { StateDoc, StateEntry } from '../state/types.js';
import { diffBody, mask } from './diff.js';
import { fingerprint } from './fingerprint.js';
import { assemblePlan, ownerOfStack } from './planner.js';
import { refresh, type LiveResource } from './refresh.js';
import type { DesiredRecord, FieldChange, Plan, PlannedStep } from './types.js';

/**
 * `plan --refresh-only`, as Terraform's: the changes made outside vertexctl since the last apply,
 * found by comparing what state records with what is live, to be accepted into state. Applying
 * it writes state only and makes no write call: a drifted field gets its live value in state (a
 * job its live state), a resource deleted outside leaves state. The manifests play no part
 * beyond naming the stack and its sensitive props, so a plan made afterwards still proposes to
 * bring the cloud back to the manifests, and drift still reports the difference.
 */

export interface RefreshOnlyOptions {
  client: ApiClient;
  stateDoc: StateDoc | null;
  /** Only these addresses of the state. */
  targets?: string[];
  source?: Plan['source'];
  /** Receives the live resources read (apply records their fields). */
  onRefresh?: (live: Map<string, LiveResource | null>) => void;
}

export async function refreshOnlyPlan(stack: Stack, opts: RefreshOnlyOptions): Promise<Plan> {
  const state = opts.stateDoc;
  const entries = selected(state?.resources ?? ownRecord<StateEntry>(), opts.targets);
  const resources = Object.entries(entries).map(([address, e]) => ({ address, type: e.type, props: e.props }));
  const found = await refresh(resources, state && { ...state, resources: entries }, opts.client, { owner: ownerOfStack(stack) });
  opts.onRefresh?.(found.live);
  const sensitiveOf = new Map(stack.resources.map((r) => [r.address, r.sensitive]));

  const steps: PlannedStep[] = [];
  const fingerprints = ownRecord<string>();
  for (const [address, entry] of Object.entries(entries)) {
    const live = found.live.get(address);
    fingerprints[address] = fingerprint(live);
    steps.push(refreshStep(address, entry, live, sensitiveOf.get(address) ?? entry.sensitive ?? []));
  }
  return assemblePlan({
    mode: 'refresh-only',
    stack: stack.name,
    env: stack.env,
    state: { lineage: state?.lineage ?? null, serial: state?.serial ?? 0 },
    fingerprints,
    steps,
    source: opts.source ?? { paths: stack.files, vars: {} },
  });
}

function selected(entries: Record<string, StateEntry>, targets: string[] | undefined): Record<string, StateEntry> {
  if (!targets?.length) return entries;
  const unknown = targets.filter((t) => !Object.hasOwn(entries, t));
  if (unknown.length) {
    throw new UserError(unknown.map((t) => ({ message: `--target "${t}": no such address in the state (a refresh-only plan looks at what state records)` })));
  }
  return ownRecord(targets.map((t) => [t, entries[t]]));
}

/** What state keeps for the address, as a step's desired record: props replaced, options kept. */
function desiredOf(entry: StateEntry, props: Record<string, unknown>, sensitive: string[]): DesiredRecord {
  return {
    props,
    dependsOn: entry.dependsOn ?? [],
    protected: !!entry.protected,
    ignoreChanges: entry.ignoreChanges ?? [],
    deletionPolicy: entry.deletionPolicy ?? 'delete',
    sensitive,
  };
}

function refreshStep(address: string, entry: StateEntry, live: LiveResource | null | undefined, sensitive: string[]): PlannedStep {
  const base = { address, type: entry.type, ...(entry.name && { name: entry.name }), after: [], inState: true };
  const unchanged: PlannedStep = { ...base, action: 'no-op', desired: desiredOf(entry, entry.props, sensitive) };
  // An unfinished write (or a name never learnt) is the next apply's to settle; a resource under a
  // parent that could not be listed was not looked at.
  if (entry.pending || !entry.name || live === undefined) return unchanged;
  if (live === null) {
    return {
      ...base,
      action: 'record',
      reason: 'deleted outside vertexctl; it is removed from state',
      reasonCode: 'deleted_outside',
      desired: desiredOf(entry, entry.props, sensitive),
    };
  }
  const kind = getKind(entry.type);
  const { fields, props } = changedOutside(kind, entry, live, sensitive);
  if (!fields.length) return unchanged;
  return {
    ...base,
    action: 'record',
    name: live.name,
    reason: 'changed outside vertexctl; the live values are recorded in state',
    reasonCode: 'changed_outside',
    fields,
    desired: desiredOf(entry, props, sensitive),
  };
}

/**
 * The fields whose live value differs from the last-applied one, compared and normalised as
 * plan compares (ignoreChanges honoured, server defaults and output-only fields never count),
 * and the props with the live values in their place. Jobs cannot be changed after submission:
 * only their state moves on, which state records among the outputs.
 */
function changedOutside(kind: KindDef, entry: StateEntry, live: LiveResource, sensitive: string[]): { fields: FieldChange[]; props: Record<string, unknown> } {
  const props = structuredClone(entry.props);
  const fields: FieldChange[] = [];
  const masked = new Set(sensitive);
  if (kind.patch !== 'none') {
    const diffs = diffBody({ kind, desired: bodyFromProps(kind, entry.props), base: live.body, ignoreChanges: entry.ignoreChanges ?? [], sensitive: [] });
    for (const d of diffs) {
      const segs = parsePath(d.path) ?? [d.path];
      const recorded = valueAt(entry.props, segs);
      const now = valueAt(live.body, segs);
      setAt(props, segs, now);
      const f: FieldChange = { path: d.path, ...(recorded !== undefined && { before: recorded }), ...(now !== undefined && { after: now }) };
      fields.push(masked.has(String(segs[0])) ? mask(f) : f);
    }
  }
  const stateField = kind.job?.stateField;
  if (stateField) {
    const recorded = entry.outputs[stateField];
    const now = live.body[stateField];
    if (now !== undefined && now !== recorded) fields.push({ path: stateField, ...(recorded !== undefined && { before: recorded }), after: now });
  }
  return { fields, props };
}

/** Sets (or, for undefined, removes) the value at a path, making the objects on the way. */
function setAt(root: Record<string, unknown>, segs: readonly PathSegment[], value: unknown): void {
  let cur: Record<string | number, unknown> = root;
  for (const [i, seg] of segs.entries()) {
    if (i === segs.length - 1) {
      if (value === undefined) {
        if (Array.isArray(cur) && typeof seg === 'number') cur.splice(seg, 1);
        else delete cur[seg];
      } else cur[seg] = structuredClone(value);
      return;
    }
    const next = cur[seg];
    if (next === null || typeof next !== 'object') cur[seg] = typeof segs[i + 1] === 'number' ? [] : {};
    cur = cur[seg] as Record<string | number, unknown>;
  }
}
