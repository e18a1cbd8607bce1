import type { SourcePos } from '../core/errors.js';
import type { KindDef } from '../kinds/types.js';

export type { Problem, SourcePos } from '../core/errors.js';


/** `{{ address.field }}` inside a prop value: an edge of the dependency DAG. */
export interface Reference {
  /** Prop path where the reference appears, e.g. `tensorboardsId` or `jobSpec.baseOutputDirectory`. */
  path: string;
  address: string;
  field: string;
}

export interface DesiredResource {
  /** The resource's `name` in the manifest: unique within the stack. */
  address: string;
  type: string;
  kind: KindDef;
  /**
   * Prop values after globals, --var, environment and --env selection. Strings may still hold
   * `{{ address.field }}` references: resolve them with resolveReferences() once the referenced
   * resources are known.
   */
  props: Record<string, unknown>;
  /**
   * Where each prop's value (and nested path, `jobSpec.workerPoolSpecs[0].machineSpec`) was
   * written; the empty path '' is the resource's `props` list.
   */
  positions: Record<string, SourcePos>;
  /** Where each prop's or nested field's name was written (the prop's `name:`, a map key). */
  namePositions?: Record<string, SourcePos>;
  pos: SourcePos;
  /** The manifest file that declares the resource (pos.file, without computing positions). */
  file?: string;
  protected: boolean;
  ignoreChanges: string[];
  deletionPolicy: 'delete' | 'abandon';
  /** Explicit dependsOn plus every referenced address. */
  dependsOn: string[];
  refs: Reference[];
  /** Prop names marked `sensitive: true`: masked in every output. */
  sensitive: string[];
}

export interface Stack {
  version: 1;
  name: string;
  description?: string;
  env?: string;
  files: string[];
  resources: DesiredResource[];
}

export interface LoadOptions {
  env?: string;
  vars?: Record<string, string>;
  /** Defaults to process.env. */
  environment?: Record<string, string | undefined>;
}
