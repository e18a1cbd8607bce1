import { hash } from 'node:crypto';
import type { ApiClient } from '../api/client.js';
import { ownRecord } from '../core/records.js';
import { fieldInfo } from '../schema/registry.js';
import type { StateDoc } from '../state/types.js';
import { canonicalJson } from './normalize.js';
import { refresh, type LiveResource, type RefreshResult } from './refresh.js';
import type { Plan } from './types.js';

/**
 * Staleness: a plan records the state it was made against and a hash of every live resource it
 * read; apply refreshes again and refuses the plan when either moved on.
 */

/**
 * Hash of what a plan's decisions rest on: the name and every field that is not Output only
 * (a job's state, update times and counters change without making a plan wrong). Metric points
 * are left out: jobs append them all the time and writing a point again is harmless.
 */
export function fingerprint(live: LiveResource | null | undefined): string {
  if (!live) return 'absent';
  const body = ownRecord<unknown>();
  for (const k of Object.keys(live.body)) if (!isOutputOnly(live.kind.type, k)) body[k] = live.body[k];
  // One-shot hashing: a plan hashes every live resource, and a Hash object per resource costs more than the hash.
  return hash('sha256', canonicalJson({ name: live.name, body }), 'hex');
}

const outputOnly = new Map<string, Map<string, boolean>>();

/** Whether a top-level field of a kind's body is Output only (asked once per kind and field: a plan hashes every resource). */
function isOutputOnly(type: string, field: string): boolean {
  let fields = outputOnly.get(type);
  if (!fields) outputOnly.set(type, (fields = new Map()));
  let readOnly = fields.get(field);
  if (readOnly === undefined) fields.set(field, (readOnly = !!fieldInfo(type, [field])?.readOnly));
  return readOnly;
}

/** Reads again what the plan read: the same collections, matched the same way. */
export function refreshForPlan(plan: Plan, stateDoc: StateDoc | null, client: ApiClient): Promise<RefreshResult> {
  const resources = plan.steps.filter((s) => s.desired).map((s) => ({ address: s.address, type: s.type, props: s.desired!.props }));
  return refresh(resources, stateDoc, client, { owner: { stack: plan.stack, ...(plan.env !== undefined && { env: plan.env }) } });
}

/** Why a plan may no longer be applied; empty when it is fresh. */
export function checkPlanFresh(plan: Plan, stateDoc: StateDoc | null, current: RefreshResult): string[] {
  const problems: string[] = [];
  const lineage = stateDoc?.lineage ?? null;
  const serial = stateDoc?.serial ?? 0;
  if (plan.state.lineage !== null && lineage !== plan.state.lineage) {
    problems.push(`the plan was made against another state (lineage ${plan.state.lineage}, the state's is ${lineage ?? 'none'})`);
  } else if (serial !== plan.state.serial) {
    problems.push(`the state changed since the plan was made (serial ${plan.state.serial}, now ${serial})`);
  }
  const orphans = new Map(current.orphans.map((o) => [o.address, o]));
  for (const [address, recorded] of Object.entries(plan.fingerprints)) {
    const now = fingerprint(current.live.get(address) ?? orphans.get(address));
    if (now !== recorded) problems.push(`resource "${address}" changed since the plan was made`);
  }
  return problems;
}
