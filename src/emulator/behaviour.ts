import { randomUUID } from 'node:crypto';
import type { KindDef } from '../kinds/types.js';

/**
 * What the emulator needs to know about each kind beyond src/kinds: proto names for `@type`,
 * list field names, output fields the server fills in, nested server defaults, job state
 * sequences. Keyed by type id; everything else is read from the KindDef.
 */

export interface JobStates {
  /** States before the job ends, in order; each lasts one job phase. */
  phases: string[];
  running: string;
  succeeded: string;
  failed: string;
  /** For kinds with :cancel. */
  cancelling?: string;
  cancelled?: string;
  /** Output-only timestamps some job kinds carry. */
  startTimeField?: string;
  endTimeField?: string;
}

export interface KindBehaviour {
  /** Fully-qualified proto message, for `@type` in operation responses. */
  protoMessage: string;
  /** The create/update request's field that holds the body, as it appears in error messages. */
  requestField: string;
  /** Field of the list response that holds the items. */
  listField: string;
  /** The create call may leave out the client-chosen id; the server then picks a numeric one. */
  idOptional?: boolean;
  /** displayName must be unique among siblings (the API says so). */
  uniqueDisplayName?: boolean;
  /** A boolean that at most one resource per parent may have (the others are cleared). */
  exclusiveFlag?: string;
  /** Server defaults inside lists and messages: `a.b[].c` paths (kind.serverDefaults holds top-level ones). */
  nestedDefaults?: { path: string; value: unknown }[];
  /** Output fields the server sets at creation. */
  createdFields?: (id: string, name: string) => Record<string, unknown>;
  job?: JobStates;
  /** An output-only count of descendants of another kind (a tensorboard's runCount). */
  counts?: { kindType: string; field: string };
  /** Metadata `@type` of this kind's long-running operations, by verb. */
  operationMetadata?: Partial<Record<'create' | 'update' | 'delete', string>>;
  /** The batchCreate request message (schemas/api/). */
  batchRequestMessage?: string;
  /** `view` query parameter: fields the default (BASIC) view leaves out. */
  basicViewOmits?: string[];
  fullView?: string;
}

const AIP = 'google.cloud.aiplatform.v1';

const VERTEX_JOB: JobStates = {
  phases: ['JOB_STATE_QUEUED', 'JOB_STATE_PENDING', 'JOB_STATE_RUNNING'],
  running: 'JOB_STATE_RUNNING',
  succeeded: 'JOB_STATE_SUCCEEDED',
  failed: 'JOB_STATE_FAILED',
};

const BEHAVIOURS: Record<string, KindBehaviour> = {
  'google.aiplatform.tensorboards': {
    protoMessage: `${AIP}.Tensorboard`,
    requestField: 'tensorboard',
    listField: 'tensorboards',
    exclusiveFlag: 'isDefault',
    counts: { kindType: 'google.aiplatform.runs', field: 'runCount' },
    createdFields: () => ({ blobStoragePathPrefix: `cloud-ai-platform-${randomUUID()}` }),
    operationMetadata: {
      create: `${AIP}.CreateTensorboardOperationMetadata`,
      update: `${AIP}.UpdateTensorboardOperationMetadata`,
      delete: `${AIP}.DeleteOperationMetadata`,
    },
  },
  'google.aiplatform.experiments': {
    protoMessage: `${AIP}.TensorboardExperiment`,
    requestField: 'tensorboard_experiment',
    listField: 'tensorboardExperiments',
    operationMetadata: { delete: `${AIP}.DeleteOperationMetadata` },
  },
  'google.aiplatform.runs': {
    protoMessage: `${AIP}.TensorboardRun`,
    requestField: 'tensorboard_run',
    listField: 'tensorboardRuns',
    uniqueDisplayName: true,
    operationMetadata: { delete: `${AIP}.DeleteOperationMetadata` },
    batchRequestMessage: 'GoogleCloudAiplatformV1BatchCreateTensorboardRunsRequest',
  },
  'google.aiplatform.time_series': {
    protoMessage: `${AIP}.TensorboardTimeSeries`,
    requestField: 'tensorboard_time_series',
    listField: 'tensorboardTimeSeries',
    idOptional: true,
    uniqueDisplayName: true,
    operationMetadata: { delete: `${AIP}.DeleteOperationMetadata` },
    batchRequestMessage: 'GoogleCloudAiplatformV1BatchCreateTensorboardTimeSeriesRequest',
  },
  'google.aiplatform.custom_jobs': {
    protoMessage: `${AIP}.CustomJob`,
    requestField: 'custom_job',
    listField: 'customJobs',
    // DiskSpec: "bootDiskType ... default value is pd-ssd", "bootDiskSizeGb (default is 100GB)".
    nestedDefaults: [
      { path: 'jobSpec.workerPoolSpecs[].diskSpec.bootDiskType', value: 'pd-ssd' },
      { path: 'jobSpec.workerPoolSpecs[].diskSpec.bootDiskSizeGb', value: 100 },
    ],
    job: {
      ...VERTEX_JOB,
      cancelling: 'JOB_STATE_CANCELLING',
      cancelled: 'JOB_STATE_CANCELLED',
      startTimeField: 'startTime',
      endTimeField: 'endTime',
    },
    operationMetadata: { delete: `${AIP}.DeleteOperationMetadata` },
  },
  'google.aiplatform.notebook_execution_jobs': {
    protoMessage: `${AIP}.NotebookExecutionJob`,
    requestField: 'notebook_execution_job',
    listField: 'notebookExecutionJobs',
    idOptional: true,
    job: VERTEX_JOB,
    operationMetadata: {
      create: `${AIP}.CreateNotebookExecutionJobOperationMetadata`,
      delete: `${AIP}.DeleteOperationMetadata`,
    },
    // BASIC: "Includes all fields except for direct notebook inputs."
    basicViewOmits: ['directNotebookSource'],
    fullView: 'NOTEBOOK_EXECUTION_JOB_VIEW_FULL',
  },
  'google.notebooks.executions': {
    protoMessage: 'google.cloud.notebooks.v1.Execution',
    requestField: 'execution',
    listField: 'executions',
    // displayName is Output only: the service names the execution after its id.
    createdFields: (id) => ({ displayName: id, jobUri: `${Math.floor(1e18 + Math.random() * 8e18)}` }),
    job: {
      phases: ['QUEUED', 'PREPARING', 'RUNNING'],
      running: 'RUNNING',
      succeeded: 'SUCCEEDED',
      failed: 'FAILED',
    },
  },
};

export function behaviourOf(kind: KindDef): KindBehaviour {
  const b = BEHAVIOURS[kind.type];
  if (!b) throw new Error(`the emulator has no behaviour for ${kind.type}`);
  return b;
}

/** `google.cloud.aiplatform.v1.TensorboardRun` → `TensorboardRun`, for messages. */
export function shortName(b: KindBehaviour): string {
  return b.protoMessage.slice(b.protoMessage.lastIndexOf('.') + 1);
}

/** Sets `value` at every place `path` (`a.b[].c`) reaches, where nothing is set yet. */
export function applyNestedDefault(body: Record<string, unknown>, path: string, value: unknown): void {
  const segs = path.split('.');
  const visit = (cur: unknown, i: number): void => {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return;
    const obj = cur as Record<string, unknown>;
    const isList = segs[i].endsWith('[]');
    const key = isList ? segs[i].slice(0, -2) : segs[i];
    if (i === segs.length - 1) {
      if (obj[key] === undefined) obj[key] = value;
      return;
    }
    if (isList) {
      // Empty worker pools ("can be skipped by providing an empty value") stay empty.
      for (const item of (obj[key] as unknown[] | undefined) ?? []) {
        if (item && typeof item === 'object' && Object.keys(item).length > 0) visit(item, i + 1);
      }
      return;
    }
    if (obj[key] === undefined) obj[key] = {};
    visit(obj[key], i + 1);
  };
  visit(body, 0);
}
