import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destroyPlan } from '../src/plan/destroy.js';
import { executePlan, isSuccess } from '../src/apply/executor.js';
import { summaryLines } from '../src/apply/progress.js';
import type { ApplyEvent, ApplySummary } from '../src/apply/types.js';
import type { ApiClient } from '../src/api/client.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { isOwnedBy } from '../src/kinds/labels.js';
import { loadStack } from '../src/manifest/index.js';
import { makePlan } from '../src/plan/index.js';
import type { Plan } from '../src/plan/types.js';
import { StateStore, openState } from '../src/state/index.js';
import { changesOf, inventory, planNow, removeScratchDirs, scratchDir } from './apply.support.js';
import { LOCATION, PROJECT, allKinds, manifestText, testClient, withProps, type ResourceSpec } from './plan-fixtures.js';

/**
 * The applier in this process against the emulator over HTTP: every kind through create,
 * update, replace, prune and destroy, with "apply, then plan: no changes" after each.
 */

let emulator: RunningEmulator;
let client: ApiClient;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, operationDelayMs: 5, jobPhaseMs: 10 });
  client = testClient(emulator.url);
});
afterAll(async () => {
  client.close();
  await emulator.close();
  removeScratchDirs();
});

interface Run {
  plan: Plan;
  summary: ApplySummary;
  events: ApplyEvent[];
  store: StateStore;
}

class Workspace {
  readonly dir = scratchDir('apply');
  readonly file = join(this.dir, 'stack.yaml');
  constructor(readonly stackName: string) {}

  async apply(specs: ResourceSpec[], opts: { waitJobs?: boolean } = {}): Promise<Run> {
    writeFileSync(this.file, manifestText(this.stackName, specs));
    const stack = await loadStack([this.file], { environment: {} });
    const store = await StateStore.open(openState(this.dir, stack.name), stack.name);
    const plan = await makePlan(stack, { client, stateDoc: store.doc, refresh: true });
    return this.execute(plan, store, opts);
  }

  async destroy(): Promise<Run> {
    const store = await StateStore.open(openState(this.dir, this.stackName), this.stackName);
    return this.execute(destroyPlan(store.doc), store, {});
  }

  private async execute(plan: Plan, store: StateStore, opts: { waitJobs?: boolean }): Promise<Run> {
    const events: ApplyEvent[] = [];
    const summary = await executePlan(
      plan,
      { client, store, waitJobs: !!opts.waitJobs, live: new Map() },
      { parallelism: 4, stepTimeoutMs: 30_000, onEvent: (e) => events.push(e) },
    );
    return { plan, summary, events, store };
  }

  async changes(): Promise<string[]> {
    return changesOf(await planNow([this.file], this.dir, client));
  }
}

const ALL = allKinds().map((r) => r.name);

describe('apply with every kind', () => {
  const ws = new Workspace('kinds');
  let specs = allKinds();

  it('creates everything, records each address, and a new plan has no changes', async () => {
    const run = await ws.apply(specs);
    expect(run.summary.failed).toEqual([]);
    expect(summaryLines(run.summary)).toEqual([`Apply complete: ${ALL.length} created, 0 updated, 0 replaced, 0 deleted.`]);
    expect(Object.keys(run.store.doc.resources).sort()).toEqual([...ALL].sort());
    for (const e of Object.values(run.store.doc.resources)) {
      expect(e.pending).toBeUndefined();
      expect(e.name).toMatch(/^projects\/p1\/locations\/us-central1\//);
    }
    // Server-chosen ids are outputs that references resolved at apply time.
    const board = run.store.doc.resources.training;
    expect(board.outputs.tensorboardsId).toBe(board.id);
    expect(run.store.doc.resources.baseline.name).toBe(`${board.name}/experiments/baseline`);
    // Ownership labels on every kind that has labels.
    const live = await inventory(client, PROJECT, LOCATION);
    for (const [address, e] of Object.entries(run.store.doc.resources)) {
      const item = live.get(e.name)!;
      expect(item, address).toBeDefined();
      if (item.kind.labelsPath) expect(isOwnedBy(item.kind, item.body, { stack: 'kinds' }, address), address).toBe(true);
    }
    expect(live.size).toBe(ALL.length);
    expect(await ws.changes()).toEqual([]);
  });

  it('patches what changed, writes new metric points, and converges', async () => {
    specs = withProps(specs, 'training', (p) => (p.displayName = 'training v2'));
    specs = withProps(specs, 'baseline', (p) => (p.labels = { tier: 'prod' }));
    specs = withProps(specs, 'run-a', (p) => delete p.description);
    specs = withProps(specs, 'loss', (p) => (p.dataPoints as unknown[]).push({ step: 3, wallTime: '2024-05-01T11:00:00Z', scalar: { value: 0.5 } }));
    const run = await ws.apply(specs);
    expect(run.summary.failed).toEqual([]);
    expect(run.summary).toMatchObject({ created: 0, updated: 4, replaced: 0, deleted: 0 });
    const live = await inventory(client, PROJECT, LOCATION);
    const board = live.get(run.store.doc.resources.training.name)!;
    expect(board.body.displayName).toBe('training v2');
    expect(board.body.labels).toMatchObject({ team: 'vision', 'vertexctl-stack': 'kinds', 'vertexctl-address': 'training' });
    expect(live.get(run.store.doc.resources['run-a'].name)!.body.description).toBeUndefined();
    expect(await ws.changes()).toEqual([]);
  });

  it('replaces jobs and immutable fields: a custom job is submitted anew and the old one cancelled and deleted', async () => {
    const before = await StateStore.open(openState(ws.dir, 'kinds'), 'kinds');
    const oldJob = before.doc.resources.trainer.name;
    specs = withProps(specs, 'trainer', (p) => ((p.jobSpec as { scheduling: unknown }).scheduling = { timeout: '3600s' }));
    specs = withProps(specs, 'nightly-eval', (p) => (p.displayName = 'nightly eval v2'));
    specs = withProps(specs, 'weekly-report', (p) => (p.description = 'weekly report v2'));
    specs = withProps(specs, 'loss', (p) => (p.pluginName = 'scalars-v2'));
    const run = await ws.apply(specs);
    expect(run.summary.failed).toEqual([]);
    expect(run.summary).toMatchObject({ created: 0, updated: 0, replaced: 4, deleted: 0 });
    const newJob = run.store.doc.resources.trainer.name;
    expect(newJob).not.toBe(oldJob);
    const live = await inventory(client, PROJECT, LOCATION);
    expect(live.has(oldJob)).toBe(false);
    expect([...live.values()].filter((i) => i.kind.type === 'google.aiplatform.custom_jobs')).toHaveLength(1);
    expect(live.get(run.store.doc.resources['nightly-eval'].name)!.body.displayName).toBe('nightly eval v2');
    expect(live.get(run.store.doc.resources.loss.name)!.body.pluginName).toBe('scalars-v2');
    expect(run.store.doc.resources.trainer.pending).toBeUndefined();
    expect(await ws.changes()).toEqual([]);
  });

  it('prunes what left the manifests, children before parents', async () => {
    specs = specs.filter((s) => s.name !== 'loss' && s.name !== 'run-a' && s.name !== 'weekly-report');
    const run = await ws.apply(specs);
    expect(run.summary.failed).toEqual([]);
    expect(run.summary).toMatchObject({ created: 0, deleted: 3 });
    const order = run.events.filter((e) => e.event === 'step-done').map((e) => (e as { address: string }).address);
    expect(order.indexOf('loss')).toBeLessThan(order.indexOf('run-a'));
    expect(Object.keys(run.store.doc.resources).sort()).toEqual(['baseline', 'nightly-eval', 'trainer', 'training']);
    expect((await inventory(client, PROJECT, LOCATION)).size).toBe(4);
    expect(await ws.changes()).toEqual([]);
  });

  it('destroys the rest with one call for a tensorboard and what is under it', async () => {
    emulator.resetStats();
    const run = await ws.destroy();
    expect(run.summary.failed).toEqual([]);
    expect(summaryLines(run.summary, 'Destroy')).toEqual(['Destroy complete: 3 deleted; 1 more deleted with its parent.']);
    expect(run.store.doc.resources).toEqual({});
    expect((await inventory(client, PROJECT, LOCATION)).size).toBe(0);
    // tensorboard (with its experiment), custom job, notebook execution job
    expect(emulator.stats().requests.byMethod.DELETE).toBe(3);
  });
});

describe('apply failures', () => {
  const stackOf = (specs: ResourceSpec[]) => specs.map((s) => (s.name === 'nightly-eval' ? { ...s, props: { ...s.props, displayName: 'eval after training' } } : s));

  it('a job that ends FAILED fails its step with the job\'s message (--wait-jobs); its dependents are skipped, the rest finishes', async () => {
    const ws = new Workspace('waitjobs');
    // nightly-eval runs after the trainer
    const specs = stackOf(allKinds()).map((s) => (s.name === 'nightly-eval' ? { ...s, props: { ...s.props, labels: { after: '{{ trainer.customJobsId }}' } } } : s));
    emulator.failJobs({ displayNamePattern: '^trainer$', message: 'Replica worker-0 exited with a non-zero status of 137 (out of memory)' });
    const run = await ws.apply(specs.map((s) => (s.props.projectsId ? { ...s, props: { ...s.props, projectsId: 'p-wait' } } : s)), { waitJobs: true });
    expect(isSuccess(run.summary)).toBe(false);
    expect(run.summary.failed).toEqual([
      { address: 'trainer', error: expect.stringMatching(/^job projects\/p-wait\/locations\/us-central1\/customJobs\/\d+ ended JOB_STATE_FAILED: Replica worker-0 exited with a non-zero status of 137 \(out of memory\); to run it again, apply with --replace trainer$/) },
    ]);
    expect(run.summary.skipped).toEqual([{ address: 'nightly-eval', reason: 'depends on trainer, which failed' }]);
    // The failed job exists, so it is recorded; independent branches finished.
    expect(run.store.doc.resources.trainer.outputs.state).toBe('JOB_STATE_FAILED');
    expect(Object.keys(run.store.doc.resources).sort()).toEqual(['baseline', 'loss', 'run-a', 'trainer', 'training', 'weekly-report']);
    const lines = summaryLines(run.summary);
    expect(lines[0]).toBe('Apply failed: 5 created, 0 updated, 0 replaced, 0 deleted; 1 failed, 1 skipped.');
    expect(lines[1]).toMatch(/^ {2}trainer: job .* ended JOB_STATE_FAILED: Replica worker-0/);
  });
});

describe('environments of one stack', () => {
  it('never adopt or prune each other: ownership labels carry the environment', async () => {
    const dir = scratchDir('envs');
    const file = join(dir, 'stack.yaml');
    const board: ResourceSpec = {
      name: 'board',
      type: 'google.aiplatform.tensorboards',
      props: { projectsId: 'p-envs', locationsId: LOCATION, displayName: 'shared project board' },
    };
    writeFileSync(file, manifestText('envs', [board]));
    const applyEnv = async (env: string): Promise<Plan> => {
      const stack = await loadStack([file], { environment: {}, env });
      const store = await StateStore.open(openState(dir, stack.name, env), stack.name, env);
      const plan = await makePlan(stack, { client, stateDoc: store.doc, refresh: true });
      const summary = await executePlan(
        plan,
        { client, store, waitJobs: false, live: new Map() },
        { parallelism: 2, stepTimeoutMs: 30_000, onEvent: () => {} },
      );
      expect(summary.failed).toEqual([]);
      return plan;
    };
    expect(changesOf(await applyEnv('dev'))).toEqual(['create board']);
    // prd starts from an empty state in the same project: dev's labelled board is not its own.
    expect(changesOf(await applyEnv('prd'))).toEqual(['create board']);
    const boards = [...(await inventory(client, 'p-envs', LOCATION)).values()];
    expect(boards).toHaveLength(2);
    expect(boards.filter((b) => isOwnedBy(b.kind, b.body, { stack: 'envs', env: 'dev' }, 'board'))).toHaveLength(1);
    expect(boards.filter((b) => isOwnedBy(b.kind, b.body, { stack: 'envs', env: 'prd' }, 'board'))).toHaveLength(1);
  });
});
