import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../src/api/client.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { finished, removeScratchDirs, runCli, scratchDir, spawnCli, until } from './apply.support.js';
import { convergenceProblems } from './chaos.support.js';
import { manifestText, testClient, type ResourceSpec } from './plan-fixtures.js';

/**
 * kill -9 right after each kind of API write (create, batchCreate, patch, delete, cancel): the
 * write reached the API, the run never recorded its answer. The next apply converges, with
 * state naming exactly what is live.
 */

const CLI_TIMEOUT_MS = 300_000;

let emulator: RunningEmulator;
let client: ApiClient;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, operationDelayMs: 20, jobPhaseMs: 20 });
  client = testClient(emulator.url);
});
afterAll(async () => {
  client.close();
  await emulator.close();
  removeScratchDirs();
});

function stack(project: string, opts: { runs: number; runName?: string; image?: string }): ResourceSpec[] {
  const where = { projectsId: project, locationsId: 'us-central1' };
  const board = { ...where, tensorboardsId: '{{ board.tensorboardsId }}' };
  return [
    { name: 'board', type: 'google.aiplatform.tensorboards', props: { ...where, displayName: 'board' } },
    { name: 'exp', type: 'google.aiplatform.experiments', props: { ...board, experimentsId: 'exp' } },
    ...Array.from({ length: opts.runs }, (_, r) => ({
      name: `run-${r}`,
      type: 'google.aiplatform.runs',
      props: { ...board, experimentsId: '{{ exp.experimentsId }}', runsId: `run-${r}`, displayName: `${opts.runName ?? 'run'} ${r}` },
    })),
    {
      name: 'trainer',
      type: 'google.aiplatform.custom_jobs',
      props: {
        ...where,
        displayName: 'trainer',
        jobSpec: { workerPoolSpecs: [{ machineSpec: { machineType: 'n1-standard-4' }, replicaCount: 1, containerSpec: { imageUri: opts.image ?? 'gcr.io/p/trainer:1' } }] },
      },
    },
  ];
}

/** Runs apply and kills it with SIGKILL a moment after the emulator received the first `route` call (e.g. `runs.batchCreate`). */
async function killedAfterWrite(args: string[], route: string): Promise<void> {
  const count = () => emulator.stats().requests.byPathKind?.[route] ?? 0;
  const before = count();
  const child = spawnCli(args);
  child.stdin!.end();
  const done = finished(child);
  let exited = false;
  void done.then(() => (exited = true));
  await until(() => exited || count() > before, 120_000, `a ${route} call`);
  expect(exited, `the apply ended before any ${route} call`).toBe(false);
  // The write is carried out and answered; the run has not recorded the answer yet, or only just.
  await sleep(5);
  child.kill('SIGKILL');
  expect((await done).signal).toBe('SIGKILL');
}

const cases: { write: string; route: string; before?: { runs: number }; after: { runs: number; runName?: string; image?: string } }[] = [
  { write: 'create (server-chosen id, long-running)', route: 'tensorboards.create', after: { runs: 1 } },
  { write: 'batchCreate', route: 'runs.batchCreate', after: { runs: 6 } },
  { write: 'patch', route: 'runs.patch', before: { runs: 4 }, after: { runs: 4, runName: 'renamed' } },
  { write: 'delete', route: 'runs.delete', before: { runs: 6 }, after: { runs: 2 } },
  { write: 'cancel (a job replaced while it runs)', route: 'customJobs.cancel', before: { runs: 1 }, after: { runs: 1, image: 'gcr.io/p/trainer:2' } },
];

describe('kill -9 right after an API write, then apply again', () => {
  for (const c of cases) {
    it(`converges with state = live: ${c.write}`, async () => {
      const project = `w-${c.route.replace(/\W/g, '-').toLowerCase()}`;
      const dir = scratchDir(project);
      const file = join(dir, 'stack.yaml');
      const args = ['apply', file, '--auto-approve', '--state', dir, '--endpoint', emulator.url];
      if (c.before) {
        writeFileSync(file, manifestText(project, stack(project, c.before)));
        // A job still running when it is replaced is cancelled first.
        if (c.route.endsWith('.cancel')) emulator.configure({ jobPhaseMs: 15_000 });
        const first = await runCli(args);
        expect(first.code, first.stderr).toBe(0);
      }
      try {
        const specs = stack(project, c.after);
        writeFileSync(file, manifestText(project, specs));
        await killedAfterWrite(args, c.route);
        emulator.configure({ jobPhaseMs: 20 });
        const again = await runCli(args);
        expect(again.code, again.stdout + again.stderr).toBe(0);
        expect(await convergenceProblems(client, dir, project, project, specs)).toEqual([]);
      } finally {
        emulator.configure({ jobPhaseMs: 20 });
      }
    }, CLI_TIMEOUT_MS);
  }
});
