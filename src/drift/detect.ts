import type { ApiClient } from '../api/client.js';
import { KINDS, getKind, labelledOwner, labelsOf, parentOfName } from '../kinds/index.js';
import { jobStatusOf } from '../kinds/job-status.js';
import type { KindDef } from '../kinds/types.js';
import type { Stack } from '../manifest/types.js';
import { listCollection, makePlan, type Listing, type LiveResource, type PlannedStep, type RefreshResult } from '../plan/index.js';
import type { StateDoc } from '../state/types.js';
import { IgnoreRules } from './ignore.js';
import { DRIFT_FORMAT_VERSION, DRIFT_STATUSES, type DriftReport, type DriftResource, type DriftSummary, type FieldDrift } from './types.js';

/**
 * Drift: the planner's refresh and diff, read as a report. Whatever plan would change on an
 * address is drift on it, compared and normalised exactly as plan does (ignoreChanges honoured);
 * a job that ended badly is `failed`; and the collections refresh listed, plus the top-level
 * collections of every location the stacks use, give the resources no stack owns. Read only:
 * the calls are the plan's lists and gets, and a list of each top-level collection not listed yet.
 */

export interface StackInput {
  stack: Stack;
  stateDoc: StateDoc | null;
}

export interface DriftOptions {
  client: ApiClient;
  ignore?: IgnoreRules;
}

export async function detectDrift(inputs: readonly StackInput[], opts: DriftOptions): Promise<DriftReport> {
  const ignore = opts.ignore ?? IgnoreRules.none;
  const perStack = await Promise.all(inputs.map((input) => driftOfStack(input, opts.client, ignore)));
  const managed = perStack.flatMap((s) => s.resources);
  const unmanaged = await findUnmanaged(perStack, opts.client, ignore);
  return assembleReport([...managed, ...unmanaged]);
}

export function assembleReport(resources: DriftResource[]): DriftReport {
  const summary = Object.fromEntries(DRIFT_STATUSES.map((s) => [s, 0])) as DriftSummary;
  for (const r of resources) summary[r.status]++;
  const live = summary['in-sync'] + summary.modified + summary.failed;
  summary.coverage = live + summary.unmanaged === 0 ? 100 : Math.floor((1000 * live) / (live + summary.unmanaged)) / 10;
  const drifted = summary.modified + summary.missing + summary.failed + summary.unmanaged > 0;
  return { formatVersion: DRIFT_FORMAT_VERSION, drifted, resources, summary };
}

interface StackDrift {
  resources: DriftResource[];
  found: RefreshResult;
  /** Names of every live resource this stack accounts for (its addresses, state, orphans, forgotten). */
  owned: Set<string>;
}

async function driftOfStack(input: StackInput, client: ApiClient, ignore: IgnoreRules): Promise<StackDrift> {
  const { stack, stateDoc } = input;
  let found: RefreshResult | undefined;
  // Drift reports; it never refuses: a protected resource that drifted is reported, not an error.
  const plan = await makePlan(stack, { client, stateDoc, refresh: true, reportOnly: true, onRefresh: (f) => (found = f) });
  if (!found) throw new Error('drift: the plan did not refresh');
  const refreshed: RefreshResult = found;

  const steps = new Map(plan.steps.map((s) => [s.address, s]));
  const resources: DriftResource[] = [];
  const byName = new Map<string, DriftResource>();
  for (const r of stack.resources) {
    const step = steps.get(r.address);
    if (!step) continue;
    const entry = stateDoc?.resources[r.address];
    const live = refreshed.live.get(r.address);
    const name = live?.name ?? step.name ?? (entry?.name || null);
    const subject = { address: r.address, type: r.type, name, stack: stack.name };
    if (ignore.ignoresResource(subject)) continue;
    const { status, reason, fields } = statusOf(step, live, entry?.name, (path) => ignore.ignoresField(subject, path));
    const drift: DriftResource = {
      ...subject,
      status,
      ...(stack.env !== undefined && { env: stack.env }),
      ...(reason !== undefined && { reason }),
      ...(fields !== undefined && { fields }),
    };
    // A resource whose only change is that its parent is replaced has not drifted itself.
    if (drift.status === 'modified' && !drift.fields?.length && parentDrifted(r.kind, live, byName)) {
      delete drift.reason;
      drift.status = 'in-sync';
    }
    if (drift.status === 'modified' && drift.fields?.length === 0) delete drift.fields;
    resources.push(drift);
    if (name) byName.set(name, drift);
  }

  const owned = new Set<string>();
  for (const live of refreshed.live.values()) if (live) owned.add(live.name);
  for (const orphan of refreshed.orphans) owned.add(orphan.name);
  for (const entry of Object.values(stateDoc?.resources ?? {})) if (entry.name) owned.add(entry.name);
  for (const name of stateDoc?.forgotten ?? []) owned.add(name);
  return { resources, found: refreshed, owned };
}

type Status = Pick<DriftResource, 'status' | 'reason' | 'fields'>;

function statusOf(step: PlannedStep, live: LiveResource | null | undefined, stateName: string | undefined, fieldIgnored: (path: string) => boolean): Status {
  if (!live) {
    if (live === undefined) return { status: 'missing', reason: 'its parent does not exist' };
    if (stateName) return { status: 'missing', reason: 'recorded in state, but no longer exists' };
    return { status: 'missing', reason: 'does not exist, and state does not record it' };
  }
  const fields: FieldDrift[] = (step.fields ?? [])
    .filter((f) => !f.unknown && !fieldIgnored(f.path))
    .map((f) => ({ path: f.path, expected: f.after ?? null, actual: f.before ?? null, ...(f.sensitive && { sensitive: true }) }));
  const failure = jobFailure(live);
  if (failure) return { status: 'failed', reason: failure, ...(fields.length && { fields }) };
  // `record` and `adopt` change state only: the cloud matches the manifests.
  const action: string = step.action;
  if (action !== 'update' && action !== 'replace') return { status: 'in-sync' };
  if (fields.length) return { status: 'modified', fields };
  // Every field difference is ignored; what is left is a move (another parent or id), if anything.
  const moved = step.fields === undefined || step.fields.length === 0;
  return moved ? { status: 'modified', reason: step.reason ?? 'it would be replaced', fields: [] } : { status: 'in-sync' };
}

/** Why a job's live state is a failure (FAILED, CANCELLED, EXPIRED), with its error, or undefined. */
function jobFailure(live: LiveResource): string | undefined {
  const status = jobStatusOf(live.kind, live.body);
  if (status?.outcome !== 'failed') return undefined;
  return status.error ? `${status.state}: ${status.error}` : status.state;
}

function parentDrifted(kind: KindDef, live: LiveResource | null | undefined, byName: Map<string, DriftResource>): boolean {
  if (!live || !kind.parentType) return false;
  const parentOf = parentOfName(kind, live.name);
  const parent = parentOf === undefined ? undefined : byName.get(parentOf);
  return parent !== undefined && parent.status !== 'in-sync';
}

/**
 * Live resources that no stack of this run accounts for and that carry no ownership labels:
 * in the collections refresh listed, and in every top-level collection of the stacks' locations.
 */
async function findUnmanaged(stacks: StackDrift[], client: ApiClient, ignore: IgnoreRules): Promise<DriftResource[]> {
  const owned = new Set(stacks.flatMap((s) => [...s.owned]));
  const listings = new Map<string, Listing>();
  const key = (kind: KindDef, parent: string) => `${kind.type} ${parent}`;
  for (const s of stacks) for (const l of s.found.listed) listings.set(key(l.kind, l.parent), l);

  const locations = new Set<string>();
  for (const l of listings.values()) {
    const m = /^projects\/[^/]+\/locations\/[^/]+/.exec(l.parent);
    if (m) locations.add(m[0]);
  }
  const extra: { kind: KindDef; parent: string }[] = [];
  for (const parent of locations) {
    for (const kind of KINDS.filter((k) => !k.parentType)) if (!listings.has(key(kind, parent))) extra.push({ kind, parent });
  }
  await Promise.all(
    extra.map(async ({ kind, parent }) => {
      listings.set(key(kind, parent), { kind, parent, items: await listCollection(client, kind, parent) });
    }),
  );

  const out = new Map<string, DriftResource>();
  for (const { kind, items } of listings.values()) {
    for (const item of items.values()) {
      const name = String(item.name);
      if (owned.has(name) || out.has(name) || labelledOwner(labelsOf(kind, item)) !== undefined) continue;
      const res: DriftResource = { address: null, type: kind.type, name, status: 'unmanaged', stack: null };
      if (!ignore.ignoresResource(res)) out.set(name, res);
    }
  }
  return [...out.values()].sort((a, b) => kindOrder(a.type) - kindOrder(b.type) || String(a.name).localeCompare(String(b.name)));
}

function kindOrder(type: string): number {
  return KINDS.indexOf(getKind(type));
}
