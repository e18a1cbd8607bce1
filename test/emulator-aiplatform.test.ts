/**
 * The emulator driven by Google's generated client, @google-cloud/aiplatform (6.x), over its REST
 * transport (`fallback: true`: proto3 JSON over HTTP, `$alt=json;enum-encoding=int`, enums as
 * numbers, operations polled through the `/ui/` bindings): plain http to 127.0.0.1, no credentials.
 */
import aiplatform from '@google-cloud/aiplatform';
import { PassThroughClient } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';

const { TensorboardServiceClient, JobServiceClient, NotebookServiceClient } = aiplatform.v1;
// Proto enum numbers, as the REST transport sends them.
const ValueType = { SCALAR: 1, TENSOR: 2 } as const;
const View = { NOTEBOOK_EXECUTION_JOB_VIEW_BASIC: 1, NOTEBOOK_EXECUTION_JOB_VIEW_FULL: 2 } as const;
const SPOT = 4;

let emu: RunningEmulator;
let tb: InstanceType<typeof TensorboardServiceClient>;
let jobs: InstanceType<typeof JobServiceClient>;
let notebooks: InstanceType<typeof NotebookServiceClient>;
const loc = 'projects/gax-demo/locations/us-central1';

beforeAll(async () => {
  emu = await startEmulator({ port: 0, operationDelayMs: 5, jobPhaseMs: 20 });
  // What a user of the emulator writes: REST transport, the emulator's host and port, plain http, no credentials.
  const opts = { apiEndpoint: '127.0.0.1', port: emu.port, protocol: 'http', fallback: true, authClient: new PassThroughClient() as never };
  // (`as never`: gax bundles its own copy of google-auth-library; the client is the same at runtime)
  tb = new TensorboardServiceClient(opts);
  jobs = new JobServiceClient(opts);
  notebooks = new NotebookServiceClient(opts);
});

afterAll(async () => {
  await Promise.all([tb.close(), jobs.close(), notebooks.close()]);
  await emu.close();
});

/**
 * How a failed call reaches the caller: over REST, gax passes on the HTTP failure (a GaxiosError
 * whose code is the HTTP status and whose message is Google's JSON error body).
 */
async function apiError(call: Promise<unknown>): Promise<{ http: number; status: string; message: string }> {
  try {
    await call;
  } catch (err) {
    const e = err as { code?: number; message: string };
    const body = JSON.parse(e.message) as { error: { code: number; status: string; message: string } };
    expect(e.code).toBe(body.error.code);
    return { http: body.error.code, status: body.error.status, message: body.error.message };
  }
  throw new Error('the call succeeded');
}

async function newTensorboard(displayName: string): Promise<string> {
  const [op] = await tb.createTensorboard({ parent: loc, tensorboard: { displayName } });
  const [created] = await op.promise();
  return created.name!;
}

describe('@google-cloud/aiplatform over REST: tensorboards', () => {
  it('create (LRO), get, list with paging, update with a mask (LRO), delete (LRO), NOT_FOUND', async () => {
    const [op] = await tb.createTensorboard({ parent: loc, tensorboard: { displayName: 'gax tb', labels: { team: 'vision' } } });
    expect(op.name).toMatch(/\/tensorboards\/\d+\/operations\/\d+$/);
    const [created] = await op.promise();
    expect(created.displayName).toBe('gax tb');
    expect(created.labels).toEqual({ team: 'vision' });
    expect(Number(created.createTime!.seconds)).toBeGreaterThan(1.6e9);

    const [got] = await tb.getTensorboard({ name: created.name! });
    expect(got.etag).toBe(created.etag);

    for (let i = 0; i < 4; i++) await newTensorboard(`gax page ${i}`);
    const [page1, next, raw] = await tb.listTensorboards({ parent: loc, pageSize: 2 }, { autoPaginate: false });
    expect(page1).toHaveLength(2);
    expect(raw?.nextPageToken).toBeTruthy();
    const [page2] = await tb.listTensorboards(next!, { autoPaginate: false });
    expect(page2.map((t) => t.name)).not.toContain(page1[0].name);
    const all: string[] = [];
    for await (const t of tb.listTensorboardsAsync({ parent: loc, pageSize: 2 })) all.push(t.name!);
    expect(all).toHaveLength(5);
    expect(new Set(all).size).toBe(5);

    const [updateOp] = await tb.updateTensorboard({ tensorboard: { name: created.name, displayName: 'renamed', description: 'not in the mask' }, updateMask: { paths: ['display_name'] } });
    const [updated] = await updateOp.promise();
    expect(updated.displayName).toBe('renamed');
    expect(updated.description).toBeFalsy();

    // The operation client, through /ui/ bindings: get, list, and a progress check by name.
    const [opNow] = await tb.getOperation({ name: updateOp.name! } as never);
    expect(opNow.done).toBe(true);
    const ops: string[] = [];
    for await (const o of tb.listOperationsAsync({ name: loc, pageSize: 2 } as never)) ops.push(o.name!);
    expect(ops).toContain(updateOp.name);
    const progress = await tb.checkUpdateTensorboardProgress(updateOp.name!);
    expect(progress.done).toBe(true);

    const [deleteOp] = await tb.deleteTensorboard({ name: created.name! });
    await deleteOp.promise();
    expect((await apiError(tb.getTensorboard({ name: created.name! }))).status).toBe('NOT_FOUND');
  });

  it('rejects a bad update mask and an unknown field, naming them', async () => {
    const name = await newTensorboard('gax bad mask');
    const bad = await apiError(tb.updateTensorboard({ tensorboard: { name, displayName: 'x' }, updateMask: { paths: ['run_count'] } }));
    expect(bad.status).toBe('INVALID_ARGUMENT');
    expect(bad.message).toContain('run_count');
  });

  it('operations: cancel a pending create, delete an operation', async () => {
    emu.configure({ operationDelayMs: 60_000 });
    try {
      const [op] = await tb.createTensorboard({ parent: loc, tensorboard: { displayName: 'never made' } });
      await tb.cancelOperation({ name: op.name! } as never);
      const [cancelled] = await tb.getOperation({ name: op.name! } as never);
      expect(cancelled.done).toBe(true);
      expect(cancelled.error?.code).toBe(1);
      await tb.deleteOperation({ name: op.name! } as never);
      expect((await apiError(tb.getOperation({ name: op.name! } as never))).status).toBe('NOT_FOUND');
    } finally {
      emu.configure({ operationDelayMs: 5 });
    }
  });
});

describe('@google-cloud/aiplatform over REST: experiments, runs, time series, data', () => {
  it('create, batch create, list, update with mask, write and read data with numeric enums, export, delete', async () => {
    const board = await newTensorboard('gax data');
    const [exp] = await tb.createTensorboardExperiment({ parent: board, tensorboardExperimentId: 'exp-1', tensorboardExperiment: { displayName: 'E' } });
    expect(exp.name).toBe(`${board}/experiments/exp-1`);
    expect((await apiError(tb.createTensorboardExperiment({ parent: board, tensorboardExperimentId: 'exp-1', tensorboardExperiment: {} }))).status).toBe('ALREADY_EXISTS');
    const [updatedExp] = await tb.updateTensorboardExperiment({ tensorboardExperiment: { name: exp.name, description: 'd' }, updateMask: { paths: ['description'] } });
    expect(updatedExp.description).toBe('d');

    const [run] = await tb.createTensorboardRun({ parent: exp.name!, tensorboardRunId: 'run-1', tensorboardRun: { displayName: 'run 1' } });
    const [batch] = await tb.batchCreateTensorboardRuns({
      parent: exp.name!,
      requests: [2, 3, 4].map((i) => ({ parent: exp.name!, tensorboardRunId: `run-${i}`, tensorboardRun: { displayName: `run ${i}` } })),
    });
    expect(batch.tensorboardRuns).toHaveLength(3);
    const [runs] = await tb.listTensorboardRuns({ parent: exp.name!, orderBy: 'display_name desc' });
    expect(runs.map((r) => r.displayName)).toEqual(['run 4', 'run 3', 'run 2', 'run 1']);
    const [renamed] = await tb.updateTensorboardRun({ tensorboardRun: { name: run.name, displayName: 'first run' }, updateMask: { paths: ['display_name'] } });
    expect(renamed.displayName).toBe('first run');

    // The client sends valueType as a number (1) and gets it back as one under enum-encoding=int.
    const [series] = await tb.createTensorboardTimeSeries({
      parent: run.name!,
      tensorboardTimeSeriesId: 'loss',
      tensorboardTimeSeries: { displayName: 'loss', valueType: ValueType.SCALAR },
    });
    expect(series.valueType).toBe('SCALAR');
    const [more] = await tb.batchCreateTensorboardTimeSeries({
      parent: exp.name!,
      requests: [{ parent: run.name!, tensorboardTimeSeriesId: 'text', tensorboardTimeSeries: { displayName: 'text', valueType: ValueType.TENSOR } }],
    });
    expect(more.tensorboardTimeSeries?.[0].valueType).toBe('TENSOR');

    await tb.writeTensorboardRunData({
      tensorboardRun: run.name!,
      timeSeriesData: [
        {
          tensorboardTimeSeriesId: 'loss',
          valueType: ValueType.SCALAR,
          values: [1, 2, 3].map((step) => ({ step, scalar: { value: 1 / step } })),
        },
      ],
    });
    await tb.writeTensorboardExperimentData({
      tensorboardExperiment: exp.name!,
      writeRunDataRequests: [
        { tensorboardRun: run.name!, timeSeriesData: [{ tensorboardTimeSeriesId: 'loss', valueType: ValueType.SCALAR, values: [{ step: 4, scalar: { value: 0.2 } }] }] },
      ],
    });
    const [read] = await tb.readTensorboardTimeSeriesData({ tensorboardTimeSeries: series.name! });
    expect(read.timeSeriesData?.valueType).toBe('SCALAR');
    expect(read.timeSeriesData?.values?.map((v) => Number(v.step))).toEqual([1, 2, 3, 4]);
    expect(read.timeSeriesData?.values?.[3].scalar?.value).toBeCloseTo(0.2);
    const exported: number[] = [];
    for await (const p of tb.exportTensorboardTimeSeriesDataAsync({ tensorboardTimeSeries: series.name!, pageSize: 3 })) exported.push(Number(p.step));
    expect(exported).toEqual([1, 2, 3, 4]);

    // readUsage counts the data reads (one read, one export of two pages) per month; readSize the stored bytes.
    const [usage] = await tb.readTensorboardUsage({ tensorboard: board });
    const months = Object.values(usage.monthlyUsageData ?? {});
    expect(months).toHaveLength(1);
    expect(Number(months[0].userUsageData?.[0].viewCount)).toBe(3);
    const [size] = await tb.readTensorboardSize({ tensorboard: board });
    expect(Number(size.storageSizeByte)).toBeGreaterThan(4 * 20);
    const [emptySize] = await tb.readTensorboardSize({ tensorboard: await newTensorboard('gax empty') });
    expect(Number(emptySize.storageSizeByte ?? 0)).toBe(0);

    // A wrong value type is an error naming the series.
    const wrong = await apiError(
      tb.writeTensorboardRunData({ tensorboardRun: run.name!, timeSeriesData: [{ tensorboardTimeSeriesId: 'loss', valueType: ValueType.TENSOR, values: [{ step: 9, tensor: { value: Buffer.from('x') } }] }] }),
    );
    expect(wrong.status).toBe('INVALID_ARGUMENT');

    const [delSeries] = await tb.deleteTensorboardTimeSeries({ name: series.name! });
    await delSeries.promise();
    const [delRun] = await tb.deleteTensorboardRun({ name: run.name! });
    await delRun.promise();
    const [delExp] = await tb.deleteTensorboardExperiment({ name: exp.name! });
    await delExp.promise();
    expect((await apiError(tb.getTensorboardRun({ name: `${exp.name}/runs/run-2` }))).status).toBe('NOT_FOUND');
  });
});

describe('@google-cloud/aiplatform over REST: jobs', () => {
  it('custom jobs: create, get, list with a filter, states as numbers, cancel, delete (LRO)', async () => {
    const customJob = {
      displayName: 'gax train',
      jobSpec: { workerPoolSpecs: [{ machineSpec: { machineType: 'n1-standard-4' }, replicaCount: 1, containerSpec: { imageUri: 'gcr.io/x/y' } }], scheduling: { strategy: SPOT } },
    };
    const [job] = await jobs.createCustomJob({ parent: loc, customJob });
    expect(job.state).toBe('JOB_STATE_QUEUED');
    // Scheduling.Strategy is numbered out of order in the proto (SPOT = 4, FLEX_START = 6): the emulator uses proto numbers.
    expect(job.jobSpec?.scheduling?.strategy).toBe('SPOT');
    let state: unknown;
    for (let i = 0; i < 200 && state !== 'JOB_STATE_SUCCEEDED'; i++) {
      state = (await jobs.getCustomJob({ name: job.name! }))[0].state;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(state).toBe('JOB_STATE_SUCCEEDED');
    const [listed] = await jobs.listCustomJobs({ parent: loc, filter: 'state="JOB_STATE_SUCCEEDED" AND display_name:"gax*"' });
    expect(listed.map((j) => j.name)).toContain(job.name);
    const [none] = await jobs.listCustomJobs({ parent: loc, filter: 'state!="JOB_STATE_SUCCEEDED" AND display_name="gax train"' });
    expect(none).toHaveLength(0);
    const unsupported = await apiError(jobs.listCustomJobs({ parent: loc, filter: 'service_account="x"' }));
    expect(unsupported.status).toBe('INVALID_ARGUMENT');
    expect(unsupported.message).toContain('display_name, state, create_time, labels');

    emu.configure({ jobPhaseMs: 60_000 });
    try {
      const [slow] = await jobs.createCustomJob({ parent: loc, customJob: { ...customJob, displayName: 'gax slow' } });
      expect((await apiError(jobs.deleteCustomJob({ name: slow.name! }))).status).toBe('FAILED_PRECONDITION');
      await jobs.cancelCustomJob({ name: slow.name! });
      expect((await jobs.getCustomJob({ name: slow.name! }))[0].state).toBe('JOB_STATE_CANCELLING');
    } finally {
      emu.configure({ jobPhaseMs: 20 });
    }
    const [del] = await jobs.deleteCustomJob({ name: job.name! });
    await del.promise();
    expect((await apiError(jobs.getCustomJob({ name: job.name! }))).status).toBe('NOT_FOUND');
  });

  it('notebook execution jobs: create (LRO), BASIC and FULL views as numbers, filter by id, delete', async () => {
    const job = {
      displayName: 'gax nb',
      directNotebookSource: { content: Buffer.from('{"cells": []}') },
      gcsOutputUri: 'gs://bucket/out',
      executionUser: 'someone@example.com',
      customEnvironmentSpec: { machineSpec: { machineType: 'n1-standard-4' } },
    };
    const [op] = await notebooks.createNotebookExecutionJob({ parent: loc, notebookExecutionJobId: 'gax-nb-1', notebookExecutionJob: job });
    const [created] = await op.promise();
    expect(created.name).toBe(`projects/${emu.projectNumber('gax-demo')}/locations/us-central1/notebookExecutionJobs/gax-nb-1`);
    const [other] = await notebooks.createNotebookExecutionJob({ parent: loc, notebookExecutionJobId: 'gax-nb-2', notebookExecutionJob: { ...job, displayName: 'gax nb 2' } });
    await other.promise();

    const [basic] = await notebooks.getNotebookExecutionJob({ name: created.name!, view: View.NOTEBOOK_EXECUTION_JOB_VIEW_BASIC });
    expect(basic.directNotebookSource).toBeFalsy();
    const [full] = await notebooks.getNotebookExecutionJob({ name: created.name!, view: View.NOTEBOOK_EXECUTION_JOB_VIEW_FULL });
    expect(Buffer.from(full.directNotebookSource!.content as Uint8Array).toString()).toBe('{"cells": []}');
    const [fullList] = await notebooks.listNotebookExecutionJobs({ parent: loc, view: View.NOTEBOOK_EXECUTION_JOB_VIEW_FULL });
    expect(fullList.every((j) => j.directNotebookSource)).toBe(true);

    const [byId] = await notebooks.listNotebookExecutionJobs({ parent: loc, filter: 'notebookExecutionJob="gax-nb-1"' });
    expect(byId.map((j) => j.name)).toEqual([created.name]);
    const [byName] = await notebooks.listNotebookExecutionJobs({ parent: loc, filter: 'displayName=~"^gax nb [0-9]$"' });
    expect(byName.map((j) => j.displayName)).toEqual(['gax nb 2']);
    const [ordered] = await notebooks.listNotebookExecutionJobs({ parent: loc, orderBy: 'display_name desc' });
    expect(ordered.map((j) => j.displayName)).toEqual(['gax nb 2', 'gax nb']);

    const [del] = await notebooks.deleteNotebookExecutionJob({ name: created.name! });
    await del.promise();
    expect((await apiError(notebooks.getNotebookExecutionJob({ name: created.name! }))).status).toBe('NOT_FOUND');
  });
});
