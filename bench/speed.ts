/**
 * Speed against the physical limit and Terraform's call pattern, in one process run against one
 * emulator with 20 ms latency per request: no-op plan and create of 1,000 and 10,000 runs, how
 * long after an operation is done each notices it, validate of 5,000 resources (CPU) and
 * start-up of the built CLI beside bare node, and the 1,000,000-point metric sync. Prints one table
 * and writes bench/results.json.
 *
 *   Terraform pattern: refresh GETs every resource; create POSTs each one and GETs it back;
 *   10 in flight; operations polled after a first wait of 2 s, then every 10 s (the Google provider).
 *   Official client: what a script on Google's generated Node.js client (@google-cloud/aiplatform,
 *   REST transport) does: get each run, create it when the get says NOT_FOUND; 10 in flight.
 *   Physical limit: the fewest calls that can do it (list pages, batchCreate of 1,000), all in parallel.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import aiplatform from '@google-cloud/aiplatform';
import { PassThroughClient } from 'google-auth-library';
import { ApiClient, type Operation } from '../src/api/client.js';
import { executePlan } from '../src/apply/executor.js';
import { startEmulator } from '../src/emulator/index.js';
import { loadStack } from '../src/manifest/index.js';
import { makePlan } from '../src/plan/index.js';
import { StateStore, openState } from '../src/state/index.js';
import { POINTS, RUNS, TAGS, runPhase, writeStack } from './support/metric-stack.js';

const LATENCY_MS = 20;
const SIZES = [1000, 10_000];
const BATCH = 1000;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'vertexctl-bench-speed-'));

interface Row {
  what: string;
  vertexctlMs: number;
  terraformMs?: number;
  officialMs?: number;
  physicalMs?: number;
  vertexctlCalls?: number;
  terraformCalls?: number;
  officialCalls?: number;
  physicalCalls?: number;
}
const rows: Row[] = [];

function manifest(project: string, runs: number): string {
  const where = `      - { name: projectsId, value: ${project} }\n      - { name: locationsId, value: us-central1 }\n`;
  const inBoard = `${where}      - { name: tensorboardsId, value: '{{ board.tensorboardsId }}' }\n`;
  const out = [
    `version: 1\nname: ${project}\nresources:\n`,
    `  - name: board\n    type: google.aiplatform.tensorboards\n    props:\n${where}      - { name: displayName, value: board }\n`,
    `  - name: exp\n    type: google.aiplatform.experiments\n    props:\n${inBoard}      - { name: experimentsId, value: exp }\n      - { name: displayName, value: exp }\n`,
  ];
  for (let i = 0; i < runs; i++) {
    out.push(`  - name: run-${i}\n    type: google.aiplatform.runs\n    props:\n${inBoard}      - { name: experimentsId, value: '{{ exp.experimentsId }}' }\n      - { name: runsId, value: run-${i} }\n      - { name: displayName, value: run ${i} }\n`);
  }
  return out.join('');
}

async function pool<T>(items: T[], inFlight: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

const emulator = await startEmulator({ port: 0, operationDelayMs: 1, latencyMs: LATENCY_MS });
// quotas off: the emulator enforces none here, and the Terraform pattern is not paced either
const client = new ApiClient({ endpoint: emulator.url, maxInFlightPerHost: 10, quotas: { 'resource-management': null, 'job-submissions': null, 'tensorboard-writes': null } });
const wide = new ApiClient({ endpoint: emulator.url, maxInFlightPerHost: 1000, quotas: { 'resource-management': null, 'job-submissions': null, 'tensorboard-writes': null } });
const official = new aiplatform.v1.TensorboardServiceClient({ apiEndpoint: '127.0.0.1', port: emulator.port, protocol: 'http', fallback: true, authClient: new PassThroughClient() as never });
const calls = () => emulator.stats().requests.total;
const collectGarbage = () => {
  if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc (npm run bench does)');
  globalThis.gc();
};

/** The official client's get-or-create of every run: a get, and a create where the get finds nothing. */
function officialGetOrCreate(experiment: string, ids: number[]): Promise<void> {
  return pool(ids, 10, async (i) => {
    try {
      await official.getTensorboardRun({ name: `${experiment}/runs/run-${i}` });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
      await official.createTensorboardRun({ parent: experiment, tensorboardRunId: `run-${i}`, tensorboardRun: { displayName: `run ${i}` } });
    }
  });
}
/**
 * One measured section. Each starts from a collected heap, as a CLI run starts in a fresh
 * process: otherwise one section pays for the garbage the one before it left (the Terraform
 * pattern's 20,000 requests, say). bench/run.ts gives node --expose-gc.
 */
async function timed(fn: () => Promise<unknown>): Promise<{ ms: number; calls: number }> {
  collectGarbage();
  emulator.resetStats();
  const start = performance.now();
  await fn();
  return { ms: performance.now() - start, calls: calls() };
}

try {
  for (const runs of SIZES) {
    const project = `speed-${runs}`;
    const file = join(dir, `${project}.yaml`);
    writeFileSync(file, manifest(project, runs));
    const stack = await loadStack([file], { environment: {} });

    // create: vertexctl's apply of a new stack
    const store = await StateStore.open(openState(join(dir, project), project), project);
    const createPlan = await makePlan(stack, { client, stateDoc: store.doc, refresh: true });
    const created = await timed(() => executePlan(createPlan, { client, store, waitJobs: false, live: new Map() }, { parallelism: 10, stepTimeoutMs: 600_000, onEvent: () => undefined }));
    const board = String(store.doc.resources.board.name);
    const exp = `${board}/experiments/exp`;

    // create: the Terraform pattern (a POST and a read-back GET per run, 10 in flight) and the physical limit (batchCreate of 1,000, all at once)
    const tfExp = `${board}/experiments/tf`;
    const physExp = `${board}/experiments/phys`;
    const offExp = `${board}/experiments/official`;
    for (const e of ['tf', 'phys', 'official']) await client.request({ api: 'aiplatform', method: 'POST', path: `v1/${board}/experiments`, query: { tensorboardExperimentId: e }, body: {} });
    const ids = Array.from({ length: runs }, (_, i) => i);
    const tfCreate = await timed(() =>
      pool(ids, 10, async (i) => {
        await client.request({ api: 'aiplatform', method: 'POST', path: `v1/${tfExp}/runs`, query: { tensorboardRunId: `run-${i}` }, body: { displayName: `run ${i}` } });
        await client.request({ api: 'aiplatform', method: 'GET', path: `v1/${tfExp}/runs/run-${i}` });
      }),
    );
    const batches = Array.from({ length: Math.ceil(runs / BATCH) }, (_, b) => ids.slice(b * BATCH, (b + 1) * BATCH));
    const physCreate = await timed(() =>
      Promise.all(batches.map((batch) =>
        wide.request({ api: 'aiplatform', method: 'POST', path: `v1/${physExp}/runs:batchCreate`, body: { requests: batch.map((i) => ({ parent: physExp, tensorboardRunId: `run-${i}`, tensorboardRun: { displayName: `run ${i}` } })) } }),
      )),
    );
    const offCreate = await timed(() => officialGetOrCreate(offExp, ids));
    rows.push({ what: `create ${runs.toLocaleString('en')} runs`, vertexctlMs: created.ms, vertexctlCalls: created.calls, terraformMs: tfCreate.ms, terraformCalls: tfCreate.calls, officialMs: offCreate.ms, officialCalls: offCreate.calls, physicalMs: physCreate.ms, physicalCalls: physCreate.calls });

    // no-op plan: vertexctl's refresh, a GET per resource, and the list walks all at once
    const noop = await timed(async () => {
      const plan = await makePlan(stack, { client, stateDoc: store.doc, refresh: true });
      if (plan.summary['no-op'] !== runs + 2) throw new Error(`expected ${runs + 2} no-ops, got ${JSON.stringify(plan.summary)}`);
    });
    const names = [board, exp, ...ids.map((i) => `${exp}/runs/run-${i}`)];
    const tfRefresh = await timed(() => pool(names, 10, (name) => client.request({ api: 'aiplatform', method: 'GET', path: `v1/${name}` })));
    const loc = `projects/${project}/locations/us-central1`;
    const physRefresh = await timed(() =>
      Promise.all([
        wide.list({ api: 'aiplatform', path: `v1/${loc}/tensorboards`, itemsField: 'tensorboards' }),
        wide.list({ api: 'aiplatform', path: `v1/${board}/experiments`, itemsField: 'tensorboardExperiments' }),
        wide.list({ api: 'aiplatform', path: `v1/${exp}/runs`, itemsField: 'tensorboardRuns' }),
      ].map(async (items) => {
        for await (const _ of items) void _;
      })),
    );
    // the official client's loop again: every run exists now, so it is a get each
    const offNoop = await timed(() => officialGetOrCreate(offExp, ids));
    rows.push({ what: `no-op plan ${runs.toLocaleString('en')} runs`, vertexctlMs: noop.ms, vertexctlCalls: noop.calls, terraformMs: tfRefresh.ms, terraformCalls: tfRefresh.calls, officialMs: offNoop.ms, officialCalls: offNoop.calls, physicalMs: physRefresh.ms, physicalCalls: physRefresh.calls });
  }

  // operation completion: an LRO done 2.5 s after it starts; vertexctl long-polls operations:wait,
  // the Google provider first waits 2 s, then polls every 10 s
  const OP_MS = 2500;
  emulator.configure({ operationDelayMs: OP_MS });
  const loc = 'projects/speed-ops/locations/us-central1';
  let start = Date.now();
  const op = await client.request<Operation>({ api: 'aiplatform', method: 'POST', path: `v1/${loc}/tensorboards`, body: { displayName: 'op' } });
  await client.waitOperation('aiplatform', op);
  const vertexctlLate = Date.now() - start - OP_MS;
  start = Date.now();
  let tfOp = await client.request<Operation>({ api: 'aiplatform', method: 'POST', path: `v1/${loc}/tensorboards`, body: { displayName: 'op-tf' } });
  await new Promise((r) => setTimeout(r, 2000));
  for (;;) {
    tfOp = await client.request<Operation>({ api: 'aiplatform', method: 'GET', path: `v1/${tfOp.name}` });
    if (tfOp.done) break;
    await new Promise((r) => setTimeout(r, 10_000));
  }
  const terraformLate = Date.now() - start - OP_MS;
  rows.push({ what: 'operation done → noticed', vertexctlMs: Math.max(0, vertexctlLate), terraformMs: Math.max(0, terraformLate), physicalMs: LATENCY_MS });

  // 1,000,000 metric points (100 series × 10,000, CSV files) synced into this emulator, apply then
  // the no-op plan, each in a process of its own (bench/metric-data.ts has the whole table).
  emulator.configure({ operationDelayMs: 1 });
  const metricDir = join(dir, 'metric');
  writeStack(metricDir, 'speed-metric', 'csv');
  emulator.resetStats();
  const metricApply = await runPhase('apply', metricDir, emulator.url);
  const metricApplyCalls = calls();
  emulator.resetStats();
  const metricPlan = await runPhase('plan', metricDir, emulator.url);
  if (metricApply.failed || metricPlan.changes) throw new Error('metric sync: apply failed or the plan after it is not empty');
  const points = (RUNS * TAGS * POINTS).toLocaleString('en');
  rows.push({ what: `metric sync ${points} points: apply (target < 5 s, < 300 MB; ${Math.round(metricApply.peakRssMb)} MB)`, vertexctlMs: metricApply.wallMs, vertexctlCalls: metricApplyCalls });
  rows.push({ what: `metric sync ${points} points: no-op plan (target < 1 s, < 200 MB; ${Math.round(metricPlan.peakRssMb)} MB)`, vertexctlMs: metricPlan.wallMs, vertexctlCalls: calls() });

} finally {
  client.close();
  wide.close();
  await official.close();
  await emulator.close();
}

// The built CLI as a user runs it (npm run build, then plain node), built afresh so the figures
// are the current code's: start-up beside bare node (best wall time of 5), and validate of 5,000
// resources (best CPU of 5, the child's own user + system) beside bare node's CPU in the same spawn.
function bestMs(args: string[]): number {
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    spawnSync(process.execPath, args, { cwd: root, stdio: 'ignore' });
    best = Math.min(best, performance.now() - start);
  }
  return best;
}
const childCpu = pathToFileURL(join(root, 'bench/support/child-cpu.mjs')).href;
function bestCpuMs(args: string[]): number {
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const res = spawnSync(process.execPath, ['--import', childCpu, ...args], { cwd: root, stdio: ['ignore', 'ignore', 'inherit', 'pipe'] });
    const cpu = Number(res.output[3]?.toString());
    if (res.status !== 0 || !Number.isFinite(cpu)) throw new Error(`node ${args.join(' ')}: exit ${res.status}, no CPU time reported`);
    best = Math.min(best, cpu);
  }
  return best;
}
const main = join(root, 'dist/bin/vertexctl.js');
if (spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' }).status !== 0) throw new Error('build failed');
const nodeMs = bestMs(['-e', '0']);
const one = join(dir, 'one.yaml');
writeFileSync(one, manifest('speed-one', 0).replace(/  - name: exp[\s\S]*$/, ''));
rows.push({ what: 'start-up: --version (vs bare node)', vertexctlMs: bestMs([main, '--version']), physicalMs: nodeMs });
rows.push({ what: 'start-up: validate 1 resource (vs bare node)', vertexctlMs: bestMs([main, 'validate', one]), physicalMs: nodeMs });
const big = join(dir, 'validate.yaml');
writeFileSync(big, manifest('speed-validate', 4998));
rows.push({ what: 'validate 5,000 resources: CPU of the built CLI (vs bare node\'s CPU)', vertexctlMs: bestCpuMs([main, 'validate', big]), physicalMs: bestCpuMs(['-e', '0']) });
rmSync(dir, { recursive: true, force: true });

const ms = (v?: number) => (v === undefined ? '' : v.toFixed(0));
const ratio = (a?: number, b?: number) => (a === undefined || b === undefined || b === 0 ? '' : `${(a / b).toFixed(1)}×`);
console.log(`one emulator, ${LATENCY_MS} ms latency per request; ms wall (CPU where noted); calls in ()\n`);
console.log('| what | vertexctl ms | Terraform pattern ms | official client ms | physical limit / bare node ms | Terraform ÷ vertexctl | official ÷ vertexctl | vertexctl ÷ limit |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const c = (n?: number) => (n === undefined ? '' : ` (${n})`);
  console.log(`| ${r.what} | ${ms(r.vertexctlMs)}${c(r.vertexctlCalls)} | ${ms(r.terraformMs)}${c(r.terraformCalls)} | ${ms(r.officialMs)}${c(r.officialCalls)} | ${ms(r.physicalMs)}${c(r.physicalCalls)} | ${ratio(r.terraformMs, r.vertexctlMs)} | ${ratio(r.officialMs, r.vertexctlMs)} | ${ratio(r.vertexctlMs, r.physicalMs)} |`);
}
console.log('\ntargets (issue #15): start-up ≤ 2× node; no-op plan of 10,000 ≥ 40× faster than Terraform and ≤ 10× the limit; create of 10,000 ≤ 3× the limit; validate of 5,000 < 400 ms CPU; operation noticed within 50 ms');
writeFileSync(join(root, 'bench/results.json'), `${JSON.stringify({ latencyMs: LATENCY_MS, measuredAt: new Date().toISOString(), rows }, null, 2)}\n`);
