import { getPath } from './labels.js';
import type { KindDef } from './types.js';

/** Where a job is: its state as the API reports it, the error it ended with, and what that means. */
export interface JobStatus {
  state: string;
  /** The job's own error message, when it ended with one. */
  error?: string;
  /** running: not in a terminal state yet; failed: FAILED, CANCELLED, EXPIRED (or the kind's like). */
  outcome: 'running' | 'succeeded' | 'failed';
}

/** The status of a live job, or undefined when the kind is not a job or the body has no state. */
export function jobStatusOf(kind: KindDef, body: unknown): JobStatus | undefined {
  if (!kind.job) return undefined;
  const state = getPath(body, kind.job.stateField);
  if (typeof state !== 'string' || !state) return undefined;
  const message = kind.job.errorField ? getPath(body, `${kind.job.errorField}.message`) : undefined;
  const outcome = kind.job.failed.includes(state) ? 'failed' : kind.job.terminal.includes(state) ? 'succeeded' : 'running';
  return { state, ...(typeof message === 'string' && message && { error: message }), outcome };
}

/** One line about a job that did not succeed, with the way to run it again. */
export function describeFailedJob(name: string, status: JobStatus, address: string): string {
  return `job ${name} ended ${status.state}: ${status.error ?? 'no error message'}; to run it again, apply with --replace ${address}`;
}
