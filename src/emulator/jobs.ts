import type { KindDef } from '../kinds/types.js';
import type { JobStates } from './behaviour.js';
import { OUTCOME_MESSAGES } from './outcomes.js';
import type { FailRule, StoredResource } from './store.js';

/**
 * Job state from the clock: each state of `phases` lasts `phaseMs` from the job's start, then the
 * job ends SUCCEEDED, or FAILED when a fail rule matches it. A cancelled job is CANCELLING for
 * one phase, then CANCELLED. The body is brought up to date lazily, when the job is read.
 */

export const iso = (ms: number) => new Date(ms).toISOString();

export const DEFAULT_FAILURE = 'The replica workerpool0-0 exited with a non-zero status of 1.';

function matchingRule(res: StoredResource, rules: FailRule[]): FailRule | undefined {
  return rules.find(
    (r) =>
      (r.name !== undefined && r.name === res.name) ||
      (r.displayNamePattern !== undefined && new RegExp(r.displayNamePattern).test(String(res.body.displayName ?? ''))),
  );
}

/** Updates the job's state fields for time `now`; returns whether the body changed. */
export function advanceJob(res: StoredResource, kind: KindDef, states: JobStates, now: number, rules: FailRule[]): boolean {
  const clock = res.job;
  if (!clock || clock.final || !kind.job) return false;
  const body = res.body;
  const before = body[kind.job.stateField];
  const runningAt = clock.startMs + states.phases.indexOf(states.running) * clock.phaseMs;
  let state: string;
  let since: number;
  let end = false;
  if (clock.cancelMs !== undefined && states.cancelling && states.cancelled) {
    const cancelledAt = clock.cancelMs + (clock.cancelPhaseMs ?? clock.phaseMs);
    end = now >= cancelledAt;
    state = end ? states.cancelled : states.cancelling;
    since = end ? cancelledAt : clock.cancelMs;
  } else {
    let index = Math.floor((now - clock.startMs) / clock.phaseMs);
    // A hung job stays in its second state (PENDING / PREPARING) until cancelled.
    if (clock.outcome === 'hung') index = Math.min(index, 1);
    end = index >= states.phases.length;
    since = clock.startMs + Math.min(Math.max(index, 0), states.phases.length) * clock.phaseMs;
    state = end ? states.succeeded : states.phases[Math.max(index, 0)];
  }
  if (state === before) return false;
  body[kind.job.stateField] = state;
  body.updateTime = iso(since);
  const ranUntil = clock.cancelMs ?? since;
  if (states.startTimeField && ranUntil >= runningAt && body[states.startTimeField] === undefined) {
    body[states.startTimeField] = iso(runningAt);
  }
  if (end) {
    clock.final = true;
    if (states.endTimeField) body[states.endTimeField] = iso(since);
    const rule = state === states.succeeded ? matchingRule(res, rules) : undefined;
    const profiled = state === states.succeeded && (clock.outcome === 'failed' || clock.outcome === 'preempted') ? OUTCOME_MESSAGES[clock.outcome] : undefined;
    if (rule || profiled) body[kind.job.stateField] = states.failed;
    const errorField = kind.job.errorField;
    if (errorField && rule) body[errorField] = { code: 13, message: rule.message ?? DEFAULT_FAILURE };
    else if (errorField && profiled) body[errorField] = { code: profiled.code, message: clock.outcomeMessage ?? profiled.message };
    if (errorField && state === states.cancelled) body[errorField] = { code: 1, message: 'CANCELED' };
  }
  return true;
}
