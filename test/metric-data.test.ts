import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type RequestOptions } from '../src/api/client.js';
import { executePlan } from '../src/apply/executor.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { loadStack } from '../src/manifest/index.js';
import { makePlan } from '../src/plan/index.js';
import { StateStore, openState } from '../src/state/index.js';
import { changesOf, planNow, removeScratchDirs, runCli, scratchDir, until } from './apply.support.js';
import { csvOf, eventFile, seriesStack } from './metric-data.support.js';
import { manifestText, testClient, type ResourceSpec } from './plan-fixtures.js';

/**
 * Metric points as desired state, end to end against the emulator: data files (CSV, JSON Lines,
 * TensorBoard event files) through the CLI, the number of write requests, no-op plans that read
 * no points, one changed value as one point, bad files at validate time, and a crash right
 * after a write that the next apply repairs.
 */

let emulator: RunningEmulator;
let client: ApiClient;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, operationDelayMs: 2 });
  client = testClient(emulator.url);
});
afterAll(async () => {
  client.close();
  await emulator.close();
  removeScratchDirs();
});

type Point = { step: number; value: number };

function writeStack(dir: string, project: string, specs: ResourceSpec[], files: Record<string, string | Buffer>): void {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  writeFileSync(join(dir, 'stack.yaml'), manifestText(project, specs));
}

/** The live points of a series, by step. */
async function livePoints(name: string): Promise<Map<number, { value: number; wallTime?: string }>> {
  const out = new Map<number, { value: number; wallTime?: string }>();
  let pageToken: string | undefined;
  do {
    const res = await client.request<{ timeSeriesDataPoints?: { step?: string; scalar?: { value?: number }; wallTime?: string }[]; nextPageToken?: string }>({
      api: 'aiplatform',
      method: 'POST',
      path: `v1/${name}:exportTensorboardTimeSeries`,
      body: { pageSize: 10000, ...(pageToken && { pageToken }) },
    });
    for (const p of res.timeSeriesDataPoints ?? []) out.set(Number(p.step ?? 0), { value: p.scalar?.value ?? 0, wallTime: p.wallTime });
    pageToken = res.nextPageToken;
  } while (pageToken);
  return out;
}

const writeRequests = () => {
  const by = emulator.stats().requests.byPathKind ?? {};
  return (by['runs.write'] ?? 0) + (by['experiments.write'] ?? 0);
};
const pointReads = () => emulator.stats().requests.byPathKind?.['timeSeries.exportTensorboardTimeSeries'] ?? 0;

function stateOf(dir: string, stack: string) {
  return JSON.parse(readFileSync(join(dir, `${stack}.json`), 'utf8')) as { resources: Record<string, { name: string; props: Record<string, unknown> }> };
}

describe('points from CSV files', () => {
  const project = 'metric-csv';
  const dir = scratchDir('metric-csv');
  const args = ['--state', dir, '--endpoint', ''];
  const series = ['a', 'b'].flatMap((run) => ['loss', 'accuracy'].map((id) => ({ run, id })));
  const data = new Map(series.map(({ run, id }, k) => [`${run}-${id}`, Array.from({ length: 5000 }, (_, i): Point => ({ step: i, value: Math.round(Math.sin(i + k) * 1e6) / 1e6 }))]));
  const files = () => Object.fromEntries([...data].map(([key, points]) => [`data/${key}.csv`, csvOf(points)]));
  const specs = seriesStack(project, ['a', 'b'], series.map((s) => ({ ...s, dataPoints: { file: `data/${s.run}-${s.id}.csv` } })));

  beforeAll(() => {
    args[3] = emulator.url;
    writeStack(dir, project, specs, files());
  });

  it('writes 20,000 points of 4 series in 2 runs in at most 5 requests, and they land by step', async () => {
    emulator.resetStats();
    const res = await runCli(['apply', dir, '--auto-approve', ...args]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('+ dataPoints: + 5,000 points');
    expect(writeRequests()).toBeGreaterThan(0);
    expect(writeRequests()).toBeLessThanOrEqual(5);
    const doc = stateOf(dir, project);
    for (const [key, points] of data) {
      const live = await livePoints(doc.resources[key].name);
      expect(live.size, key).toBe(5000);
      for (const p of points) expect(live.get(p.step)?.value, `${key} step ${p.step}`).toBe(p.value);
      // State keeps a digest, never the points.
      expect(doc.resources[key].props.dataPoints).toEqual({ points: 5000, lastStep: 4999, sha256: expect.any(String), file: `data/${key}.csv`, sourceSha256: expect.any(String) });
    }
    expect(readFileSync(join(dir, `${project}.json`)).length).toBeLessThan(30_000);
  });

  it('a second apply writes nothing and reads no points; plan is empty', async () => {
    emulator.resetStats();
    const again = await runCli(['apply', dir, '--auto-approve', ...args]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('No changes');
    const plan = await runCli(['plan', dir, '--detailed-exitcode', ...args]);
    expect(plan.code).toBe(0);
    expect(writeRequests()).toBe(0);
    expect(pointReads()).toBe(0);
  });

  it('one changed value: plan says one point, apply makes one write request', async () => {
    data.get('b-accuracy')![1234].value = 42.5;
    writeStack(dir, project, specs, files());
    emulator.resetStats();
    const plan = await runCli(['plan', dir, '--detailed-exitcode', ...args]);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('~ b-accuracy (google.aiplatform.time_series) will be updated in-place');
    expect(plan.stdout).toContain('~ dataPoints: ~ 1 point\n');
    expect(plan.stdout).toContain('Plan: 0 to create, 1 to update, 0 to replace, 0 to destroy.');
    // Only the series whose file changed is read.
    expect(pointReads()).toBe(1);

    emulator.resetStats();
    const apply = await runCli(['apply', dir, '--auto-approve', ...args]);
    expect(apply.code).toBe(0);
    expect(writeRequests()).toBe(1);
    const live = await livePoints(stateOf(dir, project).resources['b-accuracy'].name);
    expect(live.get(1234)?.value).toBe(42.5);
    expect(changesOf(await planNow([dir], dir, client))).toEqual([]);
  });

  it('one changed value in each of the 4 series (2 runs): 4 updates whose points share one write request', async () => {
    for (const points of data.values()) points[77].value = -7.25;
    writeStack(dir, project, specs, files());
    emulator.resetStats();
    const plan = await runCli(['plan', dir, '--detailed-exitcode', ...args]);
    expect(plan.code).toBe(2);
    expect(plan.stdout.split('~ dataPoints: ~ 1 point\n').length - 1).toBe(4);
    expect(plan.stdout).toContain('Plan: 0 to create, 4 to update, 0 to replace, 0 to destroy.');

    emulator.resetStats();
    const apply = await runCli(['apply', dir, '--auto-approve', ...args]);
    expect(apply.code).toBe(0);
    expect(emulator.stats().requests.byPathKind?.['experiments.write']).toBe(1);
    expect(writeRequests()).toBe(1);
    const doc = stateOf(dir, project);
    for (const key of data.keys()) expect((await livePoints(doc.resources[key].name)).get(77)?.value, key).toBe(-7.25);
    expect(changesOf(await planNow([dir], dir, client))).toEqual([]);
  });

  it('points removed from the file stay (and the plan says so), or the series is recreated with replaceOnDataRemoval', async () => {
    data.set('a-loss', data.get('a-loss')!.slice(0, 4990));
    writeStack(dir, project, specs, files());
    const plan = await runCli(['plan', dir, ...args]);
    expect(plan.stdout).toContain('~ dataPoints: 10 live points not in dataPoints stay (the API cannot delete points; replaceOnDataRemoval: true recreates the series)');

    const recreate = specs.map((s) => (s.name === 'a-loss' ? { ...s, props: { ...s.props, replaceOnDataRemoval: true } } : s));
    writeStack(dir, project, recreate, {});
    const replaced = await runCli(['apply', dir, '--auto-approve', ...args]);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stdout).toContain('-/+ a-loss (google.aiplatform.time_series) must be replaced (10 live points are not in dataPoints and replaceOnDataRemoval is set)');
    expect((await livePoints(stateOf(dir, project).resources['a-loss'].name)).size).toBe(4990);
    expect(changesOf(await planNow([dir], dir, client))).toEqual([]);
  });
});

describe('points from JSON Lines and TensorBoard event files', () => {
  it('land with the right steps, values and wall times', async () => {
    const project = 'metric-formats';
    const dir = scratchDir('metric-formats');
    const specs = seriesStack(project, ['r'], [
      { run: 'r', id: 'lr', dataPoints: { file: 'data/lr.jsonl' } },
      { run: 'r', id: 'loss', dataPoints: { file: 'logs/r', tag: 'loss' } },
      { run: 'r', id: 'acc', dataPoints: { file: 'logs/r/events.out.tfevents.100.host', tag: 'accuracy' } },
    ]);
    writeStack(dir, project, specs, {
      'data/lr.jsonl': '{"step": 10, "value": 0.1}\n{"step": 20, "value": 0.01, "wallTime": "2024-05-01T12:00:00Z"}\n',
      'logs/r/events.out.tfevents.100.host': eventFile([
        { fileVersion: 'brain.Event:2', wallTime: 1714557600 },
        { step: 1, wallTime: 1714557601.5, tag: 'loss', simpleValue: 2.5 },
        { step: 1, wallTime: 1714557601.5, tag: 'accuracy', simpleValue: 0.75 },
        { step: 2, wallTime: 1714557602, tag: 'loss', tensorFloat: 1.25 },
      ]),
      'logs/r/events.out.tfevents.200.host': eventFile([{ step: 3, wallTime: 1714557603, tag: 'loss', tensorFloat: 0.625, packed: true }]),
    });
    const res = await runCli(['apply', dir, '--auto-approve', '--state', dir, '--endpoint', emulator.url]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const doc = stateOf(dir, project);
    const lr = await livePoints(doc.resources['r-lr'].name);
    expect([...lr].map(([s, p]) => [s, p.value])).toEqual([
      [10, 0.1],
      [20, 0.01],
    ]);
    expect(lr.get(20)!.wallTime).toMatch(/^2024-05-01T12:00:00(\.0+)?Z$/);
    const loss = await livePoints(doc.resources['r-loss'].name);
    expect([...loss].map(([s, p]) => [s, p.value])).toEqual([
      [1, 2.5],
      [2, 1.25],
      [3, 0.625],
    ]);
    expect(loss.get(1)!.wallTime).toMatch(/^2024-05-01T10:00:01\.50*Z$/);
    const acc = await livePoints(doc.resources['r-acc'].name);
    expect([...acc].map(([s, p]) => [s, p.value])).toEqual([[1, Math.fround(0.75)]]);
    expect(changesOf(await planNow([dir], dir, client))).toEqual([]);
  });
});

describe('bad data files', () => {
  it('fail validate naming the file and line (or record), exit 1', async () => {
    const dir = scratchDir('metric-bad');
    const good = eventFile([{ step: 1, wallTime: 1, tag: 'loss', simpleValue: 1 }]);
    const corrupt = Buffer.concat([good, good]);
    corrupt[corrupt.length - 5] ^= 1;
    const specs = seriesStack('metric-bad', ['r'], [
      { run: 'r', id: 'step', dataPoints: { file: 'data/step.csv' } },
      { run: 'r', id: 'dup', dataPoints: { file: 'data/dup.jsonl' } },
      { run: 'r', id: 'corrupt', dataPoints: { file: 'logs/corrupt', tag: 'loss' } },
      { run: 'r', id: 'tag', dataPoints: { file: 'logs/ok', tag: 'accuracy' } },
      { run: 'r', id: 'outside', dataPoints: { file: '../outside.csv' } },
    ]);
    writeStack(dir, 'metric-bad', specs, {
      'data/step.csv': 'step,value\n1,0.5\nten,0.25\n',
      'data/dup.jsonl': '{"step":1,"value":0.5}\n{"step":2,"value":0.5}\n{"step":1,"value":0.75}\n',
      'logs/corrupt/events.out.tfevents.1': corrupt,
      'logs/ok/events.out.tfevents.1': good,
      '../outside.csv': 'step,value\n1,1\n',
    });
    const res = await runCli(['validate', dir]);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    const lines = res.stderr.trimEnd().split('\n');
    const manifest = join(dir, 'stack.yaml');
    expect(lines).toEqual(
      expect.arrayContaining([
        `${join(dir, 'data/step.csv')}:3:1: resource "r-step": step "ten" is not an integer`,
        `${join(dir, 'data/dup.jsonl')}:3:1: resource "r-dup": step 1 appears twice with different values (also at ${join(dir, 'data/dup.jsonl')}:1)`,
        expect.stringMatching(new RegExp(`^${manifest}:\\d+:\\d+: resource "r-corrupt": ${join(dir, 'logs/corrupt/events.out.tfevents.1')}: record 2: corrupt: the CRC-32C of the record data does not match$`)),
        expect.stringMatching(new RegExp(`^${manifest}:\\d+:\\d+: resource "r-tag": ${join(dir, 'logs/ok')}: no scalar values tagged "accuracy" \\(tags: loss\\)$`)),
        expect.stringMatching(new RegExp(`^${manifest}:\\d+:\\d+: resource "r-outside": dataPoints.file "../outside.csv" is outside the stack's directory`)),
      ]),
    );
    expect(lines).toHaveLength(5);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });
});

/** A client whose metric writes reach the API and then never answer: the process "dies" right after the write. */
class DiesAfterWrite extends ApiClient {
  writes = 0;
  override async request<T>(req: RequestOptions): Promise<T> {
    const res = await super.request<T>(req);
    if (req.path.endsWith(':write')) {
      this.writes++;
      return new Promise<T>(() => undefined);
    }
    return res;
  }
}

describe('a crash right after a metric write', () => {
  it('leaves state marked pending, so the next plan reads the live points and apply converges with state = live', async () => {
    const project = 'metric-crash';
    const dir = scratchDir('metric-crash');
    const v1 = Array.from({ length: 50 }, (_, i) => ({ step: i, scalar: { value: i } }));
    const v2 = v1.map((p) => (p.step === 7 ? { step: 7, scalar: { value: 700 } } : p));
    const stackWith = (points: unknown[]) => seriesStack(project, ['r'], [{ run: 'r', id: 'loss', dataPoints: points }]);
    const applyWith = async (c: ApiClient) => {
      const stack = await loadStack([dir], { environment: {} });
      const store = await StateStore.open(openState(dir, project), project);
      const plan = await makePlan(stack, { client: c, stateDoc: store.doc, refresh: true });
      return { plan, done: executePlan(plan, { client: c, store, waitJobs: false, live: new Map() }, { parallelism: 4, stepTimeoutMs: 60_000, onEvent: () => undefined }) };
    };
    writeStack(dir, project, stackWith(v1), {});
    expect((await (await applyWith(client)).done).failed).toEqual([]);

    // v2 changes one point; the process dies once its write is answered.
    writeStack(dir, project, stackWith(v2), {});
    const dying = new DiesAfterWrite({ endpoint: emulator.url, retryBaseMs: 5 });
    void (await applyWith(dying)).done;
    await until(() => dying.writes === 1, 10_000, 'the metric write');
    // State as the next run reads it: the document and the journal the killed apply appended to.
    const afterCrash = (await openState(dir, project).read())!;
    const name = afterCrash.resources['r-loss'].name;
    expect((await livePoints(name)).get(7)?.value).toBe(700);
    expect(afterCrash.resources['r-loss'].props.dataPoints).toMatchObject({ pendingWrite: expect.any(String) });

    // Back to v1: live differs from it at step 7, and the plan must say so although state's digest was v1's.
    writeStack(dir, project, stackWith(v1), {});
    const { plan, done } = await applyWith(client);
    expect(plan.steps.find((s) => s.address === 'r-loss')).toMatchObject({ action: 'update', fields: [{ path: 'dataPoints', after: { add: 0, change: 1, stay: 0 } }] });
    expect((await done).failed).toEqual([]);
    expect((await livePoints(name)).get(7)?.value).toBe(7);
    expect(stateOf(dir, project).resources['r-loss'].props.dataPoints).not.toHaveProperty('pendingWrite');
    expect(changesOf(await planNow([dir], dir, client))).toEqual([]);
    dying.close();
  });
});


