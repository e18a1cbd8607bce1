/**
 * Fidelity of the emulator, checked with code nobody here wrote: Google's official Node client
 * (googleapis: aiplatform v1 and notebooks v1) pointed at the emulator's URL, without auth.
 */
import { aiplatform, type aiplatform_v1 } from 'googleapis/build/src/apis/aiplatform/index.js';
import { notebooks, type notebooks_v1 } from 'googleapis/build/src/apis/notebooks/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';

let emu: RunningEmulator;
let ai: aiplatform_v1.Aiplatform;
let nb: notebooks_v1.Notebooks;
const loc = 'projects/demo/locations/us-central1';

type Op = aiplatform_v1.Schema$GoogleLongrunningOperation;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, operationDelayMs: 5, jobPhaseMs: 20 });
  ai = aiplatform({ version: 'v1', rootUrl: emu.url });
  nb = notebooks({ version: 'v1', rootUrl: emu.url });
});

afterAll(async () => {
  await emu.close();
});

/** The Google error a call failed with: HTTP status and `error.status`. */
async function apiError(call: Promise<unknown>): Promise<{ code: number; status: string; message: string }> {
  try {
    await call;
  } catch (err) {
    const data = (err as { response?: { data?: { error?: { code: number; status: string; message: string } } } }).response?.data;
    if (data?.error) return data.error;
    throw err;
  }
  throw new Error('the call succeeded');
}

/** Waits for an aiplatform operation with the client's operations.wait (a long poll). */
async function waitOp(op: Op): Promise<Op> {
  let current = op;
  for (let i = 0; i < 50 && !current.done; i++) {
    current = (await ai.projects.locations.operations.wait({ name: current.name!, timeout: '5s' })).data;
  }
  expect(current.done).toBe(true);
  return current;
}

/** Polls until the job reaches one of the given states (the job clock runs on its own). */
async function pollJob<T>(get: () => Promise<T>, state: (x: T) => string | null | undefined, until: string[]): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const x = await get();
    if (until.includes(state(x) ?? '')) return x;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never reached ${until.join('/')}`);
}

async function newTensorboard(displayName: string): Promise<string> {
  const op = await ai.projects.locations.tensorboards.create({ parent: loc, requestBody: { displayName } });
  const done = await waitOp(op.data);
  return (done.response as { name: string }).name;
}

describe('tensorboards', () => {
  it('create (LRO with numeric id), get, list, patch (LRO), stale etag, delete', async () => {
    const tbs = ai.projects.locations.tensorboards;
    const op = (await tbs.create({ parent: loc, requestBody: { displayName: 'tb one', labels: { team: 'vision' }, runCount: 99 } })).data;
    // Google answers with the project's number, whichever spelling the request used.
    const numbered = `projects/${emu.projectNumber('demo')}/locations/us-central1`;
    expect(op.name).toMatch(new RegExp(`^${numbered}/tensorboards/\\d+/operations/\\d+$`));
    expect(op.done).toBeUndefined();
    expect((op.metadata as Record<string, unknown>)['@type']).toBe('type.googleapis.com/google.cloud.aiplatform.v1.CreateTensorboardOperationMetadata');
    const done = await waitOp(op);
    const created = done.response as aiplatform_v1.Schema$GoogleCloudAiplatformV1Tensorboard & { '@type': string };
    expect(created['@type']).toBe('type.googleapis.com/google.cloud.aiplatform.v1.Tensorboard');
    expect(created.name).toMatch(new RegExp(`^${numbered}/tensorboards/\\d{15,}$`));
    // Output-only input is ignored.
    expect(created.runCount).toBeUndefined();

    // The operation is also reachable by GET through the client.
    const again = (await tbs.operations.get({ name: op.name! })).data;
    expect(again.done).toBe(true);

    const got = (await tbs.get({ name: created.name! })).data;
    expect(got).toMatchObject({ displayName: 'tb one', labels: { team: 'vision' } });
    expect(got.createTime).toMatch(/Z$/);
    expect(got.etag).toBeTruthy();
    expect(got.blobStoragePathPrefix).toMatch(/^cloud-ai-platform-/);

    const listed = (await tbs.list({ parent: loc, filter: 'labels.team="vision"' })).data;
    expect(listed.tensorboards?.map((t) => t.name)).toContain(created.name);
    expect((await tbs.list({ parent: loc, filter: 'labels.team="nobody"' })).data.tensorboards).toBeUndefined();

    const patchOp = (await tbs.patch({ name: created.name!, updateMask: 'display_name,description', requestBody: { displayName: 'tb renamed', description: 'd', etag: got.etag } })).data;
    const patched = (await waitOp(patchOp)).response as aiplatform_v1.Schema$GoogleCloudAiplatformV1Tensorboard;
    expect(patched).toMatchObject({ displayName: 'tb renamed', description: 'd' });
    expect(patched.etag).not.toBe(got.etag);

    const stale = await apiError(tbs.patch({ name: created.name!, updateMask: 'displayName', requestBody: { displayName: 'x', etag: got.etag } }));
    expect(stale).toMatchObject({ code: 409, status: 'ABORTED' });
    const immutable = await apiError(tbs.patch({ name: created.name!, updateMask: 'encryptionSpec', requestBody: {} }));
    expect(immutable).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });

    const delOp = (await tbs.delete({ name: created.name! })).data;
    expect((delOp.metadata as Record<string, unknown>)['@type']).toBe('type.googleapis.com/google.cloud.aiplatform.v1.DeleteOperationMetadata');
    await waitOp(delOp);
    expect(await apiError(tbs.get({ name: created.name! }))).toMatchObject({ code: 404, status: 'NOT_FOUND' });
  });

  it('isDefault moves from one tensorboard to another', async () => {
    const tbs = ai.projects.locations.tensorboards;
    const parent = 'projects/demo/locations/europe-west4';
    const a = (await waitOp((await tbs.create({ parent, requestBody: { displayName: 'a', isDefault: true } })).data)).response as { name: string };
    const b = (await waitOp((await tbs.create({ parent, requestBody: { displayName: 'b', isDefault: true } })).data)).response as { name: string };
    expect((await tbs.get({ name: b.name })).data.isDefault).toBe(true);
    // proto3 JSON leaves out false.
    expect((await tbs.get({ name: a.name })).data.isDefault).toBeUndefined();
  });

  it('rejects unknown fields, missing required fields and a body of the wrong type, naming the field', async () => {
    const tbs = ai.projects.locations.tensorboards;
    const unknown = await apiError(tbs.create({ parent: loc, requestBody: { displayNme: 'x' } as object }));
    expect(unknown).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect(unknown.message).toBe(`Invalid JSON payload received. Unknown name "displayNme" at 'tensorboard': Cannot find field.`);
    const missing = await apiError(tbs.create({ parent: loc, requestBody: { description: 'no name' } }));
    expect(missing.message).toContain('tensorboard.display_name');
    const wrongType = await apiError(tbs.create({ parent: loc, requestBody: { displayName: 'x', labels: 'a=b' } as object }));
    expect(wrongType.message).toContain("'tensorboard.labels'");
    const badLabel = await apiError(tbs.create({ parent: loc, requestBody: { displayName: 'x', labels: { Team: 'a' } } }));
    expect(badLabel).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect(badLabel.message).toContain('Invalid label key "Team"');
  });
});

describe('experiments, runs, time series and their data', () => {
  let tb: string;
  let exp: string;
  beforeAll(async () => {
    tb = await newTensorboard('data');
    const e = await ai.projects.locations.tensorboards.experiments.create({
      parent: tb,
      tensorboardExperimentId: 'baseline',
      requestBody: { displayName: 'Baseline', source: 'vertexctl', labels: { tier: 'dev' } },
    });
    exp = e.data.name!;
  });

  it('experiments: client id rules, duplicates, get, list, patch, delete', async () => {
    const exps = ai.projects.locations.tensorboards.experiments;
    expect(exp).toBe(`${tb}/experiments/baseline`);
    expect(await apiError(exps.create({ parent: tb, tensorboardExperimentId: 'baseline', requestBody: {} }))).toMatchObject({ code: 409, status: 'ALREADY_EXISTS' });
    expect(await apiError(exps.create({ parent: tb, tensorboardExperimentId: 'Not_Valid', requestBody: {} }))).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect(await apiError(exps.create({ parent: `${loc}/tensorboards/404`, tensorboardExperimentId: 'x', requestBody: {} }))).toMatchObject({ code: 404 });
    const other = (await exps.create({ parent: tb, tensorboardExperimentId: 'other', requestBody: {} })).data;
    expect((await exps.list({ parent: tb })).data.tensorboardExperiments?.map((e) => e.name)).toEqual([exp, other.name]);
    const patched = (await exps.patch({ name: other.name!, updateMask: 'labels', requestBody: { labels: { a: 'b' } } })).data;
    expect(patched.labels).toEqual({ a: 'b' });
    expect(await apiError(exps.patch({ name: other.name!, updateMask: 'source', requestBody: { source: 'x' } }))).toMatchObject({ code: 400 });
    expect(await apiError(exps.patch({ name: other.name!, requestBody: { displayName: 'x' } }))).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    await waitOp((await exps.delete({ name: other.name! })).data);
    expect(await apiError(exps.get({ name: other.name! }))).toMatchObject({ status: 'NOT_FOUND' });
  });

  it('runs: batchCreate 120, list across pages, runCount, patch needs an update mask', async () => {
    const runs = ai.projects.locations.tensorboards.experiments.runs;
    const requests = Array.from({ length: 120 }, (_, i) => ({
      parent: exp,
      tensorboardRunId: `run-${String(i).padStart(3, '0')}`,
      tensorboardRun: { displayName: `run ${i}` },
    }));
    const batch = (await runs.batchCreate({ parent: exp, requestBody: { requests } })).data;
    expect(batch.tensorboardRuns).toHaveLength(120);

    const seen: string[] = [];
    const sizes: number[] = [];
    let pageToken: string | undefined;
    do {
      const page = (await runs.list({ parent: exp, pageSize: 50, pageToken })).data;
      sizes.push(page.tensorboardRuns?.length ?? 0);
      seen.push(...(page.tensorboardRuns ?? []).map((r) => r.name!));
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken);
    expect(sizes).toEqual([50, 50, 20]);
    expect(seen).toEqual(requests.map((r) => `${exp}/runs/${r.tensorboardRunId}`));
    // Default page size is 50.
    expect((await runs.list({ parent: exp })).data.tensorboardRuns).toHaveLength(50);
    expect(await apiError(runs.list({ parent: exp, pageToken: 'garbage' }))).toMatchObject({ code: 400 });

    expect((await ai.projects.locations.tensorboards.get({ name: tb })).data.runCount).toBe(120);
    const dup = await apiError(runs.create({ parent: exp, tensorboardRunId: 'another', requestBody: { displayName: 'run 0' } }));
    expect(dup).toMatchObject({ status: 'ALREADY_EXISTS' });

    const name = `${exp}/runs/run-000`;
    expect(await apiError(runs.patch({ name, requestBody: { displayName: 'renamed' } }))).toMatchObject({ status: 'INVALID_ARGUMENT' });
    const patched = (await runs.patch({ name, updateMask: 'displayName', requestBody: { displayName: 'renamed', description: 'ignored, not in mask' } })).data;
    expect(patched.displayName).toBe('renamed');
    expect(patched.description).toBeUndefined();
    expect((await runs.list({ parent: exp, filter: 'display_name="renamed"' })).data.tensorboardRuns?.map((r) => r.name)).toEqual([name]);

    await waitOp((await runs.delete({ name: `${exp}/runs/run-119` })).data);
    expect((await ai.projects.locations.tensorboards.get({ name: tb })).data.runCount).toBe(119);
  });

  it('time series: create, batchCreate, write, overwrite a step, read, export across pages, limits', async () => {
    const runs = ai.projects.locations.tensorboards.experiments.runs;
    const ts = runs.timeSeries;
    const run = `${exp}/runs/run-001`;
    const loss = (await ts.create({ parent: run, tensorboardTimeSeriesId: 'loss', requestBody: { displayName: 'loss', valueType: 'SCALAR', pluginName: 'scalars' } })).data;
    expect(loss.name).toBe(`${run}/timeSeries/loss`);
    const batch = (await ai.projects.locations.tensorboards.experiments.batchCreate({
      parent: exp,
      requestBody: { requests: [{ parent: `${exp}/runs/run-002`, tensorboardTimeSeriesId: 'acc', tensorboardTimeSeries: { displayName: 'acc', valueType: 'SCALAR' } }] },
    })).data;
    expect(batch.tensorboardTimeSeries?.[0].name).toBe(`${exp}/runs/run-002/timeSeries/acc`);
    expect(await apiError(ts.create({ parent: run, tensorboardTimeSeriesId: 'loss2', requestBody: { displayName: 'loss' } }))).toMatchObject({ status: 'INVALID_ARGUMENT' });

    const values = Array.from({ length: 2500 }, (_, step) => ({ step: String(step), wallTime: '2024-05-01T00:00:00Z', scalar: { value: step / 10 } }));
    await runs.write({ tensorboardRun: run, requestBody: { timeSeriesData: [{ tensorboardTimeSeriesId: 'loss', valueType: 'SCALAR', values }] } });
    await ai.projects.locations.tensorboards.experiments.write({
      tensorboardExperiment: exp,
      requestBody: {
        writeRunDataRequests: [
          { tensorboardRun: run, timeSeriesData: [{ tensorboardTimeSeriesId: 'loss', valueType: 'SCALAR', values: [{ step: '7', scalar: { value: 42 } }] }] },
        ],
      },
    });
    const tooMany = Array.from({ length: 5001 }, (_, step) => ({ step: String(step), scalar: { value: 1 } }));
    const limit = await apiError(runs.write({ tensorboardRun: run, requestBody: { timeSeriesData: [{ tensorboardTimeSeriesId: 'loss', valueType: 'SCALAR', values: tooMany }] } }));
    expect(limit).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    const wrongType = await apiError(runs.write({ tensorboardRun: run, requestBody: { timeSeriesData: [{ tensorboardTimeSeriesId: 'loss', valueType: 'TENSOR', values: [] }] } }));
    expect(wrongType.status).toBe('INVALID_ARGUMENT');

    const all = (await ts.read({ tensorboardTimeSeries: loss.name!, maxDataPoints: -1 })).data.timeSeriesData!;
    expect(all.values).toHaveLength(2500);
    expect(all.values?.[7].scalar?.value).toBe(42);
    const sampled = (await ts.read({ tensorboardTimeSeries: loss.name! })).data.timeSeriesData!;
    expect(sampled.values).toHaveLength(1000);
    expect(sampled.values?.[999].step).toBe('2499');
    expect((await ts.get({ name: loss.name! })).data.metadata?.maxStep).toBe('2499');

    const exported: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = (await ts.exportTensorboardTimeSeries({ tensorboardTimeSeries: loss.name!, requestBody: { pageSize: 1000, pageToken, orderBy: 'step desc' } })).data;
      exported.push(...(page.timeSeriesDataPoints ?? []).map((p) => p.step ?? '0'));
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken);
    expect(exported).toHaveLength(2500);
    expect(exported[0]).toBe('2499');
  });

  it('deleting a tensorboard deletes its experiments, runs and time series', async () => {
    const doomed = await newTensorboard('doomed');
    const exps = ai.projects.locations.tensorboards.experiments;
    await exps.create({ parent: doomed, tensorboardExperimentId: 'e', requestBody: {} });
    await exps.runs.create({ parent: `${doomed}/experiments/e`, tensorboardRunId: 'r', requestBody: { displayName: 'r' } });
    await waitOp((await ai.projects.locations.tensorboards.delete({ name: doomed })).data);
    expect(await apiError(exps.get({ name: `${doomed}/experiments/e` }))).toMatchObject({ code: 404 });
    expect(await apiError(exps.runs.get({ name: `${doomed}/experiments/e/runs/r` }))).toMatchObject({ code: 404 });
  });
});

describe('custom jobs', () => {
  const jobs = () => ai.projects.locations.customJobs;
  const spec = { workerPoolSpecs: [{ machineSpec: { machineType: 'n1-standard-4' }, replicaCount: '1', containerSpec: { imageUri: 'us-docker.pkg.dev/p/r/trainer:1' } }] };

  it('create (server id and defaults), get, list with filters, runs to SUCCEEDED, delete', async () => {
    const job = (await jobs().create({ parent: loc, requestBody: { displayName: 'train', labels: { run: 'a' }, jobSpec: spec, state: 'JOB_STATE_SUCCEEDED' } })).data;
    expect(job.name).toMatch(new RegExp(`^projects/${emu.projectNumber('demo')}/locations/us-central1/customJobs/\\d+$`));
    expect(job.state).toBe('JOB_STATE_QUEUED');
    expect(job.jobSpec?.workerPoolSpecs?.[0].diskSpec).toEqual({ bootDiskType: 'pd-ssd', bootDiskSizeGb: 100 });
    const done = await pollJob(async () => (await jobs().get({ name: job.name! })).data, (j) => j.state, ['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED']);
    expect(done.state).toBe('JOB_STATE_SUCCEEDED');
    expect(done.startTime && done.endTime).toBeTruthy();
    expect((await jobs().list({ parent: loc, filter: 'state="JOB_STATE_SUCCEEDED" AND labels.run="a"' })).data.customJobs?.map((j) => j.name)).toContain(job.name);
    expect((await jobs().list({ parent: loc, filter: 'state="JOB_STATE_RUNNING" AND labels.run="a"' })).data.customJobs).toBeUndefined();
    await waitOp((await jobs().delete({ name: job.name! })).data);
    expect(await apiError(jobs().get({ name: job.name! }))).toMatchObject({ code: 404 });
  });

  it('a running job cannot be deleted; cancel goes CANCELLING → CANCELLED', async () => {
    emu.configure({ jobPhaseMs: 60_000 });
    const job = (await jobs().create({ parent: loc, requestBody: { displayName: 'long', jobSpec: spec } })).data;
    // CANCELLING lasts one job phase from the cancel: long enough to be seen on a busy machine.
    emu.configure({ jobPhaseMs: 400 });
    expect(await apiError(jobs().delete({ name: job.name! }))).toMatchObject({ code: 400, status: 'FAILED_PRECONDITION' });
    await jobs().cancel({ name: job.name!, requestBody: {} });
    expect((await jobs().get({ name: job.name! })).data.state).toBe('JOB_STATE_CANCELLING');
    emu.configure({ jobPhaseMs: 20 });
    const cancelled = await pollJob(async () => (await jobs().get({ name: job.name! })).data, (j) => j.state, ['JOB_STATE_CANCELLED']);
    expect(cancelled.error).toMatchObject({ code: 1 });
    expect(await apiError(jobs().cancel({ name: job.name!, requestBody: {} }))).toMatchObject({ status: 'FAILED_PRECONDITION' });
  });

  it('fails the jobs a test asks to fail', async () => {
    emu.failJobs({ displayNamePattern: '^doomed-', message: 'out of memory' });
    const job = (await jobs().create({ parent: loc, requestBody: { displayName: 'doomed-1', jobSpec: spec } })).data;
    const failed = await pollJob(async () => (await jobs().get({ name: job.name! })).data, (j) => j.state, ['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED']);
    expect(failed.state).toBe('JOB_STATE_FAILED');
    expect(failed.error).toMatchObject({ message: 'out of memory' });
  });
});

describe('notebook execution jobs', () => {
  it('create (LRO), server default timeout, BASIC and FULL views, list, delete', async () => {
    const nejs = ai.projects.locations.notebookExecutionJobs;
    const op = (await nejs.create({
      parent: loc,
      notebookExecutionJobId: 'nightly',
      requestBody: { displayName: 'nightly', directNotebookSource: { content: 'e30=' }, gcsOutputUri: 'gs://out', notebookRuntimeTemplateResourceName: `${loc}/notebookRuntimeTemplates/t` },
    })).data;
    const done = await waitOp(op);
    const name = (done.response as { name: string }).name;
    expect(name).toBe(`projects/${emu.projectNumber('demo')}/locations/us-central1/notebookExecutionJobs/nightly`);
    const basic = (await nejs.get({ name })).data;
    expect(basic.executionTimeout).toBe('86400s');
    expect(basic.directNotebookSource).toBeUndefined();
    expect((await nejs.get({ name, view: 'NOTEBOOK_EXECUTION_JOB_VIEW_FULL' })).data.directNotebookSource).toEqual({ content: 'e30=' });
    const finished = await pollJob(async () => (await nejs.get({ name })).data, (j) => j.jobState, ['JOB_STATE_SUCCEEDED']);
    expect(finished.jobState).toBe('JOB_STATE_SUCCEEDED');
    expect((await nejs.list({ parent: loc })).data.notebookExecutionJobs?.map((j) => j.name)).toContain(name);
    expect(await apiError(nejs.create({ parent: loc, notebookExecutionJobId: 'nightly', requestBody: {} }))).toMatchObject({ status: 'ALREADY_EXISTS' });
    await waitOp((await nejs.delete({ name })).data);
    expect(await apiError(nejs.get({ name }))).toMatchObject({ code: 404 });
  });
});

describe('notebooks v1 executions', () => {
  async function pollNotebooksOp(op: notebooks_v1.Schema$Operation): Promise<notebooks_v1.Schema$Operation> {
    let current = op;
    for (let i = 0; i < 500 && !current.done; i++) {
      await new Promise((r) => setTimeout(r, 5));
      current = (await nb.projects.locations.operations.get({ name: current.name! })).data;
    }
    expect(current.done).toBe(true);
    return current;
  }

  it('create (LRO), operations.get, get, list, states QUEUED → … → SUCCEEDED, delete; no :wait', async () => {
    const execs = nb.projects.locations.executions;
    const template = { scaleTier: 'CUSTOM', masterType: 'n1-standard-4', inputNotebookFile: 'gs://b/n.ipynb', outputNotebookFolder: 'gs://b/out', labels: { team: 'nb' } };
    const op = (await execs.create({ parent: loc, executionId: 'exec1', requestBody: { executionTemplate: template, displayName: 'ignored' } })).data;
    expect(op.name).toMatch(/^projects\/demo\/locations\/us-central1\/operations\/operation-/);
    // notebooks has no :wait method.
    expect(await apiError(ai.projects.locations.operations.wait({ name: op.name! }))).toMatchObject({ code: 404 });
    const done = await pollNotebooksOp(op);
    expect((done.response as { '@type': string })['@type']).toBe('type.googleapis.com/google.cloud.notebooks.v1.Execution');
    const name = `${loc}/executions/exec1`;
    const got = (await execs.get({ name })).data;
    expect(got.executionTemplate?.labels).toEqual({ team: 'nb' });
    expect(got.displayName).toBe('exec1');
    const finished = await pollJob(async () => (await execs.get({ name })).data, (e) => e.state, ['SUCCEEDED', 'FAILED']);
    expect(finished.state).toBe('SUCCEEDED');
    expect((await execs.list({ parent: loc })).data.executions?.map((e) => e.name)).toEqual([name]);
    expect(await apiError(execs.create({ parent: loc, executionId: 'x', requestBody: { executionTemplate: { masterType: 'n1' } } }))).toMatchObject({ status: 'INVALID_ARGUMENT' });
    await pollNotebooksOp((await execs.delete({ name })).data);
    expect(await apiError(execs.get({ name }))).toMatchObject({ code: 404 });
  });
});

describe('operations', () => {
  it('list across pages, cancel a pending operation', async () => {
    const parent = 'projects/demo/locations/asia-east1';
    for (let i = 0; i < 3; i++) await ai.projects.locations.tensorboards.create({ parent, requestBody: { displayName: `t${i}` } });
    const first = (await ai.projects.locations.operations.list({ name: parent, pageSize: 2 })).data;
    expect(first.operations).toHaveLength(2);
    const second = (await ai.projects.locations.operations.list({ name: parent, pageSize: 2, pageToken: first.nextPageToken! })).data;
    expect(second.operations).toHaveLength(1);
    expect(second.nextPageToken).toBeUndefined();

    emu.configure({ operationDelayMs: 60_000 });
    const op = (await ai.projects.locations.tensorboards.create({ parent, requestBody: { displayName: 'never' } })).data;
    emu.configure({ operationDelayMs: 5 });
    await ai.projects.locations.operations.cancel({ name: op.name! });
    const cancelled = (await ai.projects.locations.operations.get({ name: op.name! })).data;
    expect(cancelled).toMatchObject({ done: true, error: { code: 1 } });
    const tbName = op.name!.split('/operations/')[0];
    expect(await apiError(ai.projects.locations.tensorboards.get({ name: tbName }))).toMatchObject({ code: 404 });
  });
});
