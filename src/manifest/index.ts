/** Manifests: load a stack, resolve references, order resources (DESIGN.md, "Manifest format"). */
export type { DesiredResource, LoadOptions, Problem, Reference, SourcePos, Stack } from './types.js';
export { loadStack } from './load.js';
export { findReferences, hasReferences, resolveReferences } from './references.js';
export { dependencyOrder, findCycles, type DagNode } from './dag.js';
export { maskSensitive, SENSITIVE_MASK } from './sensitive.js';
export { formatPath, parsePath, type PathSegment } from '../core/paths.js';
