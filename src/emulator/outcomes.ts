import { mulberry32 } from './faults.js';
import type { JobOutcome, JobOutcomeProfile } from './options.js';

export type { JobOutcome, JobOutcomeProfile } from './options.js';

/**
 * Job outcome profiles: real jobs do not all succeed. A seeded share of new jobs (custom jobs,
 * notebook execution jobs, notebooks executions) ends FAILED, is preempted (FAILED with an
 * UNAVAILABLE error, as when Spot capacity is reclaimed), or hangs in its pending state until
 * cancelled; rules by display-name pattern come first. Decided when the job is created.
 */

export const OUTCOME_MESSAGES: Record<'failed' | 'preempted', { code: number; message: string }> = {
  failed: { code: 13, message: 'The replica workerpool0-0 exited with a non-zero status of 1.' },
  preempted: { code: 14, message: 'The job was preempted: the capacity it ran on was reclaimed.' },
};

export class OutcomePicker {
  private profile: JobOutcomeProfile | undefined;
  private patterns: RegExp[] = [];
  private random: () => number = Math.random;

  configure(profile: JobOutcomeProfile | undefined): void {
    this.profile = profile;
    this.patterns = (profile?.rules ?? []).map((r) => new RegExp(r.displayNamePattern));
    this.random = mulberry32((profile?.seed ?? 0) ^ 0x1b873593);
  }

  /** The outcome of a job created now (undefined: no profile, the job succeeds). */
  pick(displayName: string): { outcome: JobOutcome; message?: string } | undefined {
    const p = this.profile;
    if (!p) return undefined;
    const i = this.patterns.findIndex((re) => re.test(displayName));
    if (i >= 0) return { outcome: p.rules![i].outcome, message: p.rules![i].message };
    const r = this.random();
    let edge = p.failed ?? 0;
    if (r < edge) return { outcome: 'failed' };
    edge += p.preempted ?? 0;
    if (r < edge) return { outcome: 'preempted' };
    edge += p.hung ?? 0;
    if (r < edge) return { outcome: 'hung' };
    return undefined;
  }
}

const OUTCOMES: JobOutcome[] = ['succeeded', 'failed', 'preempted', 'hung'];

/** Checks a `jobOutcomes` setting (config endpoint, CLI flag). */
export function checkJobOutcomes(value: unknown, fail: (message: string) => never): JobOutcomeProfile {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('jobOutcomes must be an object');
  const out: JobOutcomeProfile = {};
  let total = 0;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'seed') {
      if (typeof v !== 'number' || !Number.isFinite(v)) fail('jobOutcomes.seed must be a number');
      out.seed = v;
    } else if (key === 'failed' || key === 'preempted' || key === 'hung') {
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) fail(`jobOutcomes.${key} must be a number between 0 and 1`);
      out[key] = v;
      total += v;
    } else if (key === 'rules') {
      if (!Array.isArray(v)) fail('jobOutcomes.rules must be a list');
      out.rules = v.map((r: unknown, i) => {
        const rule = r as Record<string, unknown>;
        if (typeof rule?.displayNamePattern !== 'string') fail(`jobOutcomes.rules[${i}].displayNamePattern must be a regular expression string`);
        try {
          new RegExp(rule.displayNamePattern);
        } catch {
          fail(`jobOutcomes.rules[${i}].displayNamePattern "${rule.displayNamePattern}" is not a valid regular expression`);
        }
        if (!OUTCOMES.includes(rule.outcome as JobOutcome)) fail(`jobOutcomes.rules[${i}].outcome must be one of ${OUTCOMES.join(', ')}`);
        if (rule.message !== undefined && typeof rule.message !== 'string') fail(`jobOutcomes.rules[${i}].message must be a string`);
        return { displayNamePattern: rule.displayNamePattern, outcome: rule.outcome as JobOutcome, ...(rule.message !== undefined && { message: rule.message as string }) };
      });
    } else fail(`unknown jobOutcomes setting "${key}"`);
  }
  if (total > 1) fail('the jobOutcomes shares add up to more than 1');
  return out;
}
