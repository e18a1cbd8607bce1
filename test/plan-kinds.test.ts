import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApiClient } from '../src/api/client.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { makePlan, renderPlanText } from '../src/plan/index.js';
import type { PlannedStep } from '../src/plan/types.js';
import type { StateDoc } from '../src/state/index.js';
import {
  allKinds,
  createDirect,
  settle,
  stackOf,
  stateFor,
  tempDir,
  testClient,
  withProps,
  writePoints,
  type Created,
  type ResourceSpec,
} from './plan-fixtures.js';

/**
 * Per kind: what a change to the manifest plans, against resources made through the emulator's
 * API directly (with server defaults, int64 strings, canonical durations and job states).
 */

// Manifest props are free-form YAML values.
type Props = Record<string, any>;

let emulator: RunningEmulator;
let client: ApiClient;
let specs: ResourceSpec[];
let created: Map<string, Created>;
let state: StateDoc;
let dir: string;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, operationDelayMs: 2, jobPhaseMs: 2 });
  client = testClient(emulator.url);
  dir = tempDir('plan-kinds');
  specs = allKinds();
  const stack = await stackOf(dir, 'kinds', specs);
  created = await createDirect(client, stack);
  state = stateFor(stack, created);
  // Jobs run to a terminal state; the notebook one fails. Neither may matter to the plan.
  emulator.failJobs({ displayNamePattern: '^nightly eval$', message: 'kernel died' });
  await settle(100);
});

afterAll(async () => {
  client.close();
  await emulator.close();
});

beforeEach(() => emulator.resetStats());

async function planFor(change: ResourceSpec[], opts: { stateDoc?: StateDoc | null } = {}): Promise<Map<string, PlannedStep>> {
  const stack = await stackOf(dir, 'kinds', change);
  const plan = await makePlan(stack, { client, stateDoc: opts.stateDoc === undefined ? state : opts.stateDoc, refresh: true });
  // Plan writes nothing: GETs, and exportTensorboardTimeSeries (a POST that reads metric points).
  const calls = Object.keys(emulator.stats().requests.byPathKind ?? {});
  expect(calls.filter((k) => !/\.(list|get|exportTensorboardTimeSeries)$/.test(k))).toEqual([]);
  return new Map(plan.steps.map((s) => [s.address, s]));
}

function onlyChange(steps: Map<string, PlannedStep>, address: string): PlannedStep {
  for (const [a, s] of steps) if (a !== address && !['no-op'].includes(s.action)) expect.fail(`${a} is ${s.action}, expected no-op`);
  return steps.get(address)!;
}

describe.each(['training', 'baseline', 'run-a', 'loss'])('patchable kind of "%s"', (address) => {
  it('plans a changed displayName as an update with updateMask ["displayName"]', async () => {
    const steps = await planFor(withProps(specs, address, (p) => (p.displayName = 'renamed')));
    expect(onlyChange(steps, address)).toMatchObject({
      action: 'update',
      updateMask: ['displayName'],
      fields: [{ path: 'displayName', after: 'renamed' }],
      name: created.get(address)!.name,
    });
  });
});

describe.each([
  ['trainer', 'custom_jobs', (p: Props): void => void (p.jobSpec.workerPoolSpecs[0].machineSpec.machineType = 'n1-standard-8'), 'jobSpec.workerPoolSpecs[0].machineSpec.machineType'],
  ['nightly-eval', 'notebook_execution_jobs', (p: Props): void => void (p.gcsOutputUri = 'gs://b/out2'), 'gcsOutputUri'],
  ['weekly-report', 'executions', (p: Props): void => void (p.executionTemplate.masterType = 'n1-standard-8'), 'executionTemplate.masterType'],
] as const)('job kind "%s"', (address, kindName, change, path) => {
  it('is left alone whatever its state while its spec is unchanged', async () => {
    const steps = await planFor(specs);
    expect(steps.get(address)).toMatchObject({ action: 'no-op', inState: true });
  });

  it('is replaced, never patched, when its spec changes, with the reason and the field path', async () => {
    const steps = await planFor(withProps(specs, address, change));
    const step = onlyChange(steps, address);
    expect(step).toMatchObject({ action: 'replace', fields: [{ path, forcesReplace: true }] });
    expect(step.reason).toBe(`google.${kindName === 'executions' ? 'notebooks' : 'aiplatform'}.${kindName} cannot be updated in place; changed: ${path}`);
    expect(step.updateMask).toBeUndefined();
  });

  it('without state, is compared with the live job on the fields the manifest sets (server defaults are no change)', async () => {
    const adopted = await planFor(specs, { stateDoc: null });
    expect(adopted.get(address)).toMatchObject({ action: 'adopt', inState: false });
    const changed = await planFor(withProps(specs, address, change), { stateDoc: null });
    expect(changed.get(address)).toMatchObject({ action: 'replace', fields: [{ path }] });
  });
});

describe('immutable fields', () => {
  it.each([
    ['loss', 'valueType', 'TENSOR'],
    ['loss', 'pluginName', 'histograms'],
    ['baseline', 'source', 'pipeline'],
  ])('%s: a changed %s is a replace, and says so', async (address, field, value) => {
    const steps = await planFor(withProps(specs, address, (p) => (p[field] = value)));
    expect(steps.get(address)).toMatchObject({ action: 'replace', reason: `${field} is immutable` });
  });

  it('a field that cannot be patched on a patchable kind is a replace naming it', async () => {
    // isDefault is updatable on tensorboards; encryptionSpec is documented immutable.
    const steps = await planFor(withProps(specs, 'training', (p) => (p.encryptionSpec = { kmsKeyName: 'projects/p1/locations/us-central1/keyRings/r/cryptoKeys/k' })));
    expect(steps.get('training')).toMatchObject({ action: 'replace', reason: 'encryptionSpec.kmsKeyName is immutable' });
    // Everything under the tensorboard goes with it.
    for (const child of ['baseline', 'run-a', 'loss']) expect(steps.get(child)!.action).toBe('replace');
    // The custom job refers to the tensorboard's name, known only after apply: a new job.
    expect(steps.get('trainer')).toMatchObject({ action: 'replace', fields: [{ path: 'jobSpec.tensorboard', unknown: true }] });
  });
});

describe('metric points of a time series', () => {
  const morePoints = (p: Record<string, unknown>) => {
    p.dataPoints = [...(p.dataPoints as unknown[]), { step: 3, wallTime: '2024-05-01T10:10:00Z', scalar: { value: 0.5 } }];
  };

  it('plans the points the series lacks as an update without a patch', async () => {
    const steps = await planFor(withProps(specs, 'loss', morePoints));
    expect(onlyChange(steps, 'loss')).toMatchObject({
      action: 'update',
      fields: [{ path: 'dataPoints', after: { points: 3, add: 1, change: 0, stay: 0 } }],
    });
    expect(steps.get('loss')!.updateMask).toBeUndefined();
    expect(renderPlanText({ steps: [...steps.values()] }, { color: false })).toContain('~ dataPoints: + 1 point');
    expect(emulator.stats().requests.byPathKind?.['timeSeries.exportTensorboardTimeSeries']).toBe(1);
  });

  it('reads the series only when the manifest differs from state; points already there are only recorded', async () => {
    expect((await planFor(specs)).get('loss')!.action).toBe('no-op');
    expect(emulator.stats().requests.byPathKind?.['timeSeries.exportTensorboardTimeSeries']).toBeUndefined();
    const loss = created.get('loss')!;
    await writePoints(client, loss.name, 'SCALAR', [{ step: '3', wallTime: '2024-05-01T10:10:00.000Z', scalar: { value: 0.5 } }]);
    emulator.resetStats();
    const steps = await planFor(withProps(specs, 'loss', morePoints));
    // Nothing to write; state's digest is brought up to date.
    expect(steps.get('loss')).toMatchObject({ action: 'update', fields: [{ path: 'dataPoints', after: { points: 3, add: 0, change: 0, stay: 0 } }] });
    expect(emulator.stats().requests.byPathKind?.['timeSeries.exportTensorboardTimeSeries']).toBe(1);
  });
});

describe('resources changed or removed outside vertexctl', () => {
  it('plans a create, saying why, for a resource state records that no longer exists', async () => {
    const runB: ResourceSpec = { ...specs[2], name: 'run-b', props: { ...specs[2].props, runsId: 'run-b', displayName: 'b' } };
    const withB = structuredClone(state);
    const name = created.get('run-a')!.name.replace(/run-a$/, 'run-b');
    withB.resources['run-b'] = { type: 'google.aiplatform.runs', name, id: 'run-b', props: {}, outputs: {} };
    const steps = await planFor([...specs, runB], { stateDoc: withB });
    expect(onlyChange(steps, 'run-b')).toMatchObject({ action: 'create', name, reason: `${name} no longer exists; it will be created again` });
  });

  it('finds a server-chosen id by its ownership labels when state names the wrong resource', async () => {
    const wrong = structuredClone(state);
    wrong.resources['training'].name = 'projects/p1/locations/us-central1/tensorboards/404';
    wrong.resources['training'].id = '404';
    const steps = await planFor(specs, { stateDoc: wrong });
    expect(steps.get('training')).toMatchObject({ action: 'adopt', reasonCode: 'found_by_labels', inState: false, name: created.get('training')!.name });
  });

  it('shows drift of a user-set field as an update back to the manifest', async () => {
    await client.request({
      api: 'aiplatform',
      method: 'PATCH',
      path: `v1/${created.get('run-a')!.name}`,
      query: { updateMask: 'description' },
      body: { description: 'edited in the console' },
    });
    emulator.resetStats();
    const steps = await planFor(specs);
    expect(onlyChange(steps, 'run-a')).toMatchObject({
      action: 'update',
      updateMask: ['description'],
      fields: [{ path: 'description', before: 'edited in the console', after: 'first' }],
    });
  });
});
