/**
 * Google's REST edges, over raw HTTP: system parameters (`$alt`/`alt` with enum-encoding=int,
 * `prettyPrint`, `fields`), enums as numbers in and out, `/ui/` operation bindings, page limits,
 * filters and orderBy as each method documents them, and page tokens bound to their query.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';

let emu: RunningEmulator;
const loc = 'projects/edges/locations/us-central1';

beforeAll(async () => {
  emu = await startEmulator({ port: 0, operationDelayMs: 0, jobPhaseMs: 60_000 });
});

afterAll(async () => {
  await emu.close();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; text: string; json: any }> {
  const res = await fetch(new URL(path, emu.url), {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: text ? JSON.parse(text) : undefined };
}

describe('system parameters', () => {
  it('alt and $alt with enum-encoding=int answer enums as numbers; input takes names or numbers', async () => {
    const tb = (await call('POST', `v1/${loc}/tensorboards`, { displayName: 'edges' })).json.response.name as string;
    await call('POST', `v1/${tb}/experiments?tensorboardExperimentId=e`, {});
    await call('POST', `v1/${tb}/experiments/e/runs?tensorboardRunId=r`, { displayName: 'r' });
    const run = `${tb}/experiments/e/runs/r`;
    const byNumber = await call('POST', `v1/${run}/timeSeries?tensorboardTimeSeriesId=a&$alt=json%3Benum-encoding%3Dint`, { displayName: 'a', valueType: 1 });
    expect(byNumber.status).toBe(200);
    expect(byNumber.json.valueType).toBe(1);
    const byName = await call('POST', `v1/${run}/timeSeries?tensorboardTimeSeriesId=b`, { displayName: 'b', valueType: 'TENSOR' });
    expect(byName.json.valueType).toBe('TENSOR');
    expect((await call('GET', `v1/${run}/timeSeries/b?alt=json;enum-encoding=int`)).json.valueType).toBe(2);
    const listed = (await call('GET', `v1/${run}/timeSeries?$alt=json;enum-encoding=int`)).json.tensorboardTimeSeries;
    expect(listed.map((s: { valueType: number }) => s.valueType)).toEqual([1, 2]);
    // Inside an operation's response (a google.protobuf.Any), along the schema its @type names.
    const job = (await call('POST', `v1/${loc}/customJobs?$alt=json;enum-encoding=int`, {
      displayName: 'j',
      jobSpec: { workerPoolSpecs: [{ machineSpec: { machineType: 'n1-standard-4' } }], scheduling: { strategy: 6 } },
    })).json;
    expect(job.state).toBe(1);
    // FLEX_START is 6 in the proto, though 5th in the discovery document's list.
    expect(job.jobSpec.scheduling.strategy).toBe(6);
    expect((await call('GET', `v1/${job.name}`)).json.jobSpec.scheduling.strategy).toBe('FLEX_START');
    const bad = await call('POST', `v1/${run}/timeSeries?tensorboardTimeSeriesId=c`, { displayName: 'c', valueType: 42 });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain('value_type');
  });

  it('fields selects parts of the answer; prettyPrint indents; other alt values are refused', async () => {
    await call('POST', `v1/${loc}/tensorboards`, { displayName: 'fields one', description: 'd' });
    const partial = await call('GET', `v1/${loc}/tensorboards?fields=tensorboards(displayName),nextPageToken`);
    expect(partial.json.tensorboards.length).toBeGreaterThan(0);
    for (const t of partial.json.tensorboards) expect(Object.keys(t)).toEqual(['displayName']);
    const slash = await call('GET', `v1/${loc}/tensorboards?$fields=tensorboards/name`);
    for (const t of slash.json.tensorboards) expect(Object.keys(t)).toEqual(['name']);
    expect((await call('GET', `v1/${loc}/tensorboards?fields=tensorboards(`)).status).toBe(400);
    expect((await call('GET', `v1/${loc}/tensorboards?prettyPrint=true`)).text).toContain('\n  "tensorboards": [');
    expect((await call('GET', `v1/${loc}/tensorboards?$prettyPrint=0`)).text).not.toContain('\n');
    const proto = await call('GET', `v1/${loc}/tensorboards?alt=proto`);
    expect(proto.status).toBe(400);
    expect(proto.json.error.status).toBe('INVALID_ARGUMENT');
    expect((await call('GET', `v1/${loc}/tensorboards?$bogus=1`)).status).toBe(400);
  });

  it('operations answer under /ui/ as well as /v1/; other /ui/ paths are 404 in Google’s shape', async () => {
    const op = (await call('POST', `v1/${loc}/tensorboards`, { displayName: 'ui' })).json;
    expect((await call('GET', `ui/${op.name}`)).json.name).toBe(op.name);
    const atLocation = `${loc}/operations/${op.name.split('/').pop()}`;
    expect((await call('GET', `ui/${loc}/operations?pageSize=1`)).json.operations).toHaveLength(1);
    const tbName = op.response.name as string;
    expect((await call('GET', `ui/${atLocation}`)).json.name).toBe(op.name);
    const missing = await call('GET', `ui/${tbName}`);
    expect(missing.status).toBe(404);
    expect(missing.json.error.status).toBe('NOT_FOUND');
  });
});

describe('limits, filters, views and tokens from the discovery documents', () => {
  it('tensorboards.list pages at most 100 (default 100); experiments default 50, at most 1000', async () => {
    const parent = 'projects/edges/locations/europe-west4';
    for (let i = 0; i < 120; i++) await call('POST', `v1/${parent}/tensorboards`, { displayName: `p${i}` });
    const first = (await call('GET', `v1/${parent}/tensorboards`)).json;
    expect(first.tensorboards).toHaveLength(100);
    const big = (await call('GET', `v1/${parent}/tensorboards?pageSize=1000`)).json;
    expect(big.tensorboards).toHaveLength(100);
    const rest = (await call('GET', `v1/${parent}/tensorboards?pageSize=1000&pageToken=${big.nextPageToken}`)).json;
    expect(rest.tensorboards).toHaveLength(20);
    expect(rest.nextPageToken).toBeUndefined();
    // A token from another query is refused.
    const other = await call('GET', `v1/${parent}/tensorboards?pageSize=1000&filter=display_name="p1"&pageToken=${big.nextPageToken}`);
    expect(other.status).toBe(400);
    expect(other.json.error.status).toBe('INVALID_ARGUMENT');

    const tb = first.tensorboards[0].name as string;
    for (let i = 0; i < 60; i++) await call('POST', `v1/${tb}/experiments?tensorboardExperimentId=e${i}`, {});
    expect((await call('GET', `v1/${tb}/experiments`)).json.tensorboardExperiments).toHaveLength(50);
    expect((await call('GET', `v1/${tb}/experiments?pageSize=1000`)).json.tensorboardExperiments).toHaveLength(60);
  });

  it('notebookExecutionJobs: view BASIC/FULL by name or number, documented filter and orderBy fields', async () => {
    const job = (id: string, displayName: string) =>
      call('POST', `v1/${loc}/notebookExecutionJobs?notebookExecutionJobId=${id}`, {
        displayName,
        directNotebookSource: { content: Buffer.from('{}').toString('base64') },
        gcsOutputUri: 'gs://b/o',
        executionUser: 'me@example.com',
        customEnvironmentSpec: { machineSpec: { machineType: 'n1-standard-4' } },
      });
    await job('nb-a', 'alpha');
    await job('nb-b', 'beta');
    const name = `${loc}/notebookExecutionJobs/nb-a`;
    expect((await call('GET', `v1/${name}`)).json.directNotebookSource).toBeUndefined();
    expect((await call('GET', `v1/${name}?view=NOTEBOOK_EXECUTION_JOB_VIEW_BASIC`)).json.directNotebookSource).toBeUndefined();
    expect((await call('GET', `v1/${name}?view=NOTEBOOK_EXECUTION_JOB_VIEW_FULL`)).json.directNotebookSource.content).toBe(Buffer.from('{}').toString('base64'));
    expect((await call('GET', `v1/${name}?view=2`)).json.directNotebookSource).toBeDefined();
    expect((await call('GET', `v1/${name}?view=1`)).json.directNotebookSource).toBeUndefined();
    const list = (q: string) => call('GET', `v1/${loc}/notebookExecutionJobs?${q}`);
    expect((await list('filter=notebookExecutionJob="nb-b"')).json.notebookExecutionJobs.map((j: { displayName: string }) => j.displayName)).toEqual(['beta']);
    expect((await list('filter=notebook_execution_job!="nb-b"')).json.notebookExecutionJobs.map((j: { displayName: string }) => j.displayName)).toEqual(['alpha']);
    expect((await list('filter=displayName=~"^b"')).json.notebookExecutionJobs).toHaveLength(1);
    expect((await list('orderBy=display_name desc')).json.notebookExecutionJobs.map((j: { displayName: string }) => j.displayName)).toEqual(['beta', 'alpha']);
    expect((await list('view=NOTEBOOK_EXECUTION_JOB_VIEW_FULL')).json.notebookExecutionJobs.every((j: object) => 'directNotebookSource' in j)).toBe(true);
    const badFilter = await list('filter=gcs_output_uri="x"');
    expect(badFilter.status).toBe(400);
    expect(badFilter.json.error.message).toContain('supported fields: notebookExecutionJob, displayName, schedule');
    expect((await list('orderBy=gcs_output_uri')).status).toBe(400);
  });
});

describe('project numbers in names', () => {
  it('answers aiplatform names with the project number; id and number reach the same resource; notebooks keep the id', async () => {
    const number = emu.projectNumber('edges');
    expect(number).toMatch(/^[1-9]\d{11}$/);
    expect(emu.projectNumber('edges')).toBe(number);
    const op = (await call('POST', `v1/${loc}/tensorboards`, { displayName: 'numbered' })).json;
    const name = op.response.name as string;
    expect(name).toMatch(new RegExp(`^projects/${number}/locations/us-central1/tensorboards/\\d+$`));
    const id = name.split('/').pop();
    expect((await call('GET', `v1/${loc}/tensorboards/${id}`)).json.name).toBe(name);
    expect((await call('GET', `v1/${name}`)).json.name).toBe(name);
    // Operations too, by either spelling.
    expect((await call('GET', `v1/${op.name.replace(`projects/${number}/`, 'projects/edges/')}`)).json.name).toBe(op.name);
    // Child names given in bodies may use the id.
    await call('POST', `v1/${loc}/tensorboards/${id}/experiments?tensorboardExperimentId=e`, {});
    const runs = await call('POST', `v1/${loc}/tensorboards/${id}/experiments/e/runs:batchCreate`, {
      requests: [{ parent: `${loc}/tensorboards/${id}/experiments/e`, tensorboardRunId: 'r', tensorboardRun: { displayName: 'r' } }],
    });
    expect(runs.json.tensorboardRuns[0].name).toBe(`${name}/experiments/e/runs/r`);
    const nb = (await call('POST', `v1/${loc}/executions?executionId=x`, { executionTemplate: { scaleTier: 'CUSTOM', masterType: 'n1-standard-4', inputNotebookFile: 'gs://b/i.ipynb', outputNotebookFolder: 'gs://b/o' } })).json;
    expect(nb.name).toMatch(/^projects\/edges\/locations\/us-central1\/operations\//);
    expect((await call('GET', `v1/${loc}/executions/x`)).json.name).toBe(`${loc}/executions/x`);
  });

  it('--project-ids-in-names answers with the id the request used, as before', async () => {
    const old = await startEmulator({ port: 0, operationDelayMs: 0, projectIdsInNames: true });
    try {
      const res = await fetch(new URL(`v1/${loc}/tensorboards`, old.url), { method: 'POST', body: '{"displayName":"old"}', headers: { 'content-type': 'application/json' } });
      expect(((await res.json()) as { response: { name: string } }).response.name).toMatch(/^projects\/edges\/locations\//);
    } finally {
      await old.close();
    }
  });
});
