import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../src/api/client.js';
import { UserError } from '../src/core/errors.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { ownershipLabels } from '../src/kinds/labels.js';
import { checkPlanFresh, makePlan, readPlanFile, refreshForPlan, renderPlanText, toPlanJson, writePlanFile } from '../src/plan/index.js';
import type { Plan } from '../src/plan/types.js';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import {
  allKinds,
  createDirect,
  settle,
  stackOf,
  stateFor,
  tempDir,
  testClient,
  withProps,
  type ResourceSpec,
} from './plan-fixtures.js';

let emulator: RunningEmulator;
let client: ApiClient;
let dir: string;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, operationDelayMs: 2, jobPhaseMs: 2 });
  client = testClient(emulator.url);
});

afterAll(async () => {
  client.close();
  await emulator.close();
});

// Every test works in its own project, so resources of one never show up in another.
let project = 0;
function inProject(specs: ResourceSpec[]): ResourceSpec[] {
  const p = `proj-${++project}`;
  return specs.map((s) => ({ ...s, props: { ...s.props, projectsId: p } }));
}

beforeEach(() => {
  dir = tempDir('plan');
});

afterEach(() => {
  emulator.configure({ faults: undefined });
  emulator.resetStats();
});

function actions(plan: Plan): Record<string, string> {
  return Object.fromEntries(plan.steps.map((s) => [s.address, s.action]));
}

function writes(): number {
  const { byMethod } = emulator.stats().requests;
  return Object.entries(byMethod).reduce((n, [m, c]) => (m === 'GET' ? n : n + c), 0);
}

describe('plan against the emulator', () => {
  it('plans every create for a new stack, without a single write call', async () => {
    const stack = await stackOf(dir, 'fresh', inProject(allKinds()));
    emulator.resetStats();
    const plan = await makePlan(stack, { client, stateDoc: null, refresh: true });
    expect(plan.summary).toEqual({ create: 7, update: 0, replace: 0, delete: 0, record: 0, adopt: 0, 'no-op': 0 });
    expect(writes()).toBe(0);
    const byAddress = new Map(plan.steps.map((s) => [s.address, s]));
    // Server-chosen ids are not known yet; client-chosen ones are.
    expect(byAddress.get('training')!.name).toBeUndefined();
    expect(byAddress.get('nightly-eval')!.name).toBe(`projects/proj-${project}/locations/us-central1/notebookExecutionJobs/nightly-eval`);
    // An experiment under a tensorboard still to be created cannot be listed, and need not be.
    expect(byAddress.get('baseline')!.fields).toContainEqual({ path: 'displayName', after: 'Baseline' });
    expect(byAddress.get('trainer')!.fields).toContainEqual({ path: 'jobSpec.tensorboard', unknown: true });
    expect(byAddress.get('baseline')!.after).toEqual(['training']);
    expect(byAddress.get('loss')!.after.sort()).toEqual(['baseline', 'run-a', 'training']);
  });

  it('is all no-op once the resources exist and state records them', async () => {
    const stack = await stackOf(dir, 'existing', inProject(allKinds()));
    const created = await createDirect(client, stack);
    await settle();
    emulator.resetStats();
    const plan = await makePlan(stack, { client, stateDoc: stateFor(stack, created), refresh: true });
    expect(plan.summary).toEqual({ create: 0, update: 0, replace: 0, delete: 0, record: 0, adopt: 0, 'no-op': 7 });
    expect(plan.steps.every((s) => s.inState)).toBe(true);
    expect(writes()).toBe(0);
    // One list per parent collection; metric points equal to state's need no read.
    expect(emulator.stats().requests.byPathKind?.['timeSeries.read']).toBeUndefined();
    expect(renderPlanText(plan, { color: false })).toContain('No changes. Live resources match the manifests.');
  });

  it('is all adopt without state: server-chosen ids are found by ownership labels, jobs compared on the fields set', async () => {
    const stack = await stackOf(dir, 'adopt', inProject(allKinds()));
    const created = await createDirect(client, stack);
    await settle();
    const plan = await makePlan(stack, { client, stateDoc: null, refresh: true });
    expect(actions(plan)).toEqual(Object.fromEntries(stack.resources.map((r) => [r.address, 'adopt'])));
    expect(plan.steps.every((s) => !s.inState)).toBe(true);
    const byId = stack.resources.filter((r) => r.kind.idChosenBy === 'client').map((r) => r.address);
    for (const s of plan.steps) expect(s.reasonCode, s.address).toBe(byId.includes(s.address) ? 'found_by_id' : 'found_by_labels');
    expect(plan.steps.find((s) => s.address === 'training')!.name).toBe(created.get('training')!.name);
    expect(renderPlanText(plan, { color: false })).toMatch(/= training \(google\.aiplatform\.tensorboards\) exists and will be recorded in state/);
  });

  it('leaves alone what carries no ownership labels and has a server-chosen id (it is not ours)', async () => {
    const stack = await stackOf(dir, 'foreign', inProject(allKinds()).slice(0, 1));
    await createDirect(client, stack, false);
    const plan = await makePlan(stack, { client, stateDoc: null, refresh: true });
    expect(actions(plan)).toEqual({ training: 'create' });
  });

  it('shows a changed displayName as an update with updateMask ["displayName"]', async () => {
    const specs = inProject(allKinds());
    const stack = await stackOf(dir, 'rename', specs);
    const created = await createDirect(client, stack);
    const state = stateFor(stack, created);
    const renamed = await stackOf(dir, 'rename', withProps(specs, 'baseline', (p) => (p.displayName = 'Baseline v2')));
    const plan = await makePlan(renamed, { client, stateDoc: state, refresh: true });
    const step = plan.steps.find((s) => s.address === 'baseline')!;
    expect(step).toMatchObject({ action: 'update', updateMask: ['displayName'], fields: [{ path: 'displayName', before: 'Baseline', after: 'Baseline v2' }] });
    expect(plan.summary).toMatchObject({ update: 1, 'no-op': 6 });
    const text = renderPlanText(plan, { color: false });
    expect(text).toContain('~ displayName: "Baseline" → "Baseline v2"');
    expect(text).toContain('Plan: 0 to create, 1 to update, 0 to replace, 0 to destroy.');
  });

  it('replaces an experiment whose source changed, and what lives under it', async () => {
    const specs = inProject(allKinds());
    const stack = await stackOf(dir, 'source', specs);
    const created = await createDirect(client, stack);
    const changed = await stackOf(dir, 'source', withProps(specs, 'baseline', (p) => (p.source = 'pipeline')));
    const plan = await makePlan(changed, { client, stateDoc: stateFor(stack, created), refresh: true });
    const byAddress = new Map(plan.steps.map((s) => [s.address, s]));
    expect(byAddress.get('baseline')).toMatchObject({
      action: 'replace',
      reason: 'source is immutable',
      reasonCode: 'immutable_field',
      // The same name is reused: the old experiment must go first.
      order: 'delete-first',
      fields: [{ path: 'source', before: 'notebook', after: 'pipeline', forcesReplace: true }],
    });
    expect(byAddress.get('run-a')).toMatchObject({ action: 'replace', order: 'delete-first', reason: 'parent "baseline" is replaced', reasonCode: 'parent_replaced' });
    expect(byAddress.get('loss')).toMatchObject({ action: 'replace', order: 'delete-first', reason: 'parent "run-a" is replaced', reasonCode: 'parent_replaced' });
    expect(byAddress.get('training')!.action).toBe('no-op');
    expect(renderPlanText(plan, { color: false })).toContain('-/+ baseline (google.aiplatform.experiments) must be replaced (source is immutable)');
  });

  it('deletes what state holds and the manifests dropped (children first), and labelled orphans', async () => {
    const specs = inProject(allKinds());
    const stack = await stackOf(dir, 'prune', specs);
    const created = await createDirect(client, stack);
    const state = stateFor(stack, created);
    // A run an apply created and died before recording: only its ownership labels say it is ours.
    await client.request({
      api: 'aiplatform',
      method: 'POST',
      path: `v1/${created.get('baseline')!.name}/runs`,
      query: { tensorboardRunId: 'ghost' },
      body: { displayName: 'ghost', labels: ownershipLabels({ stack: 'prune' }, 'ghost') },
    });
    // Someone else's run under the same experiment is not ours to delete.
    await client.request({
      api: 'aiplatform',
      method: 'POST',
      path: `v1/${created.get('baseline')!.name}/runs`,
      query: { tensorboardRunId: 'theirs' },
      body: { displayName: 'theirs', labels: ownershipLabels({ stack: 'another-stack' }, 'run-a') },
    });
    // Dropped too, but with deletionPolicy abandon: it stays, only state forgets it.
    const kept = `${created.get('baseline')!.name}/runs/kept`;
    await client.request({ api: 'aiplatform', method: 'POST', path: `v1/${created.get('baseline')!.name}/runs`, query: { tensorboardRunId: 'kept' }, body: { displayName: 'kept' } });
    state.resources.kept = { type: 'google.aiplatform.runs', name: kept, id: 'kept', props: {}, outputs: {}, deletionPolicy: 'abandon' };
    const fewer = await stackOf(dir, 'prune', specs.filter((s) => s.name !== 'run-a' && s.name !== 'loss'));
    const plan = await makePlan(fewer, { client, stateDoc: state, refresh: true });
    const byAddress = new Map(plan.steps.map((s) => [s.address, s]));
    expect(byAddress.get('kept')).toMatchObject({ action: 'delete', name: kept, reason: 'deletionPolicy abandon: removed from state only, the resource is kept' });
    expect(plan.steps.some((s) => s.name?.endsWith('/runs/theirs'))).toBe(false);
    expect(byAddress.get('run-a')).toMatchObject({ action: 'delete', name: created.get('run-a')!.name, after: ['loss'] });
    expect(byAddress.get('loss')).toMatchObject({ action: 'delete', name: created.get('loss')!.name, after: [] });
    expect(byAddress.get('ghost')).toMatchObject({ action: 'delete', inState: false });
    expect(plan.summary).toMatchObject({ delete: 4, 'no-op': 5 });
    // Deletes are listed children first.
    const order = plan.steps.map((s) => s.address);
    expect(order.indexOf('loss')).toBeLessThan(order.indexOf('run-a'));
    expect(renderPlanText(plan, { color: false })).toContain('Plan: 0 to create, 0 to update, 0 to replace, 4 to destroy.');
  });

  it('refuses to delete or replace a protected resource, naming why', async () => {
    const specs = inProject(allKinds()).map((s) => (s.name === 'baseline' ? { ...s, protected: true } : s));
    const stack = await stackOf(dir, 'guarded', specs);
    const created = await createDirect(client, stack);
    const state = stateFor(stack, created);
    state.resources['run-a'].protected = true;
    const changed = await stackOf(
      dir,
      'guarded',
      withProps(specs, 'baseline', (p) => (p.source = 'pipeline')).filter((s) => s.name !== 'run-a' && s.name !== 'loss'),
    );
    const err = await makePlan(changed, { client, stateDoc: state, refresh: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    const lines = (err as UserError).message.split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/stack\.yaml:\d+:\d+: resource "baseline": is protected; it would be replaced because source is immutable$/));
    expect(lines).toContain('resource "run-a": is protected; it would be deleted because it was removed from the manifests');
  });

  it('refuses to adopt a resource that another stack owns', async () => {
    const specs = inProject(allKinds()).slice(0, 3);
    const stack = await stackOf(dir, 'mine', specs);
    const created = await createDirect(client, { ...stack, name: 'other-team' });
    const state = stateFor(stack, created);
    delete state.resources['run-a'];
    const err = await makePlan(stack, { client, stateDoc: state, refresh: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(
      /stack\.yaml:\d+:\d+: resource "run-a": projects\/.*\/runs\/run-a belongs to stack "other-team", no environment \(its ownership labels say so\); refusing to adopt it: give this resource another id, or take it over on purpose with: vertexctl import run-a projects\/.*\/runs\/run-a$/,
    );
  });

  it('clears what the user removed (three-way), skips ignoreChanges and masks sensitive values', async () => {
    const specs = inProject(allKinds());
    const stack = await stackOf(dir, 'three-way', specs);
    const created = await createDirect(client, stack);
    const state = stateFor(stack, created);
    let next = withProps(specs, 'run-a', (p) => delete p.description);
    next = withProps(next, 'training', (p) => {
      p.labels = {};
      p.displayName = 'renamed outside';
    });
    next = next.map((s) => (s.name === 'training' ? { ...s, ignoreChanges: ['displayName'] } : s));
    next = withProps(next, 'baseline', (p) => (p.description = 'secret plan'));
    next = next.map((s) => (s.name === 'baseline' ? { ...s, sensitive: ['description'] } : s));
    const plan = await makePlan(await stackOf(dir, 'three-way', next), { client, stateDoc: state, refresh: true });
    const byAddress = new Map(plan.steps.map((s) => [s.address, s]));
    expect(byAddress.get('run-a')).toMatchObject({ action: 'update', updateMask: ['description'], fields: [{ path: 'description', before: 'first' }] });
    expect(byAddress.get('run-a')!.fields![0].after).toBeUndefined();
    // Our ownership labels are never a change; the user's `team` label is removed.
    expect(byAddress.get('training')).toMatchObject({ action: 'update', updateMask: ['labels'], fields: [{ path: 'labels.team', before: 'vision' }] });
    const json = JSON.stringify(toPlanJson(plan));
    expect(json).not.toContain('secret plan');
    expect(toPlanJson(plan).changes.find((c) => c.address === 'baseline')!.fields).toEqual([
      { path: 'description', after: '(sensitive)', sensitive: true },
    ]);
    expect(renderPlanText(plan, { color: false })).toContain('+ description: (sensitive)');
  });

  it('plans from state alone with refresh off: no API call at all', async () => {
    const specs = inProject(allKinds());
    const stack = await stackOf(dir, 'offline', specs);
    const created = await createDirect(client, stack);
    const state = stateFor(stack, created);
    emulator.resetStats();
    const renamed = await stackOf(dir, 'offline', withProps(specs, 'run-a', (p) => (p.displayName = 'x')));
    const plan = await makePlan(renamed, { stateDoc: state, refresh: false });
    expect(emulator.stats().requests.total).toBe(0);
    expect(plan.summary).toMatchObject({ update: 1, 'no-op': 6 });
    expect(plan.fingerprints).toEqual({});
  });

  it('plans only the targets and what they depend on', async () => {
    const specs = inProject(allKinds());
    const stack = await stackOf(dir, 'targets', specs);
    const plan = await makePlan(stack, { client, stateDoc: null, refresh: true, targets: ['run-a'] });
    expect(plan.steps.map((s) => s.address).sort()).toEqual(['baseline', 'run-a', 'training']);
    await expect(makePlan(stack, { client, stateDoc: null, refresh: true, targets: ['nope'] })).rejects.toThrow('--target "nope": no such address');
  });
});

describe('calls are few', () => {
  it('plans 1,000 runs under one experiment with a handful of list calls, not 1,000 GETs', async () => {
    const board: ResourceSpec[] = inProject(allKinds()).slice(0, 2);
    const runs: ResourceSpec[] = Array.from({ length: 1000 }, (_, i) => ({
      name: `run-${i}`,
      type: 'google.aiplatform.runs',
      props: { ...board[1].props, experimentsId: '{{ baseline.experimentsId }}', runsId: `run-${i}`, displayName: `run ${i}` },
    }));
    for (const r of runs) {
      delete r.props.source;
      delete r.props.labels;
    }
    const small = await stackOf(dir, 'many', board);
    const created = await createDirect(client, small);
    const experiment = created.get('baseline')!.name;
    // The runs go in through one batchCreate call (the API's limit is 1,000).
    await client.request({
      api: 'aiplatform',
      method: 'POST',
      path: `v1/${experiment}/runs:batchCreate`,
      body: { requests: runs.map((r) => ({ parent: experiment, tensorboardRunId: r.props.runsId, tensorboardRun: { displayName: r.props.displayName } })) },
    });
    const stack = await stackOf(dir, 'many', [...board, ...runs]);
    const state = stateFor(small, created);
    emulator.resetStats();
    const plan = await makePlan(stack, { client, stateDoc: state, refresh: true });
    // The runs were created outside vertexctl: they are found by id and taken into state.
    expect(plan.summary).toMatchObject({ 'no-op': 2, adopt: 1000, create: 0, update: 0 });
    const { byMethod, total } = emulator.stats().requests;
    expect(Object.keys(byMethod)).toEqual(['GET']);
    // tensorboards, experiments, runs: one list call each (1,000 runs fit one page).
    expect(total).toBeLessThanOrEqual(5);
  });
});

describe('failures', () => {
  it('still plans under a seeded 429/503 fault profile (retries)', async () => {
    const stack = await stackOf(dir, 'flaky', inProject(allKinds()));
    const created = await createDirect(client, stack);
    const state = stateFor(stack, created);
    emulator.configure({ faults: { seed: 42, rate429: 0.3, rate503: 0.3, retryAfterSeconds: 0 } });
    const log: string[] = [];
    const flaky = new ApiClient({ endpoint: emulator.url, retryBaseMs: 5, debug: (line) => log.push(line) });
    const plan = await makePlan(stack, { client: flaky, stateDoc: state, refresh: true });
    flaky.close();
    expect(plan.summary).toMatchObject({ 'no-op': 7 });
    // Faults were injected, and retried.
    expect(log.filter((l) => / (429|503) .*retry in/.test(l)).length).toBeGreaterThan(0);
  });

  it('gives up with one clear line when the API keeps failing', async () => {
    const stack = await stackOf(dir, 'down', inProject(allKinds()));
    emulator.configure({ faults: { seed: 1, rate503: 1, retryAfterSeconds: 0 } });
    const err = await makePlan(stack, { client: testClient(emulator.url, { retries: 2 }), stateDoc: null, refresh: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/^refresh failed: cannot list google\.[a-z_.]+ in projects\/proj-\d+\/locations\/us-central1: 503 UNAVAILABLE: .* \(gave up after 3 attempts\)$/);
  });
});

describe('stale plans and plan files', () => {
  it('finds a plan stale when a live resource or the state changed after it was made', async () => {
    const stack = await stackOf(dir, 'stale', inProject(allKinds()));
    const created = await createDirect(client, stack);
    const state = stateFor(stack, created);
    await settle();
    const plan = await makePlan(stack, { client, stateDoc: state, refresh: true });
    expect(checkPlanFresh(plan, state, await refreshForPlan(plan, state, client))).toEqual([]);

    await client.request({
      api: 'aiplatform',
      method: 'PATCH',
      path: `v1/${created.get('run-a')!.name}`,
      query: { updateMask: 'displayName' },
      body: { displayName: 'changed by someone' },
    });
    const moved = { ...state, serial: state.serial + 1 };
    expect(checkPlanFresh(plan, moved, await refreshForPlan(plan, moved, client))).toEqual([
      `the state changed since the plan was made (serial 1, now 2)`,
      'resource "run-a" changed since the plan was made',
    ]);
  });

  it('writes and reads back plan files, and refuses files that are not plans', async () => {
    const stack = await stackOf(dir, 'file', inProject(allKinds()));
    const plan = await makePlan(stack, { client, stateDoc: null, refresh: true });
    const file = join(dir, 'plan.json');
    const saved = { ...plan, target: { endpoint: 'http://127.0.0.1:1/', state: dir } };
    await writePlanFile(file, saved);
    expect(await readPlanFile(file)).toEqual(JSON.parse(JSON.stringify(saved)));
    const bogus = join(dir, 'bogus.json');
    writeFileSync(bogus, '{"formatVersion": 1}');
    await expect(readPlanFile(bogus)).rejects.toThrow(`${bogus}: not a vertexctl plan file (no "kind": "vertexctl-plan"); refusing the plan file`);
    await expect(readPlanFile(join(dir, 'missing.json'))).rejects.toThrow(/cannot read the plan file: ENOENT/);
  });
});

describe('plan JSON', () => {
  it('has exactly the DESIGN.md shape', async () => {
    const stack = await stackOf(dir, 'json', inProject(allKinds()));
    const json = toPlanJson(await makePlan(stack, { client, stateDoc: null, refresh: true }));
    expect(Object.keys(json)).toEqual(['formatVersion', 'changes', 'summary']);
    expect(Object.keys(json.summary)).toEqual(['create', 'update', 'replace', 'delete', 'record', 'adopt', 'no-op']);
    const allowed = new Set(['address', 'type', 'action', 'name', 'order', 'updateMask', 'reason', 'reasonCode', 'fields']);
    for (const c of json.changes) for (const k of Object.keys(c)) expect(allowed.has(k), k).toBe(true);
    expect(json.changes.map((c) => c.action)).toEqual(Array(7).fill('create'));
    expect(json.changes.find((c) => c.address === 'run-a')).toMatchObject({ type: 'google.aiplatform.runs', action: 'create' });
  });
});
