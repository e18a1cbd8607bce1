/** A Plan is a plain value: printable, savable, reloadable, and applied exactly as written. */
export type Action = 'create' | 'update' | 'replace' | 'delete' | 'no-op';

export interface FieldChange {
  /** Dotted field path, e.g. `displayName`, `labels.team`, `jobSpec.workerPoolSpecs`. */
  path: string;
  before?: unknown;
  after?: unknown;
  /** True when `after` depends on a value known only after apply. */
  unknown?: boolean;
  /** True when the field is sensitive: before/after are masked in every rendering. */
  sensitive?: boolean;
  /** True when this field is what forces a replace. */
  forcesReplace?: boolean;
}

export interface Change {
  address: string;
  type: string;
  action: Action;
  /** Full resource name, or undefined while the id is server-chosen and not yet known. */
  name?: string;
  updateMask?: string[];
  reason?: string;
  fields?: FieldChange[];
}

export interface PlanSummary {
  create: number;
  update: number;
  replace: number;
  delete: number;
  'no-op': number;
}

/** The contract of `plan --json` (DESIGN.md). */
export interface PlanJson {
  formatVersion: 1;
  changes: Change[];
  summary: PlanSummary;
}

/** What the manifest wants for one address, as recorded in a plan (references kept where unknown). */
export interface DesiredRecord {
  props: Record<string, unknown>;
  dependsOn: string[];
  protected: boolean;
  ignoreChanges: string[];
  deletionPolicy: 'delete' | 'abandon';
  sensitive: string[];
}

/** One step of a plan: the public Change plus what the applier needs to carry it out. */
export interface PlannedStep extends Change {
  /** Absent for deletes. Strings may still hold `{{ address.field }}` references, resolved at apply time. */
  desired?: DesiredRecord;
  /** Addresses whose steps must finish first (creates/updates) or that must be deleted first (deletes). */
  after: string[];
  /** Whether the live resource is owned by a record in state (false: adopted by ownership labels or import). */
  inState: boolean;
}

/**
 * The full plan, as saved by `plan --out` and read by `apply PLANFILE`. Its `changes` are the
 * public PlanJson; `steps` carry the same changes with what apply needs.
 */
export interface Plan extends PlanJson {
  kind: 'vertexctl-plan';
  stack: string;
  env?: string;
  createdAt: string;
  /** The state the plan was made against; apply refuses when the state moved on. */
  state: { lineage: string | null; serial: number };
  /** Hash of each live resource read during refresh, by address; apply re-reads and compares. */
  fingerprints: Record<string, string>;
  steps: PlannedStep[];
  /** The manifest paths and options the plan was made from. */
  source: { paths: string[]; vars: Record<string, string> };
}
