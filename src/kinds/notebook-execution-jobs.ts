import type { KindDef } from './types.js';

export const notebookExecutionJobs: KindDef = {
  type: 'google.aiplatform.notebook_execution_jobs',
  api: 'aiplatform',
  version: 'v1',
  schemaId: 'GoogleCloudAiplatformV1NotebookExecutionJob',
  collection: 'notebookExecutionJobs',
  parentProps: ['projectsId', 'locationsId'],
  parentCollections: ['projects', 'locations'],
  idProp: 'notebookExecutionJobsId',
  idChosenBy: 'client',
  createIdParam: 'notebookExecutionJobId',
  create: 'lro',
  patch: 'none',
  delete: 'lro',
  updatable: [],
  immutable: [],
  labelsPath: 'labels',
  updateMaskRequired: false,
  // list returns the BASIC view unless view=FULL is asked for; refresh asks for FULL.
  listIsComplete: true,
  listItemsField: 'notebookExecutionJobs',
  listQuery: { view: 'FULL' },
  virtualProps: [],
  job: {
    stateField: 'jobState',
    terminal: ['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED', 'JOB_STATE_EXPIRED', 'JOB_STATE_PARTIALLY_SUCCEEDED'],
    failed: ['JOB_STATE_FAILED', 'JOB_STATE_CANCELLED', 'JOB_STATE_EXPIRED'],
    cancellable: false,
    errorField: 'status',
  },
  // The API documents "default 86400s / 24 hrs".
  serverDefaults: { executionTimeout: '86400s' },
  idPattern: /^[a-z0-9][a-z0-9-]{0,62}$/,
  idRule: 'up to 63 characters of [a-z0-9-]',
};
