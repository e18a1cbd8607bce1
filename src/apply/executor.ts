import { getKind } from '../kinds/index.js';
import type { KindDef } from '../kinds/types.js';
import { dataProps } from '../kinds/virtual-props.js';
import { referenceValue, resolveProps, targetOfEntry } from '../plan/resolve.js';
import type { Plan, PlannedStep } from '../plan/types.js';
import { batchParent } from './batch.js';
import { StepTimeout, type Deadline } from './operations.js';
import { createBatch, needsWatching, runStep, updateSteps, type StepEnv, type StepOutcome, type StepTask } from './steps.js';
import type { ApplyEvent, ApplyOptions, ApplySummary } from './types.js';

type Status = 'waiting' | 'running' | 'done' | 'failed' | 'skipped';

interface Node {
  step: PlannedStep;
  kind: KindDef;
  /** The steps this one comes after, and those that come after it: nodes, so a check looks nothing up. */
  deps: Node[];
  dependents: Node[];
  status: Status;
  started?: number;
}

/**
 * A unit of work: one step, a batch create of several steps sharing a parent, or updates of
 * resources with data (metric points) sharing a batch parent, whose data is written together.
 */
type Unit = { tasks: StepTask[]; batchOn?: string; updates?: true };

/**
 * Walks the plan's DAG, its steps and `after` edges and nothing else (no-ops need no work): a
 * step starts once every step it comes `after` has finished, with at most
 * `parallelism` units in flight; creates of one parent that become ready together go in one
 * batch call where the kind has one. A failed step skips its dependents only; independent
 * branches go on. Each finished step is written to state before its dependents start, and
 * references are resolved from state at that moment.
 */
export async function executePlan(plan: Plan, ctx: Omit<StepEnv, 'owner'>, opts: ApplyOptions): Promise<ApplySummary> {
  // Ownership labels name the stack and its environment, whoever calls.
  const env: StepEnv = {
    ...ctx,
    owner: { stack: plan.stack, ...(plan.env !== undefined && { env: plan.env }) },
    parallelism: opts.parallelism,
    ...(opts.signal && { signal: opts.signal }),
  };
  // Each finished step appends its entries to state; the whole document is written once at the end.
  env.store.journal();
  const summary = emptySummary();
  // The time is formatted once per millisecond, and added to the new event rather than copied with it: 20,000 events for 10,000 runs.
  let clock = { ms: 0, iso: '' };
  const isoNow = () => {
    const ms = Date.now();
    if (ms !== clock.ms) clock = { ms, iso: new Date(ms).toISOString() };
    return clock.iso;
  };
  const emit = (e: DistributiveOmit<ApplyEvent, 'time'>) => {
    (e as ApplyEvent).time = isoNow();
    opts.onEvent(e as ApplyEvent);
  };
  // Indexed loops over every step: they run a few times per apply, so mostly before V8 optimises
  // them, where each iterator step costs (10,000 runs).
  const nodes = new Map<string, Node>();
  /** The nodes in plan order. */
  const order: Node[] = [];
  for (let i = 0; i < plan.steps.length; i++) {
    const step = plan.steps[i];
    // A no-op needs no work, except an unchanged job that apply --wait-jobs watches; its dependents need not wait.
    if (step.action === 'no-op' && !needsWatching(step, env.waitJobs)) continue;
    const node: Node = { step, kind: getKind(step.type), deps: [], dependents: [], status: 'waiting' };
    nodes.set(step.address, node);
    order.push(node);
  }
  // The plan's edges, and no others.
  for (let i = 0; i < order.length; i++) {
    const node = order[i];
    const after = node.step.after;
    for (let j = 0; j < after.length; j++) {
      const dep = after[j] === node.step.address ? undefined : nodes.get(after[j]);
      if (!dep || node.deps.includes(dep)) continue;
      node.deps.push(dep);
      dep.dependents.push(node);
    }
  }
  emit({ event: 'apply-start', steps: nodes.size, parallelism: opts.parallelism });

  const task = (node: Node, props: Record<string, unknown>): StepTask => new ReadyTask(node, props, new StepDeadline(Date.now() + opts.stepTimeoutMs), emit);

  const skipDependents = (node: Node) => {
    const queue = node.dependents.map((d) => [d, node] as const);
    while (queue.length) {
      const [dep, because] = queue.shift()!;
      if (dep.status !== 'waiting') continue;
      dep.status = 'skipped';
      const { address } = dep.step;
      const reason = `depends on ${because.step.address}, which ${because.status === 'failed' ? 'failed' : 'was skipped'}`;
      summary.skipped.push({ address, reason });
      emit({ event: 'step-skipped', address, type: dep.step.type, action: dep.step.action, reason });
      queue.push(...dep.dependents.map((d) => [d, dep] as const));
    }
  };
  const finish = (node: Node, outcome: StepOutcome | Error) => {
    const { step } = node;
    const elapsedMs = Date.now() - (node.started ?? Date.now());
    if (outcome instanceof Error) {
      node.status = 'failed';
      const error = describeError(outcome);
      summary.failed.push({ address: step.address, error });
      emit({ event: 'step-failed', address: step.address, type: step.type, action: step.action, error, elapsedMs });
      skipDependents(node);
      return;
    }
    node.status = 'done';
    summary[outcome.result] += 1;
    // Children deleted by the API with their parent: counted as such, as the plan lists them.
    summary.cascaded += outcome.also?.length ?? 0;
    emit({ event: 'step-done', address: step.address, type: step.type, action: step.action, result: outcome.result, name: outcome.name, ...(outcome.also && { also: outcome.also }), elapsedMs });
  };

  const inFlight = new Set<Promise<void>>();
  const start = (unit: Unit) => {
    const now = Date.now();
    for (const t of unit.tasks) {
      const node = nodes.get(t.step.address)!;
      node.status = 'running';
      node.started = now;
      emit({ event: 'step-start', address: t.step.address, type: t.step.type, action: t.step.action });
    }
    const work: Promise<Map<string, StepOutcome | Error>> = unit.batchOn
      ? createBatch(env, unit.batchOn, unit.tasks)
      : unit.updates
        ? updateSteps(env, unit.tasks)
        : runStep(env, unit.tasks[0]).then((o) => new Map([[unit.tasks[0].step.address, o]]));
    const p = work
      .catch((err: unknown) => new Map(unit.tasks.map((t) => [t.step.address, asError(err)])))
      .then((outcomes) => {
        for (const t of unit.tasks) finish(nodes.get(t.step.address)!, outcomes.get(t.step.address) ?? new Error('no outcome'));
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  for (;;) {
    if (!opts.signal?.aborted) {
      for (const unit of readyUnits(order, env, task, finish, opts.parallelism - inFlight.size)) start(unit);
    }
    if (inFlight.size === 0) break;
    await Promise.race(inFlight);
  }
  for (const node of order) {
    if (node.status !== 'waiting') continue;
    if (opts.signal?.aborted) summary.notStarted.push(node.step.address);
    else {
      node.started = Date.now();
      finish(node, new Error(`waits on ${node.deps.map((d) => d.step.address).join(', ')} in a cycle`));
    }
  }
  await env.store.flush();
  emit({ event: 'apply-done', ok: isSuccess(summary), summary });
  return summary;
}

/** A step's time limit, from when it became ready. */
class StepDeadline implements Deadline {
  constructor(private readonly end: number) {}
  remainingMs(): number {
    return this.end - Date.now();
  }
}

/**
 * A step ready to run. A class, not an object literal with a progress and a deadline closure:
 * 10,000 runs become ready at once, and each closure is one more allocation (and, under tsx,
 * a name-keeping call).
 */
class ReadyTask implements StepTask {
  readonly step: PlannedStep;
  readonly kind: KindDef;
  constructor(
    node: Node,
    readonly props: Record<string, unknown>,
    readonly deadline: Deadline,
    private readonly emit: (e: DistributiveOmit<ApplyEvent, 'time'>) => void,
  ) {
    this.step = node.step;
    this.kind = node.kind;
  }
  progress(message: string): void {
    this.emit({ event: 'step-progress', address: this.step.address, message });
  }
}

export function emptySummary(): ApplySummary {
  return { created: 0, updated: 0, replaced: 0, deleted: 0, cascaded: 0, forgotten: 0, adopted: 0, recorded: 0, waited: 0, failed: [], skipped: [], notStarted: [] };
}

export function isSuccess(s: ApplySummary): boolean {
  return s.failed.length === 0 && s.skipped.length === 0 && s.notStarted.length === 0;
}

/**
 * The units ready to start, in plan order: steps whose dependencies are all done, with their
 * references resolved from state. Ready creates of a batchable kind that share a batch parent
 * are grouped (up to the kind's batch limit). At most `room` units.
 */
function readyUnits(
  order: Node[],
  env: StepEnv,
  task: (node: Node, props: Record<string, unknown>) => StepTask,
  finish: (node: Node, outcome: Error) => void,
  room: number,
): Unit[] {
  const units: Unit[] = [];
  const batches = new Map<string, Unit>();
  // State does not change while the units are chosen: each reference is looked up once (10,000 runs name one experiment).
  const outputs = new Map<string, Map<string, unknown>>();
  const lookup = (address: string, field: string) => {
    let fields = outputs.get(address);
    if (!fields) outputs.set(address, (fields = new Map()));
    if (!fields.has(field)) fields.set(field, lookupOutput(env, address, field));
    return fields.get(field);
  };
  for (let i = 0; i < order.length; i++) {
    const node = order[i];
    if (node.status !== 'waiting' || !allDone(node.deps)) continue;
    const grouped = groupOf(node);
    // Full: only steps that may still join a group already chosen are worth resolving.
    if (units.length >= room && !grouped) continue;
    let props: Record<string, unknown> = {};
    if (node.step.desired) {
      const resolved = resolveProps(node.step.desired.props, lookup);
      if (resolved.unresolved.length) {
        node.started = Date.now();
        const refs = resolved.unresolved.map((r) => `{{ ${r.address}.${r.field} }}`).join(', ');
        finish(node, new Error(`no value for ${refs}`));
        continue;
      }
      props = resolved.props;
    }
    const t = task(node, props);
    if (grouped) {
      const on = batchParent(node.kind, props);
      const key = `${node.step.action} ${node.kind.type} ${on}`;
      let unit = batches.get(key);
      if (!unit || unit.tasks.length >= grouped.max) {
        if (units.length >= room) continue;
        unit = grouped.updates ? { tasks: [], updates: true } : { tasks: [], batchOn: on };
        batches.set(key, unit);
        units.push(unit);
      }
      unit.tasks.push(t);
      continue;
    }
    units.push({ tasks: [t] });
  }
  // A batch of one is a plain create (or update).
  return units.map((u) => (u.tasks.length === 1 ? { tasks: u.tasks } : u));
}

function allDone(deps: Node[]): boolean {
  for (let i = 0; i < deps.length; i++) if (deps[i].status !== 'done') return false;
  return true;
}

/** Whether a step joins others ready with it: creates of a batchable kind, updates of a kind with data props. */
function groupOf(node: Node): { max: number; updates?: true } | undefined {
  const spec = node.kind.batchCreate;
  if (node.step.action === 'create' && spec) return { max: spec.max };
  if (node.step.action === 'update' && dataProps(node.kind).length) return { max: spec?.max ?? 1000, updates: true };
  return undefined;
}

/** Reference values come from state: outputs of finished steps and of resources left unchanged. */
function lookupOutput(env: StepEnv, address: string, field: string): unknown {
  const entry = env.store.doc.resources[address];
  if (!entry || entry.pending) return undefined;
  return referenceValue(targetOfEntry(getKind(entry.type), entry), field);
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

function describeError(err: Error): string {
  if (err instanceof StepTimeout) return `${err.message}; the next apply picks up where this one stopped`;
  return err.message.replace(/\s*\n\s*/g, ' ');
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
