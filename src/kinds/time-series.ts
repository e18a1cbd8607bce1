import type { KindDef } from './types.js';

export const timeSeries: KindDef = {
  type: 'google.aiplatform.time_series',
  api: 'aiplatform',
  version: 'v1',
  schemaId: 'GoogleCloudAiplatformV1TensorboardTimeSeries',
  collection: 'timeSeries',
  parentProps: ['projectsId', 'locationsId', 'tensorboardsId', 'experimentsId', 'runsId'],
  parentCollections: ['projects', 'locations', 'tensorboards', 'experiments', 'runs'],
  parentType: 'google.aiplatform.runs',
  idProp: 'timeSeriesId',
  idChosenBy: 'client',
  createIdParam: 'tensorboardTimeSeriesId',
  create: 'sync',
  patch: 'sync',
  delete: 'lro',
  updatable: ['displayName', 'description', 'pluginData'],
  immutable: ['valueType', 'pluginName'],
  updateMaskRequired: true,
  listIsComplete: true,
  listItemsField: 'tensorboardTimeSeries',
  // `dataPoints`: metric points (TimeSeriesDataPoint objects) that the applier writes with
  // experiments:write / runs:write, up to 5000 per call. Not a field of the API body.
  virtualProps: ['dataPoints'],
  virtualPropSchemas: { dataPoints: { listOf: 'GoogleCloudAiplatformV1TimeSeriesDataPoint' } },
  batchCreate: {
    // experiments:batchCreate takes time series of any run of the experiment.
    pathSuffix: ':batchCreate',
    parentLevel: 1,
    requestsField: 'requests',
    itemIdField: 'tensorboardTimeSeriesId',
    itemBodyField: 'tensorboardTimeSeries',
    responseField: 'tensorboardTimeSeries',
    max: 1000,
  },
  // API: "must be unique among all TensorboardTimeSeries; 1-128 characters of [a-z0-9-]"
  idPattern: /^[a-z0-9][a-z0-9-]{0,127}$/,
  idRule: '1-128 characters of [a-z0-9-]',
};
