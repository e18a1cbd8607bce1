import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../src/api/client.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { openState, type StateDoc } from '../src/state/index.js';
import { finished, removeScratchDirs, runCli, scratchDir, spawnCli, until } from './apply.support.js';
import { manifestText, testClient, type ResourceSpec } from './plan-fixtures.js';

/** Jobs as they really end: a failed job fails `apply --wait-jobs` until it is re-submitted; Ctrl-C stops the wait, not the job. */

const CLI_TIMEOUT_MS = 600_000;

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

function trainer(project: string, displayName: string): ResourceSpec {
  return {
    name: 'trainer',
    type: 'google.aiplatform.custom_jobs',
    props: {
      projectsId: project,
      locationsId: 'us-central1',
      displayName,
      jobSpec: { workerPoolSpecs: [{ machineSpec: { machineType: 'n1-standard-4' }, replicaCount: 1, containerSpec: { imageUri: 'gcr.io/p/trainer:1' } }] },
    },
  };
}

function stackFile(dir: string, specs: ResourceSpec[]): string {
  const file = join(dir, 'stack.yaml');
  writeFileSync(file, manifestText('jobs', specs));
  return file;
}

describe('a job that ends FAILED', () => {
  it('fails apply --wait-jobs, and every rerun, and shows in the plan with its error', async () => {
    const dir = scratchDir('jobs-failed');
    const file = stackFile(dir, [trainer('p-jobs-failed', 'oom-trainer')]);
    emulator.failJobs({ displayNamePattern: '^oom-trainer$', message: 'Replica worker-0 ran out of memory' });
    const args = ['apply', file, '--wait-jobs', '--auto-approve', '--state', dir, ...api];

    const first = await runCli(args);
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/trainer: job projects\/p-jobs-failed\/locations\/us-central1\/customJobs\/\d+ ended JOB_STATE_FAILED: Replica worker-0 ran out of memory; to run it again, apply with --replace trainer/);
    const doc = JSON.parse(readFileSync(join(dir, 'jobs.json'), 'utf8')) as StateDoc;
    expect(doc.resources.trainer.outputs.state).toBe('JOB_STATE_FAILED');

    // Nothing to change, but the job did not succeed: the rerun fails the same way.
    const again = await runCli(args);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('ended JOB_STATE_FAILED: Replica worker-0 ran out of memory; to run it again, apply with --replace trainer');
    expect(again.stdout).not.toContain('No changes.\n');

    const plan = await runCli(['plan', file, '--state', dir, ...api]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/! trainer \(google\.aiplatform\.custom_jobs\): job projects\/.*\/customJobs\/\d+ ended JOB_STATE_FAILED: Replica worker-0 ran out of memory; to run it again, apply with --replace trainer\n/);
    const json = JSON.parse((await runCli(['plan', file, '--json', '--state', dir, ...api])).stdout) as { changes: { address: string; job?: unknown }[] };
    expect(json.changes.find((c) => c.address === 'trainer')!.job).toEqual({ state: 'JOB_STATE_FAILED', error: 'Replica worker-0 ran out of memory', outcome: 'failed' });

    // Without --wait-jobs, the failed job is reported but is not the run's business.
    const plain = await runCli(['apply', file, '--auto-approve', '--state', dir, ...api]);
    expect(plain.code).toBe(0);

    // The way out the message names: --replace submits the job anew; once it succeeds, reruns are green.
    emulator.clearJobFailures();
    const failedName = doc.resources.trainer.name;
    const replaced = await runCli([...args, '--replace', 'trainer']);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stdout).toMatch(/trainer.*replaced|1 replaced/);
    const after = JSON.parse(readFileSync(join(dir, 'jobs.json'), 'utf8')) as StateDoc;
    expect(after.resources.trainer.name).not.toBe(failedName);
    expect(after.resources.trainer.outputs.state).toBe('JOB_STATE_SUCCEEDED');
    const rerun = await runCli(args);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toContain('No changes.');
  }, CLI_TIMEOUT_MS);
});

describe('Ctrl-C during apply --wait-jobs', () => {
  it('the first stops waiting (the job runs on, state records it), a second stops at once', async () => {
    emulator.configure({ jobPhaseMs: 600_000 });
    try {
      for (const signals of [1, 2]) {
        const dir = scratchDir(`jobs-sigint-${signals}`);
        const project = `p-jobs-sigint-${signals}`;
        const board: ResourceSpec = { name: 'board', type: 'google.aiplatform.tensorboards', props: { projectsId: project, locationsId: 'us-central1', displayName: 'board' } };
        // With two signals, a board whose create operation never ends is still in flight after the first.
        const file = stackFile(dir, [trainer(project, 'long-trainer'), ...(signals === 2 ? [board] : [])]);
        emulator.configure({ operationDelayMs: signals === 2 ? 600_000 : 5 });
        const child = spawnCli(['apply', file, '--wait-jobs', '--auto-approve', '--state', dir, ...api]);
        child.stdin!.end();
        const done = finished(child);
        let stdout = '';
        child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
        // Read as any reader does (the document and the journal the running apply appends to).
        const recorded = async () => !!(await openState(dir, 'jobs').read().catch(() => null))?.resources.trainer?.name;
        await until(async () => /JOB_STATE_(PENDING|RUNNING|QUEUED)/.test(stdout) && (await recorded()), 300_000, 'the job to be recorded and waited for');
        const started = Date.now();
        child.kill('SIGINT');
        if (signals === 2) {
          await new Promise((r) => setTimeout(r, 50));
          child.kill('SIGINT');
        }
        const res = await done;
        expect(Date.now() - started).toBeLessThan(30_000);
        const name = (await openState(dir, 'jobs').read())!.resources.trainer.name;
        const job = await client.request<{ state: string }>({ api: 'aiplatform', method: 'GET', path: `v1/${name}` });
        expect(job.state).toMatch(/JOB_STATE_(PENDING|RUNNING|QUEUED)/);
        if (signals === 1) {
          expect(res.code).toBe(1);
          expect(res.stdout).toMatch(/stopped waiting for job projects\/.*\/customJobs\/\d+ \(JOB_STATE_\w+\): it keeps running and state records it/);
          expect(existsSync(join(dir, 'jobs.lock'))).toBe(false);
        } else {
          expect(res.stderr).toContain('SIGINT: stopping after the steps in flight');
          expect(res.code).toBe(130);
          expect(existsSync(join(dir, 'jobs.lock'))).toBe(false);
        }
      }
    } finally {
      emulator.configure({ jobPhaseMs: 10, operationDelayMs: 5 });
    }
  }, CLI_TIMEOUT_MS);
});
