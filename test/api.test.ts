import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, ApiError, formatApiError, type ApiClientOptions, type Operation } from '../src/api/client.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';

const PARENT = 'projects/p1/locations/us-central1';
const EXECUTION = {
  executionTemplate: {
    scaleTier: 'CUSTOM',
    masterType: 'n1-standard-4',
    inputNotebookFile: 'gs://bucket/in.ipynb',
    outputNotebookFolder: 'gs://bucket/out',
    containerImageUri: 'gcr.io/deeplearning-platform-release/base-cpu',
  },
};

let emulator: RunningEmulator;
const clients: ApiClient[] = [];

function client(opts: Partial<ApiClientOptions> = {}): ApiClient {
  const c = new ApiClient({ endpoint: emulator.url, retryBaseMs: 5, ...opts });
  clients.push(c);
  return c;
}

async function failure(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

async function createTensorboard(api: ApiClient, displayName: string): Promise<string> {
  const op = await api.request<Operation>({ api: 'aiplatform', method: 'POST', path: `v1/${PARENT}/tensorboards`, body: { displayName } });
  const done = await api.waitOperation('aiplatform', op);
  return String(done.response?.name);
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, operationDelayMs: 5, jobPhaseMs: 5 });
});

afterEach(() => {
  emulator.configure({ faults: undefined, latencyMs: 0 });
  emulator.resetStats();
});

afterAll(async () => {
  for (const c of clients) c.close();
  await emulator.close();
});

describe('ApiClient against the emulator', () => {
  it('creates with a long-running operation, long-polls it with operations:wait, and gets the resource', async () => {
    const lines: string[] = [];
    const api = client({ debug: (l) => lines.push(l) });
    const name = await createTensorboard(api, 'training');
    expect(lines.some((l) => /^POST \S+\/operations\/[^/]+:wait\?timeout=30s 200 /.test(l))).toBe(true);
    expect(name).toMatch(/^projects\/p1\/locations\/us-central1\/tensorboards\/[^/]+$/);
    const got = await api.request<{ name: string; displayName: string }>({ api: 'aiplatform', method: 'GET', path: `v1/${name}` });
    expect(got).toMatchObject({ name, displayName: 'training' });
  });

  it('lists every item across pages, one request per page', async () => {
    const api = client();
    const board = await createTensorboard(api, 'paged');
    const ids = Array.from({ length: 7 }, (_, i) => `exp-${i}`);
    await Promise.all(
      ids.map((id) =>
        api.request({ api: 'aiplatform', method: 'POST', path: `v1/${board}/experiments`, query: { tensorboardExperimentId: id }, body: {} }),
      ),
    );
    emulator.resetStats();
    const names: string[] = [];
    for await (const e of api.list<{ name: string }>({ api: 'aiplatform', path: `v1/${board}/experiments`, query: { pageSize: 3 }, itemsField: 'tensorboardExperiments' })) {
      names.push(e.name);
    }
    expect(names.map((n) => n.slice(n.lastIndexOf('/') + 1)).sort()).toEqual(ids);
    expect(emulator.stats().requests.total).toBe(3);
  });

  it('waits for a notebooks operation by polling, and surfaces a failed operation as an ApiError', async () => {
    const lines: string[] = [];
    const api = client({ debug: (l) => lines.push(l) });
    const op = await api.request<Operation>({ api: 'notebooks', method: 'POST', path: `v1/${PARENT}/executions`, query: { executionId: 'nightly' }, body: EXECUTION });
    const done = await api.waitOperation('notebooks', op, { pollBaseMs: 5 });
    expect(done.response?.name).toBe(`${PARENT}/executions/nightly`);
    expect(lines.some((l) => l.startsWith(`GET ${emulator.url}v1/${op.name} 200 `))).toBe(true);
    expect(lines.some((l) => l.includes(':wait'))).toBe(false);

    emulator.configure({ faults: { seed: 1, rateFailedOperation: 1 } });
    const failing = await api.request<Operation>({ api: 'notebooks', method: 'POST', path: `v1/${PARENT}/executions`, query: { executionId: 'doomed' }, body: EXECUTION });
    const err = await failure(api.waitOperation('notebooks', failing, { pollBaseMs: 5 }));
    expect([err.status, err.code]).toEqual([500, 'INTERNAL']);
    expect(err.message).toBe(`500 INTERNAL: Internal error encountered. (operation ${failing.name})`);
  });

  it('gives up waiting for an operation after its timeout, naming the operation', async () => {
    const api = client();
    emulator.configure({ operationDelayMs: 60_000 });
    try {
      const op = await api.request<Operation>({ api: 'notebooks', method: 'POST', path: `v1/${PARENT}/executions`, query: { executionId: 'slow' }, body: EXECUTION });
      const err = await failure(api.waitOperation('notebooks', op, { timeoutMs: 100, pollBaseMs: 5 }));
      expect(err.code).toBe('DEADLINE_EXCEEDED');
      expect(err.message).toBe(`operation ${op.name} did not finish within 0.1 s`);
    } finally {
      emulator.configure({ operationDelayMs: 5 });
    }
  });
});

describe('retries', () => {
  it('succeeds under a seeded mix of 429, 500, 503 and connection resets, one emulator request per logged attempt', async () => {
    const lines: string[] = [];
    const api = client({ retries: 8, debug: (l) => lines.push(l) });
    const board = await createTensorboard(api, 'flaky');
    emulator.resetStats();
    lines.length = 0;
    emulator.configure({ faults: { seed: 42, rate429: 0.15, rate500: 0.1, rate503: 0.1, rateReset: 0.1, retryAfterSeconds: 0 } });
    const results = await Promise.all(
      Array.from({ length: 30 }, () => api.request<{ name: string }>({ api: 'aiplatform', method: 'GET', path: `v1/${board}` })),
    );
    expect(results.every((r) => r.name === board)).toBe(true);
    const total = emulator.stats().requests.total;
    expect(total).toBe(lines.length);
    expect(total).toBeGreaterThan(30);
    expect(lines.filter((l) => /, retry in \d+ms$/.test(l))).toHaveLength(total - 30);
    for (const code of [' 429 ', ' 500 ', ' 503 ', ' ECONNRESET ']) expect(lines.some((l) => l.includes(code))).toBe(true);
  });

  it('gives up after the configured retries with one clear line', async () => {
    const api = client({ retries: 3 });
    emulator.configure({ faults: { seed: 1, rate503: 1, retryAfterSeconds: 0 } });
    const err = await failure(api.request({ api: 'aiplatform', method: 'GET', path: `v1/${PARENT}/tensorboards` }));
    expect(err.status).toBe(503);
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.attempts).toBe(4);
    expect(emulator.stats().requests.total).toBe(4);
    const line = formatApiError(err, { type: 'google.aiplatform.tensorboards', address: 'training' });
    expect(line).toMatch(/^google\.aiplatform\.tensorboards "training": 503 UNAVAILABLE: .+ \(gave up after 4 attempts\)$/);
    expect(line).not.toContain('\n');
  });

  it('never retries 404, 400 or 409', async () => {
    const api = client();
    const board = await createTensorboard(api, 'fixed');
    const create = () =>
      api.request({ api: 'aiplatform', method: 'POST', path: `v1/${board}/experiments`, query: { tensorboardExperimentId: 'once' }, body: {} });
    await create();

    const cases: [() => Promise<unknown>, number, string][] = [
      [() => api.request({ api: 'aiplatform', method: 'GET', path: `v1/${board}/experiments/missing` }), 404, 'NOT_FOUND'],
      [() => api.request({ api: 'aiplatform', method: 'POST', path: `v1/${board}/experiments`, query: { tensorboardExperimentId: 'Bad Id!' }, body: {} }), 400, 'INVALID_ARGUMENT'],
      [create, 409, 'ALREADY_EXISTS'],
    ];
    for (const [call, status, code] of cases) {
      emulator.resetStats();
      const err = await failure(call());
      expect([err.status, err.code, err.attempts]).toEqual([status, code, 1]);
      expect(emulator.stats().requests.total).toBe(1);
    }
  });

  it('waits at least as long as Retry-After says', async () => {
    const api = client({ retries: 1 });
    emulator.configure({ faults: { seed: 3, rate429: 1, retryAfterSeconds: 1 } });
    const started = Date.now();
    const err = await failure(api.request({ api: 'aiplatform', method: 'GET', path: `v1/${PARENT}/tensorboards` }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect([err.status, err.code, err.attempts]).toEqual([429, 'RESOURCE_EXHAUSTED', 2]);
  });

  it('times out an attempt that gets no answer, retries it, and says so in one line', async () => {
    const api = client({ retries: 1, timeoutMs: 100 });
    emulator.configure({ latencyMs: 400 });
    const err = await failure(api.request({ api: 'aiplatform', method: 'GET', path: `v1/${PARENT}/tensorboards` }));
    expect(err.message).toBe(`no answer from ${emulator.url} within 0.1 s: ETIMEDOUT (gave up after 2 attempts)`);
  });
});

describe('unreachable endpoint', () => {
  it('fails in one clear line after a couple of quick retries', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((r) => closed.close(() => r()));

    const lines: string[] = [];
    const api = new ApiClient({ endpoint: `http://127.0.0.1:${port}`, retryBaseMs: 5, debug: (l) => lines.push(l) });
    clients.push(api);
    const err = await failure(api.request({ api: 'aiplatform', method: 'GET', path: `v1/${PARENT}/tensorboards` }));
    expect(err.code).toBe('UNAVAILABLE');
    expect(formatApiError(err, { type: 'google.aiplatform.tensorboards', address: 'training' })).toBe(
      `google.aiplatform.tensorboards "training": cannot reach http://127.0.0.1:${port}/: ECONNREFUSED (gave up after 3 attempts)`,
    );
    expect(lines).toHaveLength(3);
  });
});

describe('concurrency', () => {
  let server: Server;
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('keeps at most maxInFlightPerHost requests open at once', async () => {
    let open = 0;
    let peak = 0;
    server = createServer((_req, res) => {
      open++;
      peak = Math.max(peak, open);
      setTimeout(() => {
        open--;
        res.setHeader('content-type', 'application/json');
        res.end('{}');
      }, 10);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const api = new ApiClient({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, maxInFlightPerHost: 3 });
    clients.push(api);
    await Promise.all(Array.from({ length: 15 }, (_, i) => api.request({ api: 'aiplatform', method: 'GET', path: `v1/${PARENT}/tensorboards/${i}` })));
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThan(0);
  });
});

describe('debug log', () => {
  it('logs one line per attempt with method, URL, status, time and attempt, and never a token', async () => {
    const lines: string[] = [];
    const api = client({ debug: (l) => lines.push(l) });
    await api.request({ api: 'aiplatform', method: 'GET', path: `v1/${PARENT}/tensorboards`, query: { access_token: 'ya29.leaked-secret' } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^GET ${emulator.url}v1/${PARENT}/tensorboards\\?access_token=\\[REDACTED\\] 200 \\d+ms attempt 1$`));
    expect(lines.join('\n')).not.toMatch(/ya29|leaked-secret|Bearer/);
  });
});
