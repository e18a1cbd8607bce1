import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, Operation } from '../src/api/client.js';
import type { DriftReport } from '../src/drift/index.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import type { PlanJson } from '../src/plan/index.js';
import { openState } from '../src/state/index.js';
import { removeScratchDirs, runCli, scratchDir } from './apply.support.js';
import { manifestText, testClient } from './plan-fixtures.js';

/**
 * `plan --refresh-only` as a child process against the emulator: what changed outside vertexctl
 * is shown as its own plan; the saved plan, applied, writes state only (zero write calls), and
 * afterwards drift and plan still show where the cloud differs from the manifests.
 */

let emulator: RunningEmulator;
let client: ApiClient;
let api: string[];

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, operationDelayMs: 5, jobPhaseMs: 600_000 });
  client = testClient(emulator.url);
  api = ['--endpoint', emulator.url];
});
afterAll(async () => {
  client.close();
  await emulator.close();
  removeScratchDirs();
});

function writes(): number {
  return Object.entries(emulator.stats().requests.byMethod).reduce((n, [method, count]) => (method === 'GET' ? n : n + count), 0);
}

const where = { projectsId: 'refresh-only', locationsId: 'us-central1' };

describe('vertexctl plan --refresh-only', () => {
  const dir = scratchDir('refresh-only');
  writeFileSync(
    join(dir, 'stack.yaml'),
    manifestText('accepting', [
      { name: 'board', type: 'google.aiplatform.tensorboards', props: { ...where, displayName: 'board', description: 'secret plans', labels: { team: 'vision' } }, sensitive: ['description'] },
      { name: 'exp', type: 'google.aiplatform.experiments', props: { ...where, tensorboardsId: '{{ board.tensorboardsId }}', experimentsId: 'exp', displayName: 'exp' } },
      { name: 'run', type: 'google.aiplatform.runs', props: { ...where, tensorboardsId: '{{ board.tensorboardsId }}', experimentsId: '{{ exp.experimentsId }}', runsId: 'run', displayName: 'run' } },
      {
        name: 'trainer',
        type: 'google.aiplatform.custom_jobs',
        props: {
          ...where,
          displayName: 'trainer',
          jobSpec: { workerPoolSpecs: [{ machineSpec: { machineType: 'n1-standard-4' }, replicaCount: 1, containerSpec: { imageUri: 'gcr.io/p1/trainer:1' } }] },
        },
      },
    ]),
  );
  const args = [dir, '--state', dir];
  const planFile = join(dir, 'refresh.plan');

  it('right after apply there is nothing to record: exit 0 with --detailed-exitcode, no write call', async () => {
    const applied = await runCli(['apply', ...args, '--auto-approve', ...api]);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    emulator.resetStats();
    const res = await runCli(['plan', ...args, '--refresh-only', '--detailed-exitcode', ...api]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('No changes. The live resources still match the state; nothing changed outside vertexctl, nothing to record.\n');
    expect(writes()).toBe(0);
  }, 180_000);

  it('shows the changes made outside vertexctl as its own plan; applying the saved plan writes state only', async () => {
    const before = (await openState(dir, 'accepting').read())!;
    const board = before.resources.board.name;
    const run = before.resources.run.name;
    await client.request({
      api: 'aiplatform',
      method: 'PATCH',
      path: `v1/${board}`,
      query: { updateMask: 'displayName,description,labels' },
      body: { displayName: 'renamed by hand', description: 'leaked plans', labels: { ...before.resources.board.outputs.labels as object, team: 'search' } },
    });
    await client.waitOperation('aiplatform', await client.request<Operation>({ api: 'aiplatform', method: 'DELETE', path: `v1/${run}` }));
    // The job is cancelled: it ends CANCELLED at once.
    emulator.configure({ jobPhaseMs: 1 });
    await client.request({ api: 'aiplatform', method: 'POST', path: `v1/${before.resources.trainer.name}:cancel`, body: {} });

    emulator.resetStats();
    const res = await runCli(['plan', ...args, '--refresh-only', '--detailed-exitcode', '--out', planFile, ...api]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(2);
    expect(writes()).toBe(0);
    expect(res.stdout).toContain('Changes made outside vertexctl since the last apply:');
    expect(res.stdout).toContain('# board (google.aiplatform.tensorboards) has changed outside vertexctl');
    expect(res.stdout).toContain('~ displayName: "board" → "renamed by hand"');
    expect(res.stdout).toContain('~ description: (sensitive) → (sensitive)');
    expect(res.stdout).toContain('~ labels.team: "vision" → "search"');
    expect(res.stdout).toContain('# run (google.aiplatform.runs) has been deleted outside vertexctl');
    expect(res.stdout).toMatch(/# trainer \(google.aiplatform.custom_jobs\) has changed outside vertexctl\n.*\n +~ state: "JOB_STATE_\w+" → "JOB_STATE_CANCELLED"\n/);
    expect(res.stdout).toContain('Refresh-only plan: 3 to record in state.');
    expect(res.stdout).not.toContain('leaked plans');

    const json = JSON.parse((await runCli(['show', planFile, '--json'])).stdout) as PlanJson;
    expect(json.mode).toBe('refresh-only');
    const byAddress = new Map(json.changes.map((c) => [c.address, c]));
    expect(byAddress.get('board')).toMatchObject({
      action: 'record',
      reasonCode: 'changed_outside',
      fields: expect.arrayContaining([{ path: 'displayName', before: 'board', after: 'renamed by hand' }, { path: 'description', before: '(sensitive)', after: '(sensitive)', sensitive: true }]),
    });
    expect(byAddress.get('run')).toMatchObject({ action: 'record', reasonCode: 'deleted_outside', name: run });
    expect(byAddress.get('trainer')).toMatchObject({ action: 'record', reasonCode: 'changed_outside', fields: [{ path: 'state', after: 'JOB_STATE_CANCELLED' }] });
    expect(byAddress.get('exp')?.action).toBe('no-op');
    expect(json.summary).toMatchObject({ record: 3, 'no-op': 1, create: 0, update: 0, replace: 0, delete: 0 });

    const md = (await runCli(['plan', ...args, '--refresh-only', '--format', 'markdown', ...api])).stdout;
    expect(md).toContain('## vertexctl plan (refresh-only): `accepting`');
    expect(md).toContain('**Refresh-only plan:** 3 to record in state. Applying it changes nothing in the cloud. 1 unchanged.');
    expect(md).toContain('| ⚪ record (changed outside) | `board` |');
    expect(md).toContain('| ⚪ record (deleted outside) | `run` |');
    expect(md).toContain('- displayName: "board"\n+ displayName: "renamed by hand"');
    expect(md).not.toContain('leaked plans');

    emulator.resetStats();
    const applied = await runCli(['apply', planFile]);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('Apply complete: 0 created, 0 updated, 0 replaced, 0 deleted; 2 recorded, 1 removed from state only.');
    expect(writes()).toBe(0);
    expect(emulator.stats().requests.total).toBeGreaterThan(0);

    const after = (await openState(dir, 'accepting').read())!;
    expect(after.serial).toBeGreaterThan(before.serial);
    expect(after.resources.board.props).toMatchObject({ displayName: 'renamed by hand', description: 'leaked plans', labels: { team: 'search' } });
    expect(after.resources.board.outputs.displayName).toBe('renamed by hand');
    expect(after.resources.trainer.outputs.state).toBe('JOB_STATE_CANCELLED');
    expect(after.resources.trainer.props).toEqual(before.resources.trainer.props);
    expect(after.resources.run).toBeUndefined();
    expect(after.resources.exp).toEqual(before.resources.exp);
    // The plan file holds the secret (owner-readable only); the terminal never showed it.
    expect(readFileSync(planFile, 'utf8')).toContain('leaked plans');
  }, 180_000);

  it('afterwards nothing is left to record, and drift and plan still show the difference from the manifests', async () => {
    const again = await runCli(['plan', ...args, '--refresh-only', '--detailed-exitcode', ...api]);
    expect(again.code).toBe(0);

    emulator.resetStats();
    const drift = await runCli(['drift', ...args, '--format', 'json', ...api]);
    expect(drift.code).toBe(2);
    expect(writes()).toBe(0);
    const report = JSON.parse(drift.stdout) as DriftReport;
    const got = new Map(report.resources.map((r) => [r.address, r]));
    expect(got.get('board')).toMatchObject({ status: 'modified', fields: expect.arrayContaining([{ path: 'displayName', expected: 'board', actual: 'renamed by hand' }]) });
    expect(got.get('run')?.status).toBe('missing');

    const plan = JSON.parse((await runCli(['plan', ...args, '--json', ...api])).stdout) as PlanJson;
    const actions = Object.fromEntries(plan.changes.map((c) => [c.address, c.action]));
    expect(actions).toMatchObject({ board: 'update', run: 'create', exp: 'no-op', trainer: 'no-op' });
    expect(got.get('trainer')?.status).toBe('failed');
  }, 180_000);

  it('apply --refresh-only records at once; bad combinations are refused in one line', async () => {
    const doc = (await openState(dir, 'accepting').read())!;
    await client.request({ api: 'aiplatform', method: 'PATCH', path: `v1/${doc.resources.exp.name}`, query: { updateMask: 'displayName' }, body: { displayName: 'exp by hand' } });
    emulator.resetStats();
    const res = await runCli(['apply', ...args, '--refresh-only', ...api]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('# exp (google.aiplatform.experiments) has changed outside vertexctl');
    expect(writes()).toBe(0);
    expect((await openState(dir, 'accepting').read())!.resources.exp.props.displayName).toBe('exp by hand');

    for (const extra of [['--destroy'], ['--replace', 'board'], ['--refresh=false'], ['--target', 'nope']]) {
      const bad = await runCli(['plan', ...args, '--refresh-only', ...extra, ...api]);
      expect(bad.code).toBe(1);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      expect(bad.stderr).not.toContain('    at ');
    }
  }, 180_000);
});
