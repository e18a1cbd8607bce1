import type { QuotaSettings } from './quotas.js';
/** How a job ends (src/emulator/outcomes.ts). */
export type JobOutcome = 'succeeded' | 'failed' | 'preempted' | 'hung';

export interface JobOutcomeProfile {
  seed?: number;
  /** Shares of new jobs, each 0…1, together at most 1; the rest succeed. */
  failed?: number;
  preempted?: number;
  hung?: number;
  /** First matching rule decides, before the shares. */
  rules?: { displayNamePattern: string; outcome: JobOutcome; message?: string }[];
}



export type { QuotaSettings } from './quotas.js';

/** Knobs of the emulator (the shared Emulator interface of the team brief). */
export interface FaultProfile {
  seed: number;
  rate429?: number;
  rate500?: number;
  rate503?: number;
  rateReset?: number;
  rateFailedOperation?: number;
  retryAfterSeconds?: number;
  /** only requests whose path matches this regex are faulted (default all API requests) */
  pathPattern?: string;
}

export interface EmulatorOptions {
  /** 0 = a free port */
  port?: number;
  /** keep state in this directory across restarts */
  dataDir?: string;
  latencyMs?: number;
  jitterMs?: number;
  /** long-running operations are done after this long (default 50) */
  operationDelayMs?: number;
  /** time a job spends in each state before the next (default 200) */
  jobPhaseMs?: number;
  faults?: FaultProfile;
  /** Per-minute request quotas per project and region, answered with Google's 429 (off unless given). */
  quotas?: QuotaSettings;
  /** Seeded shares of jobs that fail, are preempted or hang, or rules by display name (off unless given). */
  jobOutcomes?: JobOutcomeProfile;
  /**
   * Answer aiplatform names with the project id the request used instead of the project's number
   * (Google answers with numbers; default false).
   */
  projectIdsInNames?: boolean;
  /** Project numbers to use for these project ids (default: a stable number derived from the id). */
  projectNumbers?: Record<string, string>;
  /** no request log on stderr (default true; the CLI turns the log on) */
  quiet?: boolean;
}

/** The options that can change while the emulator runs. */
export interface RuntimeSettings {
  latencyMs: number;
  jitterMs: number;
  operationDelayMs: number;
  jobPhaseMs: number;
  quiet: boolean;
}

export const DEFAULT_SETTINGS: RuntimeSettings = {
  latencyMs: 0,
  jitterMs: 0,
  operationDelayMs: 50,
  jobPhaseMs: 200,
  quiet: true,
};
