/** The applier: carries out a Plan step by step (DAG, parallel, LRO waits), recording each step in state. */
export type { ApplyEvent, ApplyOptions, ApplySummary, StepResult } from './types.js';
export { executePlan, isSuccess, emptySummary } from './executor.js';
export type { StepEnv } from './steps.js';
export { progressRenderer, summaryLines, type ProgressMode, type ProgressRenderer } from './progress.js';
export { stackGraph, toDot, toMermaid } from './graph.js';
