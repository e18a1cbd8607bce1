/**
 * Fault injection and the admin endpoint, driven over raw HTTP: a seeded profile produces its
 * configured rates, the same seed gives the same sequence, and failed operations create nothing.
 */
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';

let emu: RunningEmulator;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const loc = 'projects/faults/locations/us-central1';

beforeAll(async () => {
  emu = await startEmulator({ port: 0, operationDelayMs: 0, jobPhaseMs: 10 });
});

afterAll(async () => {
  agent.destroy();
  await emu.close();
});

interface Answer {
  status: number | 'reset';
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

function call(method: string, path: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      new URL(path, emu.url),
      { method, agent, headers: text ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: raw ? JSON.parse(raw) : undefined });
        });
        res.on('error', reject);
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.message === 'socket hang up') resolve({ status: 'reset', headers: {}, body: undefined });
      else reject(err);
    });
    req.end(text);
  });
}

async function outcomes(n: number): Promise<(number | 'reset')[]> {
  const out: (number | 'reset')[] = [];
  for (let i = 0; i < n; i++) out.push((await call('GET', `v1/${loc}/customJobs`)).status);
  return out;
}

const share = (list: unknown[], value: unknown) => list.filter((x) => x === value).length / list.length;

describe('fault injection', () => {
  const profile = { seed: 42, rate429: 0.2, rate500: 0.1, rate503: 0.1, rateReset: 0.05, retryAfterSeconds: 3 };

  it('a seeded profile produces its configured rates, and the same seed the same sequence', async () => {
    emu.configure({ faults: profile });
    const first = await outcomes(2000);
    expect(share(first, 429)).toBeGreaterThan(0.17);
    expect(share(first, 429)).toBeLessThan(0.23);
    expect(share(first, 500)).toBeGreaterThan(0.07);
    expect(share(first, 500)).toBeLessThan(0.13);
    expect(share(first, 503)).toBeGreaterThan(0.07);
    expect(share(first, 503)).toBeLessThan(0.13);
    expect(share(first, 'reset')).toBeGreaterThan(0.02);
    expect(share(first, 'reset')).toBeLessThan(0.08);
    expect(share(first, 200)).toBeGreaterThan(0.52);
    expect(share(first, 200)).toBeLessThan(0.58);

    emu.configure({ faults: profile });
    expect(await outcomes(300)).toEqual(first.slice(0, 300));
    emu.configure({ faults: { ...profile, seed: 43 } });
    expect(await outcomes(300)).not.toEqual(first.slice(0, 300));
    emu.configure({ faults: undefined });
  });

  it('answers injected faults in Google’s error shape, 429 with Retry-After', async () => {
    emu.configure({ faults: { seed: 1, rate429: 1, retryAfterSeconds: 7 } });
    const limited = await call('GET', `v1/${loc}/customJobs`);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('7');
    expect(limited.body.error).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED' });
    emu.configure({ faults: { seed: 1, rate503: 1, pathPattern: 'tensorboards' } });
    expect((await call('GET', `v1/${loc}/tensorboards`)).body.error).toMatchObject({ code: 503, status: 'UNAVAILABLE' });
    // Paths that do not match the pattern are left alone.
    expect((await call('GET', `v1/${loc}/customJobs`)).status).toBe(200);
    emu.configure({ faults: undefined });
  });

  it('failed operations end with an error and create nothing', async () => {
    const parent = 'projects/faults/locations/europe-west1';
    emu.configure({ faults: { seed: 7, rateFailedOperation: 0.3 } });
    const ops = [];
    for (let i = 0; i < 200; i++) ops.push((await call('POST', `v1/${parent}/tensorboards`, { displayName: `t${i}` })).body);
    emu.configure({ faults: undefined });
    const failed = ops.filter((op) => op.error);
    expect(ops.every((op) => op.done === true)).toBe(true);
    expect(failed.length / ops.length).toBeGreaterThan(0.22);
    expect(failed.length / ops.length).toBeLessThan(0.38);
    expect(failed[0].error).toMatchObject({ code: 13 });
    // tensorboards.list pages at most 100 (its documented maximum).
    const listed: unknown[] = [];
    let token = '';
    do {
      const page = (await call('GET', `v1/${parent}/tensorboards?pageSize=1000${token && `&pageToken=${token}`}`)).body;
      expect(page.tensorboards.length).toBeLessThanOrEqual(100);
      listed.push(...page.tensorboards);
      token = page.nextPageToken ?? '';
    } while (token);
    expect(listed).toHaveLength(200 - failed.length);
  });
});

describe('admin endpoint', () => {
  it('counts API requests by method, resets, and configures faults over HTTP', async () => {
    emu.resetStats();
    await call('GET', `v1/${loc}/customJobs`);
    await call('POST', `v1/${loc}/customJobs`, { displayName: 'j', jobSpec: { workerPoolSpecs: [{ machineSpec: { machineType: 'n1-standard-4' } }] } });
    await call('GET', 'v1/nothing/here');
    const stats = (await call('GET', '__emulator/stats')).body;
    expect(stats.requests).toMatchObject({ total: 3, byMethod: { GET: 2, POST: 1 } });
    expect(stats.requests.byPathKind).toMatchObject({ 'customJobs.list': 1, 'customJobs.create': 1, unknown: 1 });
    expect(emu.stats().requests.total).toBe(3);

    expect((await call('POST', '__emulator/reset')).status).toBe(200);
    expect((await call('GET', '__emulator/stats')).body.requests.total).toBe(0);

    expect((await call('POST', '__emulator/config', { faults: { seed: 3, rate500: 1 } })).status).toBe(200);
    expect((await call('GET', `v1/${loc}/customJobs`)).status).toBe(500);
    expect((await call('POST', '__emulator/config', { faults: null, operationDelayMs: 0 })).status).toBe(200);
    expect((await call('GET', `v1/${loc}/customJobs`)).status).toBe(200);
    const bad = await call('POST', '__emulator/config', { faults: { seed: 1, rate429: 2 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('rate429');
  });

  it('fails jobs by name over HTTP', async () => {
    // Long enough phases that the rule comes before the job's end even on a busy machine.
    emu.configure({ jobPhaseMs: 300 });
    const job = (await call('POST', `v1/${loc}/customJobs`, { displayName: 'by-name', jobSpec: { workerPoolSpecs: [{ machineSpec: { machineType: 'n1-standard-4' } }] } })).body;
    expect((await call('POST', '__emulator/fail-jobs', { name: job.name, message: 'boom' })).status).toBe(200);
    let state = '';
    for (let i = 0; i < 500 && !['JOB_STATE_FAILED', 'JOB_STATE_SUCCEEDED'].includes(state); i++) {
      await new Promise((r) => setTimeout(r, 5));
      state = (await call('GET', `v1/${job.name}`)).body.state;
    }
    expect(state).toBe('JOB_STATE_FAILED');
    emu.configure({ jobPhaseMs: 10 });
  });
});

describe('job outcome profiles', () => {
  const spec = { workerPoolSpecs: [{ machineSpec: { machineType: 'n1-standard-4' } }] };
  const finalState = async (name: string, until: string[]) => {
    let job: any;
    for (let i = 0; i < 1000; i++) {
      job = (await call('GET', `v1/${name}`)).body;
      if (until.includes(job.state)) return job;
      await new Promise((r) => setTimeout(r, 5));
    }
    return job;
  };

  it('rules by display name make jobs fail, be preempted or hang (until cancelled); a seeded share fails', async () => {
    emu.configure({
      jobPhaseMs: 10,
      jobOutcomes: {
        seed: 3,
        failed: 0.3,
        rules: [
          { displayNamePattern: '^oom-', outcome: 'failed', message: 'out of memory' },
          { displayNamePattern: '^spot-', outcome: 'preempted' },
          { displayNamePattern: '^stuck-', outcome: 'hung' },
          { displayNamePattern: '^fine-', outcome: 'succeeded' },
        ],
      },
    });
    try {
      const create = async (displayName: string) => (await call('POST', `v1/${loc}/customJobs`, { displayName, jobSpec: spec })).body.name as string;
      const oom = await finalState(await create('oom-1'), ['JOB_STATE_FAILED', 'JOB_STATE_SUCCEEDED']);
      expect(oom.state).toBe('JOB_STATE_FAILED');
      expect(oom.error).toEqual({ code: 13, message: 'out of memory' });
      const spot = await finalState(await create('spot-1'), ['JOB_STATE_FAILED', 'JOB_STATE_SUCCEEDED']);
      expect(spot.state).toBe('JOB_STATE_FAILED');
      expect(spot.error.code).toBe(14);
      expect((await finalState(await create('fine-1'), ['JOB_STATE_FAILED', 'JOB_STATE_SUCCEEDED'])).state).toBe('JOB_STATE_SUCCEEDED');
      const stuck = await create('stuck-1');
      await new Promise((r) => setTimeout(r, 200));
      expect((await call('GET', `v1/${stuck}`)).body.state).toBe('JOB_STATE_PENDING');
      await call('POST', `v1/${stuck}:cancel`, {});
      expect((await finalState(stuck, ['JOB_STATE_CANCELLED'])).state).toBe('JOB_STATE_CANCELLED');

      const names = [];
      for (let i = 0; i < 100; i++) names.push(await create(`bulk-${i}`));
      await new Promise((r) => setTimeout(r, 100));
      const states = [];
      for (const n of names) states.push((await finalState(n, ['JOB_STATE_FAILED', 'JOB_STATE_SUCCEEDED'])).state);
      const failedShare = states.filter((s) => s === 'JOB_STATE_FAILED').length / states.length;
      expect(failedShare).toBeGreaterThan(0.18);
      expect(failedShare).toBeLessThan(0.42);
    } finally {
      emu.configure({ jobOutcomes: null as never, jobPhaseMs: 10 });
    }
  });

  it('refuses a bad profile over the admin endpoint', async () => {
    const bad = await call('POST', '__emulator/config', { jobOutcomes: { failed: 0.8, hung: 0.5 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('more than 1');
    const rule = await call('POST', '__emulator/config', { jobOutcomes: { rules: [{ displayNamePattern: 'x', outcome: 'exploded' }] } });
    expect(rule.body.error.message).toContain('outcome must be one of');
  });
});
