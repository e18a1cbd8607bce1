import type { KindDef } from './types.js';

export const tensorboards: KindDef = {
  type: 'google.aiplatform.tensorboards',
  api: 'aiplatform',
  version: 'v1',
  schemaId: 'GoogleCloudAiplatformV1Tensorboard',
  collection: 'tensorboards',
  parentProps: ['projectsId', 'locationsId'],
  parentCollections: ['projects', 'locations'],
  idProp: 'tensorboardsId',
  idChosenBy: 'server',
  create: 'lro',
  patch: 'lro',
  delete: 'lro',
  updatable: ['displayName', 'description', 'labels', 'isDefault'],
  immutable: ['encryptionSpec'],
  labelsPath: 'labels',
  updateMaskRequired: true,
  listIsComplete: true,
  listItemsField: 'tensorboards',
  virtualProps: [],
};
