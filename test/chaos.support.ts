import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiClient } from '../src/api/client.js';
import { mulberry32 } from '../src/emulator/faults.js';
import type { RunningEmulator } from '../src/emulator/index.js';
import { ADDRESS_LABEL, ENV_LABEL, STACK_LABEL, labelsOf } from '../src/kinds/labels.js';
import { openState } from '../src/state/index.js';
import { changesOf, finished, inventory, planNow, runCli, spawnCli, until } from './apply.support.js';
import { manifestText, type ResourceSpec } from './plan-fixtures.js';

/**
 * The chaos run of `npm run chaos` and its two-seed version in `npm test`: applies of a
 * 170-resource stack with metric points, killed with SIGKILL at random moments, against an
 * emulator that answers slowly (30–80 ms) and fails on purpose (10% 503, 5% 429, 2% connection
 * resets); then an apply to completion, and the checks: no twins, no orphans, state addresses
 * equal manifest addresses, every metric step live exactly once with the manifest's value, and
 * an empty plan. The emulator runs in the caller's process, so it outlives the killed CLI.
 */

export const CHAOS_FAULTS = { rate503: 0.1, rate429: 0.05, rateReset: 0.02, retryAfterSeconds: 0 };
export const CHAOS_LATENCY = { latencyMs: 30, jitterMs: 50 };
const LOCATION = 'us-central1';
const KILLS = 3;
const POINTS = 25;

/**
 * 1 board, 4 experiments, 120 runs, 40 time series with points, 3 custom jobs, 1 notebook
 * execution job, 1 notebooks execution. Each `version` renames the runs and series and adds a
 * point to every series, so every apply of a new version has work enough to be killed in.
 */
export function chaosStack(project: string, version = 0): ResourceSpec[] {
  const v = version ? ` v${version}` : '';
  const where = { projectsId: project, locationsId: LOCATION };
  const board = { ...where, tensorboardsId: '{{ board.tensorboardsId }}' };
  const specs: ResourceSpec[] = [{ name: 'board', type: 'google.aiplatform.tensorboards', props: { ...where, displayName: 'chaos board' } }];
  for (let e = 0; e < 4; e++) {
    specs.push({ name: `exp-${e}`, type: 'google.aiplatform.experiments', props: { ...board, experimentsId: `exp-${e}`, displayName: `experiment ${e}` } });
  }
  for (let r = 0; r < 120; r++) {
    specs.push({
      name: `run-${r}`,
      type: 'google.aiplatform.runs',
      props: { ...board, experimentsId: `{{ exp-${r % 4}.experimentsId }}`, runsId: `run-${r}`, displayName: `run ${r}${v}` },
    });
  }
  for (let s = 0; s < 40; s++) {
    specs.push({
      name: `loss-${s}`,
      type: 'google.aiplatform.time_series',
      props: {
        ...board,
        experimentsId: `{{ exp-${s % 4}.experimentsId }}`,
        runsId: `{{ run-${s}.runsId }}`,
        timeSeriesId: 'loss',
        displayName: `loss${v}`,
        valueType: 'SCALAR',
        dataPoints: Array.from({ length: POINTS + version }, (_, i) => ({ step: i + 1, scalar: { value: pointValue(s, i + 1) } })),
      },
    });
  }
  for (let j = 0; j < 3; j++) {
    specs.push({
      name: `job-${j}`,
      type: 'google.aiplatform.custom_jobs',
      props: {
        ...where,
        displayName: `job ${j}`,
        jobSpec: { workerPoolSpecs: [{ machineSpec: { machineType: 'n1-standard-4' }, replicaCount: 1, containerSpec: { imageUri: 'gcr.io/p/trainer:1' } }], tensorboard: '{{ board.name }}' },
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

function pointValue(series: number, step: number): number {
  return Math.round((1000 / (step + series)) * 1000) / 1000;
}

/** Runs `vertexctl ARGS`, killing it with SIGKILL once the emulator has seen `afterRequests` more requests; whether it was killed. */
export async function applyKilledAfter(emulator: RunningEmulator, args: string[], afterRequests: number): Promise<boolean> {
  const start = emulator.stats().requests.total;
  const child = spawnCli(args);
  child.stdin!.end();
  const done = finished(child);
  let exited = false;
  void done.then(() => (exited = true));
  await until(() => exited || emulator.stats().requests.total - start >= afterRequests, 300_000, 'the apply to make progress');
  if (!exited) child.kill('SIGKILL');
  const res = await done;
  if (res.signal !== 'SIGKILL' && res.code !== 0) throw new Error(`apply failed before it was killed: ${res.stderr.trim()}`);
  return res.signal === 'SIGKILL';
}

/** Every way the stack, state and live resources disagree; empty when the apply converged. */
export async function convergenceProblems(client: ApiClient, dir: string, project: string, stack: string, specs: ResourceSpec[]): Promise<string[]> {
  const problems: string[] = [];
  const changes = changesOf(await planNow([dir], dir, client));
  if (changes.length) problems.push(`the plan is not empty: ${changes.join(', ')}`);
  const doc = await openState(dir, stack).read();
  if (!doc) return [...problems, 'no state'];
  const want = specs.map((s) => s.name).sort();
  const have = Object.keys(doc.resources).sort();
  if (want.join() !== have.join()) {
    problems.push(`state addresses differ from the manifest: missing ${want.filter((a) => !have.includes(a)).join(',') || '-'}, extra ${have.filter((a) => !want.includes(a)).join(',') || '-'}`);
  }
  const pending = Object.entries(doc.resources).filter(([, e]) => e.pending).map(([a]) => a);
  if (pending.length) problems.push(`pending in state: ${pending.join(', ')}`);
  const names = Object.values(doc.resources).map((e) => e.name);
  const live = await inventory(client, project, LOCATION);
  const orphans = [...live.keys()].filter((n) => !names.includes(n));
  const gone = names.filter((n) => !live.has(n));
  if (orphans.length) problems.push(`${orphans.length} live resources state does not name (twins or orphans): ${orphans.slice(0, 5).join(', ')}`);
  if (gone.length) problems.push(`${gone.length} state entries name nothing live: ${gone.slice(0, 5).join(', ')}`);
  for (const item of live.values()) {
    const labels = labelsOf(item.kind, item.body);
    if (item.kind.labelsPath && (labels?.[STACK_LABEL] !== stack || labels[ENV_LABEL] !== '')) problems.push(`${item.name}: ownership labels ${JSON.stringify(labels)}`);
    if (labels?.[ADDRESS_LABEL] && doc.resources[labels[ADDRESS_LABEL]]?.name !== item.name) problems.push(`${item.name}: labelled "${labels[ADDRESS_LABEL]}", which state places elsewhere`);
  }
  // Every metric step exactly once, with the manifest's value.
  for (const spec of specs.filter((s) => Array.isArray(s.props.dataPoints))) {
    const name = doc.resources[spec.name]?.name;
    if (!name) continue;
    const points = await exportedPoints(client, name);
    const want = new Map((spec.props.dataPoints as { step: number; scalar: { value: number } }[]).map((p) => [p.step, p.scalar.value]));
    const seen = new Map<number, number>();
    for (const p of points) {
      const step = Number(p.step);
      seen.set(step, (seen.get(step) ?? 0) + 1);
      if (!want.has(step)) problems.push(`${spec.name}: step ${step} is not in the manifest`);
      else if (Number(p.scalar?.value) !== want.get(step)) problems.push(`${spec.name}: step ${step} is ${p.scalar?.value}, the manifest says ${want.get(step)}`);
    }
    for (const step of want.keys()) if ((seen.get(step) ?? 0) !== 1) problems.push(`${spec.name}: step ${step} is live ${seen.get(step) ?? 0} times`);
  }
  return problems;
}

/** A series' live points as the API lists them (duplicates kept). */
async function exportedPoints(client: ApiClient, name: string): Promise<{ step?: string | number; scalar?: { value?: number } }[]> {
  const out: { step?: string | number; scalar?: { value?: number } }[] = [];
  let pageToken: string | undefined;
  do {
    const res = await client.request<{ timeSeriesDataPoints?: typeof out; nextPageToken?: string }>({
      api: 'aiplatform',
      method: 'POST',
      path: `v1/${name}:exportTensorboardTimeSeries`,
      body: { pageSize: 10000, ...(pageToken && { pageToken }) },
    });
    out.push(...(res.timeSeriesDataPoints ?? []));
    pageToken = res.nextPageToken || undefined;
  } while (pageToken);
  return out;
}

export interface SeedResult {
  seed: number;
  kills: number;
  requests: number;
  seconds: number;
  problems: string[];
}

/**
 * One seed: three applies killed at random moments (drawn from the seed), under latency and
 * faults; then an apply to completion and the checks (faults off, so the checks read cleanly).
 * Each attempt applies a new version of the stack; an apply that finished before its kill moment
 * is followed by another version, so every seed has exactly three kills.
 */
export async function chaosSeed(emulator: RunningEmulator, client: ApiClient, scratch: string, seed: number): Promise<SeedResult> {
  const started = Date.now();
  const before = emulator.stats().requests.total;
  const random = mulberry32(seed);
  const project = `chaos-${seed}`;
  let specs = chaosStack(project);
  const args = ['apply', scratch, '--auto-approve', '--state', scratch, '--endpoint', emulator.url];
  emulator.configure({ ...CHAOS_LATENCY, faults: { seed, ...CHAOS_FAULTS } });
  let kills = 0;
  const problems: string[] = [];
  try {
    for (let version = 0; kills < KILLS && version < 3 * KILLS; version++) {
      specs = chaosStack(project, version);
      writeFileSync(join(scratch, 'stack.yaml'), manifestText(project, specs));
      // The first apply creates everything (about 300 requests under these faults); a later
      // version patches or creates at least the 40 series and writes their points.
      const moment = 1 + Math.floor(random() * (version === 0 ? 300 : 60));
      if (await applyKilledAfter(emulator, args, moment)) kills++;
    }
    if (kills < KILLS) problems.push(`only ${kills} of ${KILLS} applies were killed before they finished`);
    const completed = await runCli(args);
    if (completed.code !== 0) problems.push(`the apply to completion failed: ${completed.stderr.trim()}`);
  } finally {
    emulator.configure({ latencyMs: 0, jitterMs: 0, faults: undefined });
  }
  problems.push(...(await convergenceProblems(client, scratch, project, project, specs)));
  return { seed, kills, requests: emulator.stats().requests.total - before, seconds: Math.round((Date.now() - started) / 100) / 10, problems };
}
