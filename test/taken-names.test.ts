import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../src/api/client.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { inventory, removeScratchDirs, runCli, scratchDir } from './apply.support.js';
import { testClient } from './plan-fixtures.js';

/**
 * Refused at plan time what apply could not finish: a replace that moves a resource to a name
 * another resource holds (another stack's, or no stack's) would give the old one up for a create
 * that fails. The plan names the holder's stack and environment and the way out; nothing is
 * deleted or written.
 */

const CLI_TIMEOUT_MS = 240_000;

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

/** Stack "team": one notebook execution job (client-chosen id under the project) in `{{ project }}`, p-default unless --var says otherwise. */
function writeTeamStack(dir: string): string {
  const file = join(dir, 'stack.yaml');
  writeFileSync(
    file,
    `version: 1
name: team
globals:
  - name: project
    value: p-taken-default
resources:
  - name: eval
    type: google.aiplatform.notebook_execution_jobs
    props:
      - name: projectsId
        value: '{{ project }}'
      - name: locationsId
        value: us-central1
      - name: notebookExecutionJobsId
        value: nightly-eval
      - name: displayName
        value: nightly eval
      - name: gcsNotebookSource
        value: { uri: 'gs://b/eval.ipynb' }
      - name: gcsOutputUri
        value: gs://b/out
      - name: customEnvironmentSpec
        value: { machineSpec: { machineType: n1-standard-4 }, persistentDiskSpec: { diskSizeGb: 100 } }
`,
  );
  return file;
}

async function jobNames(project: string): Promise<string[]> {
  return [...(await inventory(client, project, 'us-central1')).values()].map((i) => String(i.body.name)).sort();
}

describe('a replace into a name another resource holds', () => {
  it('is refused at plan time, naming the owner and the way out; apply deletes nothing', async () => {
    const dir = scratchDir('taken');
    const file = writeTeamStack(dir);
    const prd = await runCli(['apply', file, '--env', 'prd', '--var', 'project=p-taken-prd', '--auto-approve', '--state', dir, ...api]);
    expect(prd.code, prd.stderr).toBe(0);
    const dflt = await runCli(['apply', file, '--auto-approve', '--state', dir, ...api]);
    expect(dflt.code, dflt.stderr).toBe(0);
    const prdJob = 'projects/p-taken-prd/locations/us-central1/notebookExecutionJobs/nightly-eval';
    const before = { prd: await jobNames('p-taken-prd'), dflt: await jobNames('p-taken-default') };
    expect(before.prd.map((n) => n.replace(/^projects\/\d+/, 'projects/p-taken-prd'))).toEqual([prdJob]);
    expect(before.dflt).toHaveLength(1);
    const stateBefore = readFileSync(join(dir, 'team.prd.json'), 'utf8');

    // --env prd without its --var: the job would move to the default project, where stack "team" (no environment) holds the id.
    emulator.resetStats();
    for (const command of ['plan', 'apply']) {
      const res = await runCli([command, file, '--env', 'prd', '--auto-approve', '--state', dir, ...api].filter((a) => command === 'apply' || a !== '--auto-approve'));
      expect(res.code, res.stdout).toBe(1);
      const lines = res.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^.*stack\.yaml:7:11: resource "eval": cannot be replaced: its new name projects\/p-taken-default\/locations\/us-central1\/notebookExecutionJobs\/nightly-eval is taken by a resource of stack "team", no environment, so projects\/p-taken-prd\/locations\/us-central1\/notebookExecutionJobs\/nightly-eval would be given up for a create that fails; give it another notebookExecutionJobsId, or take the existing one over with: vertexctl import eval projects\/p-taken-default\/locations\/us-central1\/notebookExecutionJobs\/nightly-eval .*stack\.yaml --env prd --state .* --endpoint http:\/\/127\.0\.0\.1:\d+\/$/,
      );
    }
    const writes = Object.entries(emulator.stats().requests.byMethod).filter(([m]) => m !== 'GET').reduce((n, [, c]) => n + c, 0);
    expect(writes).toBe(0);
    expect(await jobNames('p-taken-prd')).toEqual(before.prd);
    expect(await jobNames('p-taken-default')).toEqual(before.dflt);
    expect(readFileSync(join(dir, 'team.prd.json'), 'utf8')).toBe(stateBefore);

    // With its --var, environment prd has nothing to do.
    const fine = await runCli(['plan', file, '--env', 'prd', '--var', 'project=p-taken-prd', '--detailed-exitcode', '--state', dir, ...api]);
    expect(fine.code, fine.stdout + fine.stderr).toBe(0);
  }, CLI_TIMEOUT_MS);

  it('held by a resource no stack manages, is refused the same way', async () => {
    const dir = scratchDir('taken-unlabelled');
    const file = writeTeamStack(dir);
    const prd = await runCli(['apply', file, '--env', 'qa', '--var', 'project=p-taken-qa', '--auto-approve', '--state', dir, ...api]);
    expect(prd.code, prd.stderr).toBe(0);
    // Someone made the same id by hand in the other project, without labels.
    await client.request({
      api: 'aiplatform',
      method: 'POST',
      path: 'v1/projects/p-taken-hand/locations/us-central1/notebookExecutionJobs',
      query: { notebookExecutionJobId: 'nightly-eval' },
      body: { displayName: 'by hand', gcsNotebookSource: { uri: 'gs://b/x.ipynb' }, gcsOutputUri: 'gs://b/o', customEnvironmentSpec: { machineSpec: { machineType: 'n1-standard-4' } } },
    });
    const res = await runCli(['plan', file, '--env', 'qa', '--var', 'project=p-taken-hand', '--state', dir, ...api]);
    expect(res.code, res.stdout).toBe(1);
    expect(res.stderr).toMatch(/resource "eval": cannot be replaced: its new name projects\/[\w-]+\/locations\/us-central1\/notebookExecutionJobs\/nightly-eval is taken by a resource of no vertexctl stack \(it has no ownership labels\)/);
  }, CLI_TIMEOUT_MS);
});
