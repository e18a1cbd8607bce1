import { UserError } from '../core/errors.js';
import type { Problem } from '../manifest/types.js';
import { ABANDONED, assemblePlan } from './planner.js';
import type { Plan, PlannedStep } from './types.js';
import type { StateDoc, StateEntry } from '../state/types.js';

/**
 * The plan of `vertexctl destroy`: a delete for every address in state (or the targets and what
 * depends on them), dependents first. The API deletes a resource's children with it (a
 * tensorboard takes its experiments, runs and time series along), so an address whose ancestor
 * is deleted too gets no call of its own: it is removed from state with its ancestor.
 * Protected resources refuse the whole destroy; deletionPolicy abandon only forgets.
 */
export function destroyPlan(doc: StateDoc, opts: { targets?: string[] } = {}): Plan {
  const entries = doc.resources;
  const selected = selectWithDependents(entries, opts.targets);
  const problems: Problem[] = [];
  for (const address of selected) {
    const e = entries[address];
    if (e.protected) problems.push({ address, message: 'is protected; remove `protected: true` from its manifest and apply before destroying it' });
    const ancestor = deletedAncestor(entries, selected, e);
    if (ancestor && e.deletionPolicy === 'abandon' && entries[ancestor].deletionPolicy !== 'abandon') {
      problems.push({ address, message: `has deletionPolicy abandon, but deleting "${ancestor}" would delete it too` });
    }
    if (ancestor && e.protected) problems.push({ address: ancestor, message: `would delete protected "${address}" with it` });
  }
  if (problems.length) throw new UserError(problems);

  const steps: PlannedStep[] = [];
  for (const address of selected) {
    const e = entries[address];
    const ancestor = deletedAncestor(entries, selected, e);
    if (ancestor && entries[ancestor].deletionPolicy !== 'abandon') continue;
    const step: PlannedStep = { address, type: e.type, action: 'delete', after: [], inState: true };
    if (e.name) step.name = e.name;
    if (e.deletionPolicy === 'abandon') Object.assign(step, ABANDONED);
    const under = [...selected].filter((a) => a !== address && e.name && entries[a].name.startsWith(`${e.name}/`));
    if (under.length) Object.assign(step, { reason: `also deletes ${under.join(', ')}`, reasonCode: 'deletes_children' });
    steps.push(step);
  }
  // A resource goes after everything that depends on it.
  const stepAddresses = new Set(steps.map((s) => s.address));
  for (const s of steps) {
    for (const [other, e] of Object.entries(entries)) {
      if (other !== s.address && stepAddresses.has(other) && e.dependsOn?.includes(s.address)) s.after.push(other);
    }
  }
  return assemblePlan({
    stack: doc.stack,
    env: doc.env,
    state: { lineage: doc.lineage, serial: doc.serial },
    fingerprints: {},
    steps,
    source: { paths: [], vars: {} },
  });
}

/** The targets plus every address that depends on them, directly or not (all of state without targets). */
function selectWithDependents(entries: Record<string, StateEntry>, targets?: string[]): Set<string> {
  if (!targets?.length) return new Set(Object.keys(entries));
  const unknown = targets.filter((t) => !entries[t]);
  if (unknown.length) throw new UserError(unknown.map((t) => ({ message: `--target "${t}": no such address in the state` })));
  const selected = new Set<string>();
  const queue = [...targets];
  while (queue.length) {
    const a = queue.pop()!;
    if (selected.has(a)) continue;
    selected.add(a);
    const name = entries[a].name;
    for (const [b, e] of Object.entries(entries)) {
      if (e.dependsOn?.includes(a) || (name && e.name.startsWith(`${name}/`))) queue.push(b);
    }
  }
  return selected;
}

/** The nearest selected address whose resource contains this one (by name). */
function deletedAncestor(entries: Record<string, StateEntry>, selected: Set<string>, e: StateEntry): string | undefined {
  let best: string | undefined;
  for (const a of selected) {
    const n = entries[a].name;
    if (n && e.name.startsWith(`${n}/`) && (!best || n.length > entries[best].name.length)) best = a;
  }
  return best;
}
