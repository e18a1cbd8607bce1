import { customJobs } from './custom-jobs.js';
import { experiments } from './experiments.js';
import { notebookExecutionJobs } from './notebook-execution-jobs.js';
import { notebooksExecutions } from './notebooks-executions.js';
import { runs } from './runs.js';
import { tensorboards } from './tensorboards.js';
import { timeSeries } from './time-series.js';
import type { KindDef } from './types.js';

export type { KindDef } from './types.js';
export * from './names.js';
export * from './labels.js';

/** Every kind vertexctl manages, parents before children. */
export const KINDS: readonly KindDef[] = [
  tensorboards,
  experiments,
  runs,
  timeSeries,
  customJobs,
  notebookExecutionJobs,
  notebooksExecutions,
];

const byType = new Map(KINDS.map((k) => [k.type, k]));

export function findKind(type: string): KindDef | undefined {
  return byType.get(type);
}

export function getKind(type: string): KindDef {
  const kind = byType.get(type);
  if (!kind) throw new Error(`unknown resource type "${type}"`);
  return kind;
}

export function kindTypes(): string[] {
  return KINDS.map((k) => k.type);
}
