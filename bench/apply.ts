/**
 * Applying a new stack of 1,000 runs and 20 time series of 500 points each (plus tensorboard
 * and experiment): API calls, state writes and wall time of the applier (batch creates, up to
 * 5,000 points per write, state saved after every step) against the baseline of one create call
 * per resource and one write call per time series (10 in flight), on the emulator with a
 * simulated network latency per request.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ApiClient, type Operation } from '../src/api/client.js';
import { executePlan } from '../src/apply/executor.js';
import { startEmulator } from '../src/emulator/index.js';
import { loadStack } from '../src/manifest/index.js';
import { makePlan } from '../src/plan/index.js';
import { StateStore, openState } from '../src/state/index.js';

const RUNS = 1000;
const SERIES = 20;
const POINTS = 500;
const LATENCIES_MS = [0, 25];

function manifest(project: string): string {
  const where = { projectsId: project, locationsId: 'us-central1' };
  const board = { ...where, tensorboardsId: '{{ board.tensorboardsId }}' };
  const props = (p: Record<string, unknown>) => Object.entries(p).map(([name, value]) => ({ name, value }));
  const resources = [
    { name: 'board', type: 'google.aiplatform.tensorboards', props: props({ ...where, displayName: 'board' }) },
    { name: 'exp', type: 'google.aiplatform.experiments', props: props({ ...board, experimentsId: 'exp' }) },
    ...Array.from({ length: RUNS }, (_, i) => ({
      name: `run-${i}`,
      type: 'google.aiplatform.runs',
      props: props({ ...board, experimentsId: '{{ exp.experimentsId }}', runsId: `run-${i}`, displayName: `run ${i}` }),
    })),
    ...Array.from({ length: SERIES }, (_, i) => ({
      name: `loss-${i}`,
      type: 'google.aiplatform.time_series',
      props: props({
        ...board,
        experimentsId: '{{ exp.experimentsId }}',
        runsId: `{{ run-${i}.runsId }}`,
        timeSeriesId: 'loss',
        displayName: 'loss',
        valueType: 'SCALAR',
        dataPoints: Array.from({ length: POINTS }, (_, s) => ({ step: s + 1, scalar: { value: 1 / (s + 1) } })),
      }),
    })),
  ];
  return stringify({ version: 1, name: project, resources });
}

/** The baseline: every resource created on its own, one write per time series, 10 calls in flight. */
async function naiveApply(client: ApiClient, project: string): Promise<void> {
  const parent = `projects/${project}/locations/us-central1`;
  const op = await client.request<Operation>({ api: 'aiplatform', method: 'POST', path: `v1/${parent}/tensorboards`, body: { displayName: 'board' } });
  const board = String((await client.waitOperation('aiplatform', op)).response!.name);
  const exp = `${board}/experiments/exp`;
  await client.request({ api: 'aiplatform', method: 'POST', path: `v1/${board}/experiments`, query: { tensorboardExperimentId: 'exp' }, body: {} });
  const pool = async <T>(items: T[], fn: (t: T) => Promise<unknown>) => {
    const queue = [...items];
    await Promise.all(Array.from({ length: 10 }, async () => {
      for (let t = queue.shift(); t !== undefined; t = queue.shift()) await fn(t);
    }));
  };
  await pool(Array.from({ length: RUNS }, (_, i) => i), (i) =>
    client.request({ api: 'aiplatform', method: 'POST', path: `v1/${exp}/runs`, query: { tensorboardRunId: `run-${i}` }, body: { displayName: `run ${i}` } }));
  await pool(Array.from({ length: SERIES }, (_, i) => i), async (i) => {
    const run = `${exp}/runs/run-${i}`;
    await client.request({ api: 'aiplatform', method: 'POST', path: `v1/${run}/timeSeries`, query: { tensorboardTimeSeriesId: 'loss' }, body: { displayName: 'loss', valueType: 'SCALAR' } });
    const values = Array.from({ length: POINTS }, (_, s) => ({ step: s + 1, scalar: { value: 1 / (s + 1) } }));
    await client.request({ api: 'aiplatform', method: 'POST', path: `v1/${run}:write`, body: { timeSeriesData: [{ tensorboardTimeSeriesId: 'loss', valueType: 'SCALAR', values }] } });
  });
}

const emulator = await startEmulator({ port: 0, operationDelayMs: 1 });
const client = new ApiClient({ endpoint: emulator.url, maxInFlightPerHost: 10 });
const dir = mkdtempSync(join(tmpdir(), 'vertexctl-bench-apply-'));
try {
  const rows: string[] = [];
  for (const latencyMs of LATENCIES_MS) {
    emulator.configure({ latencyMs });
    const project = `bench-apply-${latencyMs}`;
    const stackDir = join(dir, project);
    writeFileSync(join(dir, `${project}.yaml`), manifest(project));
    const stack = await loadStack([join(dir, `${project}.yaml`)], { environment: {} });
    const store = await StateStore.open(openState(stackDir, project), project);
    const plan = await makePlan(stack, { client, stateDoc: store.doc, refresh: true });

    emulator.resetStats();
    let start = performance.now();
    const summary = await executePlan(plan, { client, store, waitJobs: false, live: new Map() }, { parallelism: 10, stepTimeoutMs: 600_000, onEvent: () => undefined });
    const applyMs = performance.now() - start;
    const applyCalls = emulator.stats().requests.total;
    if (summary.created !== RUNS + SERIES + 2 || summary.failed.length) throw new Error(`apply did not create everything: ${JSON.stringify(summary.failed)}`);

    emulator.resetStats();
    start = performance.now();
    await naiveApply(client, `${project}-naive`);
    const naiveMs = performance.now() - start;
    const naiveCalls = emulator.stats().requests.total;

    rows.push(`| ${String(latencyMs).padStart(10)} | vertexctl apply (batched)       | ${String(applyCalls).padStart(9)} | ${String(store.doc.serial).padStart(12)} | ${applyMs.toFixed(0).padStart(7)} |`);
    rows.push(`| ${String(latencyMs).padStart(10)} | baseline: one call per resource | ${String(naiveCalls).padStart(9)} | ${'-'.padStart(12)} | ${naiveMs.toFixed(0).padStart(7)} |`);
  }
  console.log(`apply of ${RUNS} runs and ${SERIES} time series × ${POINTS} points (+ tensorboard, experiment), all new; 10 calls in flight\n`);
  console.log('| latency ms | applier                         | API calls | state writes | wall ms |');
  console.log('|-----------:|---------------------------------|----------:|-------------:|--------:|');
  for (const r of rows) console.log(r);
} finally {
  client.close();
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
}
