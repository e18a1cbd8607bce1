/**
 * Opt-in quotas: per-minute request limits per project and region answered with Google's 429
 * RESOURCE_EXHAUSTED and its details, and vertexctl's API client waiting as the answer asks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../src/api/client.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';

let emu: RunningEmulator;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, operationDelayMs: 0, quotas: { resourceManagementPerMinute: 5, jobSubmissionsPerMinute: 2, windowMs: 60_000 } });
});

afterAll(async () => {
  await emu.close();
});

const get = (path: string) => fetch(new URL(path, emu.url)).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
const post = (path: string, body: unknown) =>
  fetch(new URL(path, emu.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({
    status: r.status,
    body: (await r.json()) as any,
  }));

describe('quotas', () => {
  it('answer the request over the limit with 429 RESOURCE_EXHAUSTED, ErrorInfo, QuotaFailure and RetryInfo, per project and region', async () => {
    const loc = 'projects/quota-a/locations/us-central1';
    for (let i = 0; i < 5; i++) expect((await get(`v1/${loc}/tensorboards`)).status).toBe(200);
    const over = await get(`v1/${loc}/tensorboards`);
    expect(over.status).toBe(429);
    expect(over.body.error.status).toBe('RESOURCE_EXHAUSTED');
    const byType = Object.fromEntries(over.body.error.details.map((d: { '@type': string }) => [d['@type'].split('.').pop(), d]));
    expect(byType.ErrorInfo).toMatchObject({
      reason: 'RATE_LIMIT_EXCEEDED',
      domain: 'googleapis.com',
      metadata: {
        service: 'aiplatform.googleapis.com',
        consumer: `projects/${emu.projectNumber('quota-a')}`,
        quota_metric: 'aiplatform.googleapis.com/resource_management_requests',
        quota_limit: 'ResourceManagementRequestsPerMinutePerProjectPerRegion',
        quota_limit_value: '5',
        quota_location: 'us-central1',
      },
    });
    expect(byType.QuotaFailure.violations[0]).toMatchObject({ subject: `projects/${emu.projectNumber('quota-a')}`, quotaDimensions: { region: 'us-central1' } });
    expect(byType.RetryInfo.retryDelay).toMatch(/^\d+(\.\d+)?s$/);
    // Another region and another project have their own quota.
    expect((await get('v1/projects/quota-a/locations/europe-west4/tensorboards')).status).toBe(200);
    expect((await get('v1/projects/quota-b/locations/us-central1/tensorboards')).status).toBe(200);
    // Admin requests are not API requests.
    expect((await get('__emulator/stats')).status).toBe(200);
  });

  it('count job submissions separately (60 a minute on Google; 2 here)', async () => {
    const loc = 'projects/quota-jobs/locations/us-central1';
    const job = { displayName: 'j', jobSpec: { workerPoolSpecs: [{ machineSpec: { machineType: 'n1-standard-4' } }] } };
    expect((await post(`v1/${loc}/customJobs`, job)).status).toBe(200);
    expect((await post(`v1/${loc}/customJobs`, job)).status).toBe(200);
    const over = await post(`v1/${loc}/customJobs`, job);
    expect(over.status).toBe(429);
    expect(over.body.error.details[0].metadata.quota_metric).toBe('aiplatform.googleapis.com/job_submission_requests');
    expect((await get(`v1/${loc}/customJobs`)).status).toBe(200);
  });

  it('vertexctl waits as long as RetryInfo asks, then succeeds', async () => {
    emu.configure({ quotas: { resourceManagementPerMinute: 2, windowMs: 1500 } });
    const lines: string[] = [];
    // A backoff base of 1 ms: without honouring RetryInfo, all 5 retries would be spent at once.
    const client = new ApiClient({ endpoint: emu.url, retryBaseMs: 1, retries: 5, debug: (l) => lines.push(l) });
    try {
      const path = 'v1/projects/quota-retry/locations/us-central1/tensorboards';
      const started = Date.now();
      for (let i = 0; i < 5; i++) await client.request({ api: 'aiplatform', method: 'GET', path });
      // Five requests against a limit of two per window: at least one is answered 429 and retried.
      const retried = lines.filter((l) => / 429 /.test(l));
      expect(retried.length).toBeGreaterThanOrEqual(1);
      const waits = retried.map((l) => Number(/retry in (\d+)ms/.exec(l)?.[1]));
      // Each wait is the rest of the window the quota counts in, not the 1 ms backoff.
      for (const w of waits) expect(w).toBeGreaterThan(1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(waits.reduce((a, b) => a + b, 0));
      expect(lines.filter((l) => / 200 /.test(l))).toHaveLength(5);
    } finally {
      client.close();
      emu.configure({ quotas: undefined });
    }
  });
});
