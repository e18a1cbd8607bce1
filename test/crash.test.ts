import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../src/api/client.js';
import { mulberry32 } from '../src/emulator/faults.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { ADDRESS_LABEL, STACK_LABEL, labelsOf } from '../src/kinds/labels.js';
import { executePlan } from '../src/apply/executor.js';
import { loadStack } from '../src/manifest/index.js';
import { makePlan } from '../src/plan/index.js';
import { StateStore, openState } from '../src/state/index.js';
import { changesOf, finished, inventory, planNow, removeScratchDirs, runCli, scratchDir, spawnCli, until } from './apply.support.js';
import { manifestText, testClient, type ResourceSpec } from './plan-fixtures.js';

/**
 * kill -9 of the CLI at random moments of an apply of 121 resources, then apply again: the live
 * resources match the manifests, with no duplicates and no orphans, and state lists each
 * address once. The emulator runs in this process, so it outlives the killed CLI.
 */

const LOCATION = 'us-central1';
const RUNS = 100;
const SERIES = 12;
const JOBS = 3;

let emulator: RunningEmulator;
let client: ApiClient;
/** Requests an uninterrupted apply of each variant makes: kill moments are drawn from these. */
const requestsOf = { first: 0, second: 0 };

/** Applies in this process, to count the requests of an apply that is not interrupted. */
async function applyInProcess(dir: string, name: string): Promise<number> {
  const before = emulator.stats().requests.total;
  const stack = await loadStack([dir], { environment: {} });
  const store = await StateStore.open(openState(dir, name), name);
  const plan = await makePlan(stack, { client, stateDoc: store.doc, refresh: true });
  const summary = await executePlan(plan, { client, store, waitJobs: false, live: new Map() }, { parallelism: 10, stepTimeoutMs: 60_000, onEvent: () => undefined });
  expect(summary.failed).toEqual([]);
  return emulator.stats().requests.total - before;
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, latencyMs: 2, operationDelayMs: 10, jobPhaseMs: 20 });
  client = testClient(emulator.url);
  const dir = scratchDir('crash-calibration');
  for (const variant of ['first', 'second'] as const) {
    writeFileSync(join(dir, 'stack.yaml'), manifestText('calibration', bigStack('calibration', variant)));
    requestsOf[variant] = await applyInProcess(dir, 'calibration');
  }
});
afterAll(async () => {
  client.close();
  await emulator.close();
  removeScratchDirs();
});

function bigStack(project: string, variant: 'first' | 'second'): ResourceSpec[] {
  const where = { projectsId: project, locationsId: LOCATION };
  const board = { ...where, tensorboardsId: '{{ board.tensorboardsId }}' };
  const specs: ResourceSpec[] = [{ name: 'board', type: 'google.aiplatform.tensorboards', props: { ...where, displayName: 'board' } }];
  for (let e = 0; e < 3; e++) {
    specs.push({ name: `exp-${e}`, type: 'google.aiplatform.experiments', props: { ...board, experimentsId: `exp-${e}`, displayName: `experiment ${e}` } });
  }
  // The second variant drops 20 runs (and their series), renames 10 and replaces a job.
  const runs = variant === 'first' ? RUNS : RUNS - 20;
  for (let r = 0; r < runs; r++) {
    const renamed = variant === 'second' && r < 10 ? ' (renamed)' : '';
    specs.push({
      name: `run-${r}`,
      type: 'google.aiplatform.runs',
      props: { ...board, experimentsId: `{{ exp-${r % 3}.experimentsId }}`, runsId: `run-${r}`, displayName: `run ${r}${renamed}` },
    });
  }
  for (let s = 0; s < SERIES; s++) {
    const run = variant === 'first' ? s : RUNS - 20 - SERIES + s;
    specs.push({
      name: `loss-${run}`,
      type: 'google.aiplatform.time_series',
      props: {
        ...board,
        experimentsId: `{{ exp-${run % 3}.experimentsId }}`,
        runsId: `{{ run-${run}.runsId }}`,
        timeSeriesId: 'loss',
        displayName: 'loss',
        valueType: 'SCALAR',
        dataPoints: Array.from({ length: 30 }, (_, i) => ({ step: i + 1, scalar: { value: 1 / (i + 1) } })),
      },
    });
  }
  for (let j = 0; j < JOBS; j++) {
    const image = variant === 'second' && j === 0 ? 'gcr.io/p/trainer:2' : 'gcr.io/p/trainer:1';
    specs.push({
      name: `job-${j}`,
      type: 'google.aiplatform.custom_jobs',
      props: {
        ...where,
        displayName: `job ${j}`,
        jobSpec: { workerPoolSpecs: [{ machineSpec: { machineType: 'n1-standard-4' }, replicaCount: 1, containerSpec: { imageUri: image } }], tensorboard: '{{ board.name }}' },
      },
    });
  }
  specs.push({
    name: 'eval',
    type: 'google.aiplatform.notebook_execution_jobs',
    props: { ...where, notebookExecutionJobsId: 'eval', displayName: 'eval', gcsNotebookSource: { uri: 'gs://b/eval.ipynb' }, gcsOutputUri: 'gs://b/out' },
  });
  specs.push({
    name: 'report',
    type: 'google.notebooks.executions',
    props: { ...where, executionsId: 'report', executionTemplate: { scaleTier: 'BASIC', inputNotebookFile: 'gs://b/r.ipynb', outputNotebookFolder: 'gs://b/r', containerImageUri: 'gcr.io/x/y' } },
  });
  return specs;
}

/** Runs apply, killing it with SIGKILL once the emulator has seen `afterRequests` more requests. */
async function applyKilledAfter(args: string[], afterRequests: number): Promise<void> {
  const start = emulator.stats().requests.total;
  const child = spawnCli(args);
  child.stdin!.end();
  const done = finished(child);
  let exited = false;
  void done.then(() => (exited = true));
  await until(() => exited || emulator.stats().requests.total - start >= afterRequests, 60_000, 'the apply to make progress');
  if (!exited) child.kill('SIGKILL');
  const res = await done;
  expect(res.signal === 'SIGKILL' || res.code === 0, res.stderr).toBe(true);
}

async function expectConverged(dir: string, project: string, stack: string, specs: ResourceSpec[]): Promise<void> {
  expect(changesOf(await planNow([dir], dir, client))).toEqual([]);
  const doc = (await openState(dir, stack).read())!;
  const addresses = specs.map((s) => s.name).sort();
  expect(Object.keys(doc.resources).sort()).toEqual(addresses);
  const names = Object.values(doc.resources).map((e) => e.name);
  expect(new Set(names).size).toBe(names.length);
  expect(Object.values(doc.resources).filter((e) => e.pending)).toEqual([]);
  const live = await inventory(client, project, LOCATION);
  // Nothing live that state does not name: no twins, no orphans.
  expect([...live.keys()].sort()).toEqual([...names].sort());
  for (const item of live.values()) {
    const labels = labelsOf(item.kind, item.body);
    if (item.kind.labelsPath) expect(labels?.[STACK_LABEL], item.name).toBe(stack);
    if (labels?.[ADDRESS_LABEL]) expect(doc.resources[labels[ADDRESS_LABEL]].name).toBe(item.name);
  }
}

describe('kill -9 during apply, then apply again', () => {
  // CRASH_SEEDS=4,5,6 explores other kill moments.
  const seeds = process.env.CRASH_SEEDS ? process.env.CRASH_SEEDS.split(',').map(Number) : [1, 2, 3];
  for (const seed of seeds) {
    it(`converges without duplicates or orphans (seed ${seed})`, async () => {
      const random = mulberry32(seed);
      const project = `crash-${seed}`;
      const dir = scratchDir(`crash-${seed}`);
      const args = ['apply', dir, '--auto-approve', '--state', dir, '--endpoint', emulator.url];

      const first = bigStack(project, 'first');
      writeFileSync(join(dir, 'stack.yaml'), manifestText(project, first));
      await applyKilledAfter(args, 1 + Math.floor(random() * requestsOf.first));
      await applyKilledAfter(args, 1 + Math.floor(random() * requestsOf.first));
      const completed = await runCli(args);
      expect(completed.stderr.replace(/^Broke a stale state lock.*\n/, '')).toBe('');
      expect(completed.code).toBe(0);
      await expectConverged(dir, project, project, first);

      // Deletes, updates and a job replace, killed half-way too.
      const second = bigStack(project, 'second');
      writeFileSync(join(dir, 'stack.yaml'), manifestText(project, second));
      await applyKilledAfter(args, 1 + Math.floor(random() * requestsOf.second));
      const again = await runCli(args);
      expect(again.code, again.stderr).toBe(0);
      await expectConverged(dir, project, project, second);
      // Five applies of 121 resources: on a loaded machine this takes more than the default minute.
    }, 240_000);
  }
});
