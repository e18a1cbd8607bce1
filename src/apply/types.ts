import type { Action } from '../plan/types.js';

/** What an apply (or destroy) step did, as counted in the closing summary. */
export type StepResult = 'created' | 'updated' | 'replaced' | 'deleted' | 'forgotten' | 'adopted' | 'recorded' | 'waited';

/**
 * Progress of an apply, one value per event. `--json` writes each as one line; the terminal
 * and plain renderers draw them for people.
 */
export type ApplyEvent =
  | { event: 'apply-start'; steps: number; parallelism: number; time: string }
  | { event: 'step-start'; address: string; type: string; action: Action; time: string }
  | { event: 'step-progress'; address: string; message: string; time: string }
  | {
      event: 'step-done';
      address: string;
      type: string;
      action: Action;
      result: StepResult;
      name?: string;
      /** Addresses that went with this one (children deleted by the API along with their parent). */
      also?: string[];
      elapsedMs: number;
      time: string;
    }
  | { event: 'step-failed'; address: string; type: string; action: Action; error: string; elapsedMs: number; time: string }
  | { event: 'step-skipped'; address: string; type: string; action: Action; reason: string; time: string }
  | { event: 'apply-done'; ok: boolean; summary: ApplySummary; time: string };

export interface ApplySummary {
  created: number;
  updated: number;
  replaced: number;
  deleted: number;
  /** Addresses the API deleted along with a deleted parent (no call of their own; the plan lists them in its reason). */
  cascaded: number;
  /** Addresses removed from state without an API call (deletionPolicy abandon, already gone). */
  forgotten: number;
  /** Live resources taken into state without a write (found by ownership labels or id). */
  adopted: number;
  /** State-only changes: protected, deletionPolicy, dependsOn, ignoreChanges. */
  recorded: number;
  /** Unchanged jobs that apply --wait-jobs waited for until they ended. */
  waited: number;
  failed: { address: string; error: string }[];
  skipped: { address: string; reason: string }[];
  /** Steps never started because the run was interrupted. */
  notStarted: string[];
}

export interface ApplyOptions {
  /** Steps in flight at once (a batch call counts as one). */
  parallelism: number;
  /** Time limit of one step, operation waits included. */
  stepTimeoutMs: number;
  /** Stops starting new steps (SIGINT/SIGTERM); steps in flight finish and are recorded. */
  signal?: AbortSignal;
  onEvent: (e: ApplyEvent) => void;
}
