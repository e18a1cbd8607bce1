/**
 * The drift report: for each address of the manifests, whether the cloud still matches it, plus
 * the resources beside the stack that no stack owns. `vertexctl drift --format json` prints it
 * (docs/drift.md is the contract).
 */
export const DRIFT_FORMAT_VERSION = 1;

export const DRIFT_STATUSES = ['modified', 'missing', 'failed', 'unmanaged', 'in-sync'] as const;
export type DriftStatus = (typeof DRIFT_STATUSES)[number];

export interface FieldDrift {
  /** Field path as plan shows it: `displayName`, `labels.team`, `jobSpec.workerPoolSpecs[0].machineSpec`. */
  path: string;
  /** The manifest's value, normalised as plan compares it; null when the manifest no longer sets the field. */
  expected: unknown;
  /** The live value; null when the cloud does not have it. */
  actual: unknown;
  /** The prop is marked sensitive: both values are masked. */
  sensitive?: boolean;
}

export interface DriftResource {
  /** The manifest address; null for unmanaged resources. */
  address: string | null;
  type: string;
  /** Full resource name; null for a missing resource whose id the server would choose. */
  name: string | null;
  status: DriftStatus;
  /** The stack the address belongs to (and its environment); null for unmanaged resources. */
  stack: string | null;
  env?: string;
  /** Why, in words: what was found instead, a job's error, a resource never created. */
  reason?: string;
  fields?: FieldDrift[];
}

export type DriftSummary = Record<DriftStatus, number> & {
  /** Managed share of the live resources looked at, in percent (0–100, one decimal). */
  coverage: number;
};

export interface DriftReport {
  formatVersion: typeof DRIFT_FORMAT_VERSION;
  /** True when anything is modified, missing, failed or unmanaged. */
  drifted: boolean;
  resources: DriftResource[];
  summary: DriftSummary;
}
