/**
 * Planning 1,000 runs under one experiment that all exist already: API calls and wall time of
 * `makePlan` (one list per parent collection, pages of 1,000) against the baseline of one GET
 * per resource (10 in flight), on the emulator with a simulated network latency per request.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, type Operation } from '../src/api/client.js';
import { startEmulator } from '../src/emulator/index.js';
import { loadStack } from '../src/manifest/index.js';
import { makePlan } from '../src/plan/index.js';
import { newStateDoc } from '../src/state/index.js';

const RUNS = 1000;
const LATENCIES_MS = [0, 25];
const PARENT = 'projects/bench/locations/us-central1';

function manifest(): string {
  const where = `      - { name: projectsId, value: bench }\n      - { name: locationsId, value: us-central1 }\n`;
  const inBoard = `${where}      - { name: tensorboardsId, value: '{{ board.tensorboardsId }}' }\n`;
  const out = [
    'version: 1\nname: bench-plan\nresources:\n',
    `  - name: board\n    type: google.aiplatform.tensorboards\n    props:\n${where}      - { name: displayName, value: board }\n`,
    `  - name: exp\n    type: google.aiplatform.experiments\n    props:\n${inBoard}      - { name: experimentsId, value: exp }\n      - { name: displayName, value: exp }\n`,
  ];
  for (let i = 0; i < RUNS; i++) {
    out.push(
      `  - name: run-${i}\n    type: google.aiplatform.runs\n    props:\n${inBoard}      - { name: experimentsId, value: '{{ exp.experimentsId }}' }\n      - { name: runsId, value: run-${i} }\n      - { name: displayName, value: run ${i} }\n`,
    );
  }
  return out.join('');
}

const emulator = await startEmulator({ port: 0, operationDelayMs: 1 });
const client = new ApiClient({ endpoint: emulator.url, maxInFlightPerHost: 10 });
const dir = mkdtempSync(join(tmpdir(), 'vertexctl-bench-plan-'));
try {
  // The resources, made through the API directly.
  const op = await client.request<Operation>({ api: 'aiplatform', method: 'POST', path: `v1/${PARENT}/tensorboards`, body: { displayName: 'board' } });
  const board = String((await client.waitOperation('aiplatform', op)).response!.name);
  const exp = `${board}/experiments/exp`;
  await client.request({ api: 'aiplatform', method: 'POST', path: `v1/${board}/experiments`, query: { tensorboardExperimentId: 'exp' }, body: { displayName: 'exp' } });
  await client.request({
    api: 'aiplatform',
    method: 'POST',
    path: `v1/${exp}/runs:batchCreate`,
    body: { requests: Array.from({ length: RUNS }, (_, i) => ({ parent: exp, tensorboardRunId: `run-${i}`, tensorboardRun: { displayName: `run ${i}` } })) },
  });
  writeFileSync(join(dir, 'stack.yaml'), manifest());
  const stack = await loadStack([dir], { environment: {} });
  const state = newStateDoc(stack.name);
  state.resources.board = { type: 'google.aiplatform.tensorboards', name: board, id: board.split('/').pop()!, props: {}, outputs: {} };
  const names = [board, exp, ...Array.from({ length: RUNS }, (_, i) => `${exp}/runs/run-${i}`)];

  const rows: string[] = [];
  for (const latencyMs of LATENCIES_MS) {
    emulator.configure({ latencyMs });

    emulator.resetStats();
    let start = performance.now();
    const plan = await makePlan(stack, { client, stateDoc: state, refresh: true });
    const planMs = performance.now() - start;
    const planCalls = emulator.stats().requests.total;
    if (plan.summary['no-op'] !== RUNS + 2) throw new Error(`expected ${RUNS + 2} no-ops, got ${JSON.stringify(plan.summary)}`);

    emulator.resetStats();
    start = performance.now();
    await Promise.all(names.map((name) => client.request({ api: 'aiplatform', method: 'GET', path: `v1/${name}` })));
    const getMs = performance.now() - start;
    const getCalls = emulator.stats().requests.total;

    rows.push(`| ${String(latencyMs).padStart(10)} | plan: list per parent      | ${String(planCalls).padStart(9)} | ${planMs.toFixed(0).padStart(7)} |`);
    rows.push(`| ${String(latencyMs).padStart(10)} | baseline: GET per resource | ${String(getCalls).padStart(9)} | ${getMs.toFixed(0).padStart(7)} |`);
  }
  console.log(`plan of ${RUNS} runs under one experiment (+ tensorboard, experiment), all existing; 10 requests in flight\n`);
  console.log('| latency ms | refresh                    | API calls | wall ms |');
  console.log('|-----------:|----------------------------|----------:|--------:|');
  for (const r of rows) console.log(r);
} finally {
  client.close();
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
}
