import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../src/api/client.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { openState } from '../src/state/index.js';
import { changesOf, inventory, planNow, removeScratchDirs, runCli, scratchDir } from './apply.support.js';
import { allKinds, manifestText, testClient, type ResourceSpec } from './plan-fixtures.js';

/**
 * The plan is the whole truth (issue #8): what apply does is what the plan says, and the plan
 * says everything apply will do. Each test drives the CLI against the emulator of this process.
 */

let emulator: RunningEmulator;
let client: ApiClient;
let api: string[];

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, operationDelayMs: 5, jobPhaseMs: 10 });
  client = testClient(emulator.url);
  api = ['--endpoint', emulator.url];
});
afterAll(async () => {
  client.close();
  await emulator.close();
  removeScratchDirs();
});

/** allKinds() in a project of its own. */
function inProject(project: string, specs: ResourceSpec[] = allKinds()): ResourceSpec[] {
  return specs.map((r) => ({ ...r, props: { ...r.props, projectsId: project } }));
}

function writeStack(dir: string, name: string, specs: ResourceSpec[]): void {
  writeFileSync(join(dir, 'stack.yaml'), manifestText(name, specs));
}

describe('one resolver for {{ address.field }}', () => {
  it('a nested field known only after apply is substituted on the first apply', async () => {
    const dir = scratchDir('nested');
    const specs = inProject('nested');
    specs.push({
      name: 'notes',
      type: 'google.aiplatform.experiments',
      props: { ...specs[1].props, experimentsId: 'notes', displayName: 'notes', description: '{{ trainer.jobSpec.tensorboard }}' },
    });
    writeStack(dir, 'nested', specs);
    const plan = await runCli(['plan', dir, '--state', dir, ...api]);
    expect(plan.stdout).toMatch(/notes \(google.aiplatform.experiments\) will be created\n(.*\n)*? +\+ description: \(known after apply\)\n/);

    const applied = await runCli(['apply', dir, '--auto-approve', '--state', dir, ...api]);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    const doc = (await openState(dir, 'nested').read())!;
    const board = doc.resources.training.name;
    expect(board).toMatch(/^projects\/nested\/locations\/us-central1\/tensorboards\/\d+$/);
    const live = await inventory(client, 'nested', 'us-central1');
    expect(live.get(`${board}/experiments/notes`)?.body.description).toBe(board);
    expect(changesOf(await planNow([dir], dir, client))).toEqual([]);
  });
});

describe('every action is in the plan', () => {
  it('an options-only change plans as record (exit 2 with --detailed-exitcode), and apply records just that', async () => {
    const dir = scratchDir('record');
    const specs = inProject('record', allKinds().slice(0, 2));
    specs[0].protected = true;
    writeStack(dir, 'record', specs);
    expect((await runCli(['apply', dir, '--auto-approve', '--state', dir, ...api])).code).toBe(0);

    specs[0].protected = false;
    specs[1].ignoreChanges = ['labels'];
    writeStack(dir, 'record', specs);
    const plan = await runCli(['plan', dir, '--detailed-exitcode', '--state', dir, ...api]);
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('# training (google.aiplatform.tensorboards) changes in state only (only protected changes: recorded in state)');
    expect(plan.stdout).toContain('~ protected: true → false');
    expect(plan.stdout).toContain('~ ignoreChanges: [] → ["labels"]');
    expect(plan.stdout).toContain('Plan: 0 to create, 0 to update, 0 to replace, 0 to destroy, 2 to record.');
    const json = JSON.parse((await runCli(['plan', dir, '--json', '--state', dir, ...api])).stdout) as { changes: { address: string; action: string; reasonCode?: string }[]; summary: Record<string, number> };
    expect(json.changes.map((c) => [c.address, c.action, c.reasonCode])).toEqual([
      ['training', 'record', 'options_changed'],
      ['baseline', 'record', 'options_changed'],
    ]);
    expect(json.summary).toMatchObject({ record: 2, 'no-op': 0 });

    emulator.resetStats();
    const applied = await runCli(['apply', dir, '--auto-approve', '--state', dir, ...api]);
    expect(applied.code).toBe(0);
    expect(applied.stdout.trimEnd().split('\n').pop()).toBe('Apply complete: 0 created, 0 updated, 0 replaced, 0 deleted; 2 recorded.');
    expect(Object.keys(emulator.stats().requests.byMethod)).toEqual(['GET']);
    const doc = (await openState(dir, 'record').read())!;
    expect(doc.resources.training.protected).toBeUndefined();
    expect(doc.resources.baseline.ignoreChanges).toEqual(['labels']);
    const again = await runCli(['plan', dir, '--detailed-exitcode', '--state', dir, ...api]);
    expect(again.stdout).toBe('No changes. Live resources match the manifests.\n');
    expect(again.code).toBe(0);
  });

  it('a replace whose name changes creates first: when the create fails, the old resource is still there', async () => {
    const dir = scratchDir('create-first');
    const specs = inProject('create-first', allKinds().slice(0, 1));
    writeStack(dir, 'create-first', specs);
    expect((await runCli(['apply', dir, '--auto-approve', '--state', dir, ...api])).code).toBe(0);
    const oldName = (await openState(dir, 'create-first').read())!.resources.training.name;

    const planned = await runCli(['plan', dir, '--json', '--replace', 'training', '--state', dir, ...api]);
    const change = (JSON.parse(planned.stdout) as { changes: Record<string, unknown>[] }).changes[0];
    // A tensorboard's id is chosen by the server: the new one has a new name.
    expect(change).toMatchObject({ address: 'training', action: 'replace', order: 'create-first', reasonCode: 'replace_requested', name: oldName });

    // Every long-running operation fails: the create of the new tensorboard is one.
    emulator.configure({ faults: { seed: 1, rateFailedOperation: 1 } });
    emulator.resetStats();
    try {
      const failed = await runCli(['apply', dir, '--auto-approve', '--replace', 'training', '--state', dir, ...api]);
      expect(failed.code).toBe(1);
      expect(failed.stdout).toMatch(/Apply failed: 0 created, 0 updated, 0 replaced, 0 deleted; 1 failed\./);
    } finally {
      emulator.configure({ faults: undefined });
    }
    // The create was sent (and its operation waited on) and failed; no delete was ever sent.
    expect(emulator.stats().requests.byMethod.POST).toBeGreaterThan(0);
    expect(emulator.stats().requests.byMethod.DELETE).toBeUndefined();
    const live = await inventory(client, 'create-first', 'us-central1');
    expect([...live.keys()]).toContain(oldName);
    expect((await openState(dir, 'create-first').read())!.resources.training.name).toBe(oldName);

    const replaced = await runCli(['apply', dir, '--auto-approve', '--replace', 'training', '--state', dir, ...api]);
    expect(replaced.code).toBe(0);
    const newName = (await openState(dir, 'create-first').read())!.resources.training.name;
    expect(newName).not.toBe(oldName);
    const after = await inventory(client, 'create-first', 'us-central1');
    expect([...after.keys()].filter((n) => /tensorboards\/[^/]+$/.test(n))).toEqual([newName]);
    expect(changesOf(await planNow([dir], dir, client))).toEqual([]);
  });

  it('--replace re-submits a job, and names only addresses of the manifests', async () => {
    const dir = scratchDir('resubmit');
    const specs = inProject('resubmit', allKinds().filter((r) => r.name === 'nightly-eval'));
    writeStack(dir, 'resubmit', specs);
    expect((await runCli(['apply', dir, '--auto-approve', '--state', dir, ...api])).code).toBe(0);
    const json = JSON.parse((await runCli(['plan', dir, '--json', '--replace', 'nightly-eval', '--state', dir, ...api])).stdout) as { changes: Record<string, unknown>[] };
    // The job's id is the manifest's: the same name is reused, so the old job goes first.
    expect(json.changes).toMatchObject([{ address: 'nightly-eval', action: 'replace', order: 'delete-first', reasonCode: 'replace_requested' }]);
    const unknown = await runCli(['plan', dir, '--replace', 'nightly-evl', '--state', dir, ...api]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('--replace "nightly-evl": no such address in the manifests (did you mean "nightly-eval"?)\n');
  });
});
