/**
 * Drift over a stack of 10,000 resources (a TensorBoard, 10 experiments, 9,986 runs, a custom
 * job, a notebook execution job and a notebooks execution), all applied and in sync: API calls
 * and wall time of the drift report beside the plan of the same stack (the baseline: drift may
 * make no more calls than plan), on the emulator, with and without a simulated latency.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ApiClient, type Operation } from '../src/api/client.js';
import { detectDrift } from '../src/drift/index.js';
import { startEmulator } from '../src/emulator/index.js';
import { loadStack } from '../src/manifest/index.js';
import { makePlan } from '../src/plan/index.js';
import { bodyFromProps } from '../src/kinds/body.js';
import { newStateDoc } from '../src/state/index.js';

const EXPERIMENTS = 10;
const RUNS = Number(process.env.BENCH_RUNS ?? 9_986);
const LATENCIES_MS = process.env.BENCH_LATENCIES ? process.env.BENCH_LATENCIES.split(",").map(Number) : [0, 25];
const PARENT = 'projects/bench-drift/locations/us-central1';

type Prop = { name: string; value: unknown };
const where: Prop[] = [
  { name: 'projectsId', value: 'bench-drift' },
  { name: 'locationsId', value: 'us-central1' },
];
const inBoard: Prop[] = [...where, { name: 'tensorboardsId', value: '{{ board.tensorboardsId }}' }];

function manifest(): string {
  const resources: { name: string; type: string; props: Prop[] }[] = [
    { name: 'board', type: 'google.aiplatform.tensorboards', props: [...where, { name: 'displayName', value: 'board' }] },
  ];
  for (let e = 0; e < EXPERIMENTS; e++) {
    resources.push({ name: `exp-${e}`, type: 'google.aiplatform.experiments', props: [...inBoard, { name: 'experimentsId', value: `exp-${e}` }, { name: 'displayName', value: `exp ${e}` }] });
  }
  for (let i = 0; i < RUNS; i++) {
    const e = i % EXPERIMENTS;
    resources.push({
      name: `run-${i}`,
      type: 'google.aiplatform.runs',
      props: [...inBoard, { name: 'experimentsId', value: `{{ exp-${e}.experimentsId }}` }, { name: 'runsId', value: `run-${i}` }, { name: 'displayName', value: `run ${i}` }],
    });
  }
  resources.push(
    {
      name: 'trainer',
      type: 'google.aiplatform.custom_jobs',
      props: [...where, { name: 'displayName', value: 'trainer' }, { name: 'jobSpec', value: { workerPoolSpecs: [{ machineSpec: { machineType: 'n1-standard-4' }, replicaCount: 1, containerSpec: { imageUri: 'gcr.io/p/t:1' } }] } }],
    },
    {
      name: 'eval',
      type: 'google.aiplatform.notebook_execution_jobs',
      props: [
        ...where,
        { name: 'notebookExecutionJobsId', value: 'eval' },
        { name: 'displayName', value: 'eval' },
        { name: 'gcsNotebookSource', value: { uri: 'gs://b/eval.ipynb' } },
        { name: 'gcsOutputUri', value: 'gs://b/out' },
        { name: 'customEnvironmentSpec', value: { machineSpec: { machineType: 'n1-standard-4' } } },
      ],
    },
    {
      name: 'report',
      type: 'google.notebooks.executions',
      props: [
        ...where,
        { name: 'executionsId', value: 'report' },
        { name: 'executionTemplate', value: { scaleTier: 'CUSTOM', masterType: 'n1-standard-4', inputNotebookFile: 'gs://b/r.ipynb', outputNotebookFolder: 'gs://b/r', containerImageUri: 'gcr.io/x/y' } },
      ],
    },
  );
  return stringify({ version: 1, name: 'bench-drift', resources }, { aliasDuplicateObjects: false });
}

const emulator = await startEmulator({ port: 0, operationDelayMs: 1, jobPhaseMs: 1 });
const client = new ApiClient({ endpoint: emulator.url, maxInFlightPerHost: 10 });
const dir = mkdtempSync(join(tmpdir(), 'vertexctl-bench-drift-'));
try {
  writeFileSync(join(dir, 'stack.yaml'), manifest());
  const stack = await loadStack([dir], { environment: {} });
  if (stack.resources.length !== RUNS + EXPERIMENTS + 4) throw new Error(`expected ${RUNS + EXPERIMENTS + 4} resources, got ${stack.resources.length}`);
  // The resources, made through the API directly (batches of runs), and the state an apply leaves.
  const stateDoc = newStateDoc(stack.name);
  const byAddress = new Map(stack.resources.map((r) => [r.address, r]));
  const create = async (address: string, parent: string, id?: string): Promise<string> => {
    const r = byAddress.get(address)!;
    const body = bodyFromProps(r.kind, r.props);
    const query = id && r.kind.createIdParam ? { [r.kind.createIdParam]: id } : undefined;
    let res = await client.request<Record<string, unknown>>({ api: r.kind.api, method: 'POST', path: `v1/${parent}/${r.kind.collection}`, query, body });
    if (r.kind.create === 'lro') res = (await client.waitOperation(r.kind.api, res as unknown as Operation)).response!;
    const name = String(res.name);
    stateDoc.resources[address] = { type: r.type, name, id: name.split('/').pop()!, props: r.props, outputs: {} };
    return name;
  };
  const board = await create('board', PARENT);
  // Experiments and runs (made in batches) are recorded as apply records them: references resolved.
  const boardId = board.split('/').pop()!;
  const record = (address: string, name: string, resolved: Record<string, unknown>) => {
    const r = byAddress.get(address)!;
    stateDoc.resources[address] = { type: r.type, name, id: name.split('/').pop()!, props: { ...r.props, ...resolved }, outputs: {}, ...(r.dependsOn.length && { dependsOn: [...r.dependsOn] }) };
  };
  for (let e = 0; e < EXPERIMENTS; e++) {
    const exp = `${board}/experiments/exp-${e}`;
    await client.request({ api: 'aiplatform', method: 'POST', path: `v1/${board}/experiments`, query: { tensorboardExperimentId: `exp-${e}` }, body: { displayName: `exp ${e}` } });
    record(`exp-${e}`, exp, { tensorboardsId: boardId });
    const ids = Array.from({ length: RUNS }, (_, i) => i).filter((i) => i % EXPERIMENTS === e);
    for (let at = 0; at < ids.length; at += 1000) {
      const requests = ids.slice(at, at + 1000).map((i) => ({ parent: exp, tensorboardRunId: `run-${i}`, tensorboardRun: { displayName: `run ${i}` } }));
      await client.request({ api: 'aiplatform', method: 'POST', path: `v1/${exp}/runs:batchCreate`, body: { requests } });
      for (const i of ids.slice(at, at + 1000)) record(`run-${i}`, `${exp}/runs/run-${i}`, { tensorboardsId: boardId, experimentsId: `exp-${e}` });
    }
  }
  await create('trainer', PARENT);
  await create('eval', PARENT, 'eval');
  await create('report', PARENT, 'report');

  const rows: string[] = [];
  const claims: string[] = [];
  for (const latencyMs of LATENCIES_MS) {
    emulator.configure({ latencyMs });
    emulator.resetStats();
    let start = performance.now();
    const plan = await makePlan(stack, { client, stateDoc, refresh: true });
    const planMs = performance.now() - start;
    const planCalls = emulator.stats().requests.total;
    if (plan.steps.some((s) => s.action !== 'no-op')) {
      const changes = plan.steps.filter((s) => s.action !== 'no-op').map((s) => `${s.action} ${s.address} (${s.reasonCode ?? ''})`);
      throw new Error(`the plan of the applied stack is not empty: ${changes.slice(0, 5).join(', ')}${changes.length > 5 ? ', …' : ''}`);
    }

    emulator.resetStats();
    start = performance.now();
    const report = await detectDrift([{ stack, stateDoc }], { client });
    const driftMs = performance.now() - start;
    const stats = emulator.stats().requests;
    if (report.drifted || report.summary['in-sync'] !== stack.resources.length) throw new Error(`expected all in sync, got ${JSON.stringify(report.summary)}`);
    const writes = stats.total - (stats.byMethod.GET ?? 0);
    if (writes !== 0) throw new Error(`drift made ${writes} write calls`);
    if (stats.total > planCalls) throw new Error(`drift made ${stats.total} calls, more than plan's ${planCalls}`);

    rows.push(`| ${String(latencyMs).padStart(10)} | baseline: plan | ${String(planCalls).padStart(9)} | ${'0'.padStart(6)} | ${planMs.toFixed(0).padStart(7)} |`);
    claims.push(`${stats.total} ≤ ${planCalls} at ${latencyMs} ms latency`);
    rows.push(`| ${String(latencyMs).padStart(10)} | drift          | ${String(stats.total).padStart(9)} | ${String(writes).padStart(6)} | ${driftMs.toFixed(0).padStart(7)} |`);
  }
  console.log(`drift of ${stack.resources.length.toLocaleString('en-US')} applied resources (1 tensorboard, ${EXPERIMENTS} experiments, ${RUNS.toLocaleString('en-US')} runs, 3 jobs); 10 requests in flight\n`);
  console.log('| latency ms | command        | API calls | writes | wall ms |');
  console.log('|-----------:|----------------|----------:|-------:|--------:|');
  for (const r of rows) console.log(r);
  console.log(`\nTarget: drift makes no more API calls than plan of the same stack, and no write call. Holds: ${claims.join('; ')}.`);
  console.log('\nA stack that does not use one of the top-level kinds gets one more list per unused kind and location (unmanaged resources are looked for there).');
} finally {
  client.close();
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
}
