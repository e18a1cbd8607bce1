import type { JobStatus } from '../kinds/job-status.js';
/** A Plan is a plain value: printable, savable, reloadable, and applied exactly as written. */
export const ACTIONS = ['create', 'update', 'replace', 'delete', 'record', 'adopt', 'no-op'] as const;
/**
 * What apply does at an address. `record`: only state changes (protected, deletionPolicy,
 * dependsOn, ignoreChanges); `adopt`: a live resource found by its id or our ownership labels is
 * taken into state as it is.
 */
export type Action = (typeof ACTIONS)[number];

/** How a replace runs: a new name lets the new resource exist before the old one goes. */
export type ReplaceOrder = 'create-first' | 'delete-first';

/** Stable codes beside the prose `reason` (docs/plan-json.md lists them). */
export const REASON_CODES = [
  'immutable_field',
  'data_not_appendable',
  'field_not_updatable',
  'kind_has_no_update',
  'replace_requested',
  'parent_replaced',
  'parent_changed',
  'id_changed',
  'parent_not_created',
  'missing_live',
  'removed_from_manifests',
  'already_gone',
  'deletion_policy_abandon',
  'deletes_children',
  'owned_orphan',
  'unfinished_replace',
  'options_changed',
  'found_by_id',
  'found_by_labels',
  'unfinished_create',
  'changed_outside',
  'deleted_outside',
  'labels_migrated',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

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
  /** For replace: which half goes first. */
  order?: ReplaceOrder;
  updateMask?: string[];
  reason?: string;
  reasonCode?: ReasonCode;
  fields?: FieldChange[];
  /** A live job's state and error, as refresh read them. */
  job?: JobStatus;
}

export interface PlanSummary {
  create: number;
  update: number;
  replace: number;
  delete: number;
  record: number;
  adopt: number;
  'no-op': number;
}

/** The contract of `plan --json` (DESIGN.md). */
export const PLAN_FORMAT_VERSION = 2;

/** `refresh-only`: the plan only accepts into state what changed outside vertexctl (`plan --refresh-only`). */
export type PlanMode = 'refresh-only';

export interface PlanJson {
  formatVersion: typeof PLAN_FORMAT_VERSION;
  /** Absent for ordinary plans. */
  mode?: PlanMode;
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
  /**
   * Addresses whose steps must finish first: what it depends on (creates, updates, adoptions),
   * or what lives under it (deletes). These are all the edges apply follows.
   */
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
  /** Where it goes, recorded by `plan --out` so `apply PLANFILE` needs no flags (never credentials). */
  target?: PlanTarget;
}

export interface PlanTarget {
  /** `--endpoint`: every API call goes there. */
  endpoint?: string;
  /** `--emulator`: the embedded emulator, with its data beside the state. */
  emulator?: true;
  /** `--state`: an absolute directory, or a URL without its password. */
  state: string;
}
