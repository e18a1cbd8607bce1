import type { KindDef } from './types.js';

export const customJobs: KindDef = {
  type: 'google.aiplatform.custom_jobs',
  api: 'aiplatform',
  version: 'v1',
  schemaId: 'GoogleCloudAiplatformV1CustomJob',
  collection: 'customJobs',
  parentProps: ['projectsId', 'locationsId'],
  parentCollections: ['projects', 'locations'],
  idProp: 'customJobsId',
  idChosenBy: 'server',
  create: 'sync',
  patch: 'none',
  delete: 'lro',
  updatable: [],
  immutable: [],
  labelsPath: 'labels',
  updateMaskRequired: false,
  listIsComplete: true,
  virtualProps: [],
  job: {
    stateField: 'state',
    terminal: ['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED', 'JOB_STATE_EXPIRED', 'JOB_STATE_PARTIALLY_SUCCEEDED'],
    failed: ['JOB_STATE_FAILED', 'JOB_STATE_CANCELLED', 'JOB_STATE_EXPIRED'],
    cancellable: true,
    errorField: 'error',
  },
};
