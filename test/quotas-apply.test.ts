/**
 * vertexctl paces itself under Vertex AI's request quotas: an apply of 200 CustomJobs against the
 * emulator enforcing them is never answered 429. Rates are scaled from per minute to per second on
 * both sides (the emulator's window and the client's `--quota N/5s`) so the test takes seconds.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQuotaSetting, quotaKindsOf } from '../src/api/quota.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { removeScratchDirs, runCli, scratchDir } from './apply.support.js';
import { manifestText, type ResourceSpec } from './plan-fixtures.js';

const CLI_TIMEOUT_MS = 300_000;
const WINDOW_S = 5;
const RESOURCE_MANAGEMENT = 400;
const JOB_SUBMISSIONS = 100;

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({
    port: 0,
    operationDelayMs: 0,
    quotas: { resourceManagementPerMinute: RESOURCE_MANAGEMENT, jobSubmissionsPerMinute: JOB_SUBMISSIONS, windowMs: WINDOW_S * 1000 },
  });
});
afterAll(async () => {
  await emulator.close();
  removeScratchDirs();
});

function jobs(project: string, count: number): ResourceSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `trainer-${i}`,
    type: 'google.aiplatform.custom_jobs',
    props: {
      projectsId: project,
      locationsId: 'us-central1',
      displayName: `trainer-${i}`,
      jobSpec: { workerPoolSpecs: [{ machineSpec: { machineType: 'n1-standard-4' }, replicaCount: 1, containerSpec: { imageUri: 'gcr.io/p/trainer:1' } }] },
    },
  }));
}

async function applyJobs(project: string, count: number, quotaFlags: string[]) {
  const dir = scratchDir(`quota-${project}`);
  const file = join(dir, 'stack.yaml');
  writeFileSync(file, manifestText(project, jobs(project, count)));
  emulator.resetStats();
  const result = await runCli(['apply', file, '--auto-approve', '--state', dir, '--endpoint', emulator.url, ...quotaFlags]);
  const stats = emulator.stats().requests;
  const listed = (await (await fetch(new URL(`v1/projects/${project}/locations/us-central1/customJobs?pageSize=1000`, emulator.url))).json()) as { customJobs?: unknown[] };
  return { result, tooMany: stats.byStatus?.['429'] ?? 0, jobsCreated: listed.customJobs?.length ?? 0, requests: stats.total };
}

describe('quota pacing', () => {
  it(
    'applies 200 CustomJobs with the quotas on and is never answered 429',
    async () => {
      const paced = await applyJobs('quota-paced', 200, [
        '--quota',
        `resource-management=${RESOURCE_MANAGEMENT}/${WINDOW_S}s`,
        '--quota',
        `job-submissions=${JOB_SUBMISSIONS}/${WINDOW_S}s`,
        '--debug',
      ]);
      expect(paced.result.code).toBe(0);
      expect(paced.jobsCreated).toBe(200);
      expect(paced.result.stderr.split('\n').filter((l) => / 429 /.test(l))).toEqual([]);
      expect(paced.tooMany).toBe(0);
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'without pacing the emulator answers 429 (so the test above can fail), and vertexctl retries as RetryInfo asks',
    async () => {
      // 10 submissions in flight at once against a limit of 3 a second
      emulator.configure({ quotas: { resourceManagementPerMinute: RESOURCE_MANAGEMENT, jobSubmissionsPerMinute: 3, windowMs: 1000 } });
      const unpaced = await applyJobs('quota-unpaced', 12, ['--quota', 'resource-management=off', '--quota', 'job-submissions=off']);
      expect(unpaced.result.code).toBe(0);
      expect(unpaced.jobsCreated).toBe(12);
      expect(unpaced.tooMany).toBeGreaterThan(0);
    },
    CLI_TIMEOUT_MS,
  );
});

describe('quota settings', () => {
  it('parse KIND=N/unit and off, and refuse anything else with one line', () => {
    expect(parseQuotaSetting('job-submissions=60/min')).toEqual(['job-submissions', { limit: 60, windowMs: 60_000 }]);
    expect(parseQuotaSetting('resource-management=10/s')).toEqual(['resource-management', { limit: 10, windowMs: 1000 }]);
    expect(parseQuotaSetting('job-submissions=100/5s')).toEqual(['job-submissions', { limit: 100, windowMs: 5000 }]);
    expect(parseQuotaSetting('tensorboard-writes=off')).toEqual(['tensorboard-writes', null]);
    expect(() => parseQuotaSetting('jobs=60/min')).toThrow(/KIND one of resource-management, job-submissions, tensorboard-writes/);
    expect(() => parseQuotaSetting('job-submissions=0/min')).toThrow(/expected a rate such as 600\/min/);
    expect(() => parseQuotaSetting('job-submissions=fast')).toThrow(/got "fast"/);
  });

  it('count each request where Vertex AI does: per project and region, jobs and data writes besides CRUD', () => {
    const loc = 'v1/projects/p/locations/europe-west4';
    expect(quotaKindsOf({ api: 'aiplatform', method: 'GET', path: `${loc}/tensorboards` })).toEqual({ project: 'p', region: 'europe-west4', kinds: ['resource-management'] });
    expect(quotaKindsOf({ api: 'aiplatform', method: 'POST', path: `${loc}/customJobs` })?.kinds).toEqual(['resource-management', 'job-submissions']);
    expect(quotaKindsOf({ api: 'aiplatform', method: 'GET', path: `${loc}/customJobs` })?.kinds).toEqual(['resource-management']);
    expect(quotaKindsOf({ api: 'aiplatform', method: 'POST', path: `${loc}/notebookExecutionJobs` })?.kinds).toContain('job-submissions');
    expect(quotaKindsOf({ api: 'aiplatform', method: 'POST', path: `${loc}/tensorboards/1/experiments/e/runs/r:write` })?.kinds).toEqual(['resource-management', 'tensorboard-writes']);
    expect(quotaKindsOf({ api: 'notebooks', method: 'POST', path: 'v1/projects/p/locations/us-central1/executions' })).toBeUndefined();
  });
});
