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
  // `dataPoints`: metric points, a list of TimeSeriesDataPoint objects or a data file (CSV, JSON
  // Lines, TensorBoard event files), written with experiments:write (time-series-data.ts).
  // `replaceOnDataRemoval`: recreate the series when live points are no longer in dataPoints,
  // since the API cannot delete single points. Neither is a field of the API body.
  virtualProps: ['dataPoints', 'replaceOnDataRemoval'],
  virtualPropSchemas: {
    dataPoints: { listOf: 'GoogleCloudAiplatformV1TimeSeriesDataPoint', orSource: true },
    replaceOnDataRemoval: { schema: { type: 'boolean' } },
  },
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
