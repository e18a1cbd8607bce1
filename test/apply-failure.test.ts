import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../src/api/client.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { openState } from '../src/state/index.js';
import { changesOf, inventory, planNow, removeScratchDirs, runCli, scratchDir } from './apply.support.js';
import { manifestText, testClient, type ResourceSpec } from './plan-fixtures.js';

/**
 * An operation that fails (injected by the emulator): the steps that finished are in state, the
 * failed step's dependents are skipped, independent branches finish, apply exits 1 with a
 * summary of what failed and why, and the rerun completes.
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

const where = { projectsId: 'failing', locationsId: 'us-central1' };
const board = { ...where, tensorboardsId: '{{ training.tensorboardsId }}' };
const job = (name: string): ResourceSpec => ({
  name,
  type: 'google.aiplatform.custom_jobs',
  props: { ...where, displayName: name, jobSpec: { workerPoolSpecs: [{ machineSpec: { machineType: 'n1-standard-4' }, replicaCount: 1, containerSpec: { imageUri: 'gcr.io/p/t:1' } }] } },
});
const specs: ResourceSpec[] = [
  // Tensorboard creation is a long-running operation: the one that fails.
  { name: 'training', type: 'google.aiplatform.tensorboards', props: { ...where, displayName: 'training' } },
  { name: 'baseline', type: 'google.aiplatform.experiments', props: { ...board, experimentsId: 'baseline' } },
  { name: 'run-a', type: 'google.aiplatform.runs', props: { ...board, experimentsId: '{{ baseline.experimentsId }}', runsId: 'run-a', displayName: 'a' } },
  // Custom jobs are created synchronously and depend on nothing: they finish.
  job('train-a'),
  job('train-b'),
];

describe('a failed operation', () => {
  it('stops only its dependents; finished steps are recorded; the rerun completes', async () => {
    const dir = scratchDir('failure');
    writeFileSync(join(dir, 'stack.yaml'), manifestText('failing', specs));
    const args = ['apply', dir, '--auto-approve', '--state', dir, '--endpoint', emulator.url];

    emulator.configure({ faults: { seed: 5, rateFailedOperation: 1 } });
    const failed = await runCli(args);
    emulator.configure({ faults: undefined });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe('');
    const summary = failed.stdout.slice(failed.stdout.indexOf('Apply failed'));
    expect(summary).toMatch(
      new RegExp(
        [
          '^Apply failed: 2 created, 0 updated, 0 replaced, 0 deleted; 1 failed, 2 skipped\\.',
          '  training: 500 INTERNAL: Internal error encountered\\. \\(operation projects/failing/locations/us-central1/tensorboards/\\d+/operations/\\d+\\)',
          '  skipped: baseline, run-a',
          'Finished steps are recorded in state; run apply again to finish\\.\\n$',
        ].join('\\n'),
      ),
    );
    expect(failed.stdout).toContain('baseline: skipped, depends on training, which failed');
    expect(failed.stdout).toContain('run-a: skipped, depends on training, which failed');

    const doc = (await openState(dir, 'failing').read())!;
    expect(doc.resources['train-a'].name).toMatch(/customJobs\/\d+$/);
    expect(doc.resources['train-b'].name).toMatch(/customJobs\/\d+$/);
    expect(doc.resources['train-a'].pending).toBeUndefined();
    // The failed create left its intent, nothing else.
    expect(doc.resources.training).toMatchObject({ name: '', pending: { action: 'create', operation: expect.stringMatching(/operations\/\d+$/) } });
    expect(doc.resources.baseline).toBeUndefined();

    const rerun = await runCli(args);
    expect(rerun.stderr).toBe('');
    expect(rerun.code).toBe(0);
    expect(rerun.stdout.trimEnd().split('\n').pop()).toBe('Apply complete: 3 created, 0 updated, 0 replaced, 0 deleted.');
    expect(changesOf(await planNow([dir], dir, client))).toEqual([]);
    const live = [...(await inventory(client, 'failing', 'us-central1')).values()];
    expect(live.map((i) => i.kind.collection).sort()).toEqual(['customJobs', 'customJobs', 'experiments', 'runs', 'tensorboards']);
  });
});
