import type { KindDef } from './types.js';

export const experiments: KindDef = {
  type: 'google.aiplatform.experiments',
  api: 'aiplatform',
  version: 'v1',
  schemaId: 'GoogleCloudAiplatformV1TensorboardExperiment',
  collection: 'experiments',
  parentProps: ['projectsId', 'locationsId', 'tensorboardsId'],
  parentCollections: ['projects', 'locations', 'tensorboards'],
  parentType: 'google.aiplatform.tensorboards',
  idProp: 'experimentsId',
  idChosenBy: 'client',
  createIdParam: 'tensorboardExperimentId',
  create: 'sync',
  patch: 'sync',
  delete: 'lro',
  updatable: ['displayName', 'description', 'labels'],
  immutable: ['source'],
  labelsPath: 'labels',
  updateMaskRequired: true,
  listIsComplete: true,
  listItemsField: 'tensorboardExperiments',
  virtualProps: [],
  // API: "1-128 characters, and valid characters are /[a-z][0-9]-/"
  idPattern: /^[a-z0-9][a-z0-9-]{0,127}$/,
  idRule: '1-128 characters of [a-z0-9-]',
};
