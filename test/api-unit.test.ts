import { writeFileSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { adcHeaders } from '../src/api/auth.js';
import { baseUrlFor, requestLocation, vendoredAiplatform } from '../src/api/endpoints.js';
import { ApiError, apiErrorFromOperation, apiErrorFromResponse, CredentialsError, formatApiError } from '../src/api/errors.js';
import { redact } from '../src/api/redact.js';
import { backoffDelay, isRetryableNetworkCode, isRetryableStatus, retryAfterMs, retryDelay, retryLimitFor } from '../src/api/retry.js';
import { Semaphore } from '../src/api/semaphore.js';

describe('backoff', () => {
  it('grows exponentially with full jitter below the ceiling, capped at 30 s', () => {
    const nearlyOne = () => 0.999999;
    expect(backoffDelay(0, 500, 30_000, nearlyOne)).toBe(499);
    expect(backoffDelay(1, 500, 30_000, nearlyOne)).toBe(999);
    expect(backoffDelay(3, 500, 30_000, nearlyOne)).toBe(3999);
    expect(backoffDelay(10, 500, 30_000, nearlyOne)).toBe(29_999);
    expect(backoffDelay(3, 500, 30_000, () => 0)).toBe(0);
    expect(backoffDelay(2, 500, 30_000, () => 0.5)).toBe(1000);
  });

  it('never waits less than Retry-After', () => {
    expect(retryDelay(0, 500, 2000, () => 0.5)).toBe(2000);
    expect(retryDelay(4, 500, 100, () => 0.5)).toBe(4000);
    expect(retryDelay(0, 500, undefined, () => 0.5)).toBe(250);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3000);
    expect(retryAfterMs(['1.5'], now)).toBe(1500);
    expect(retryAfterMs('Wed, 01 Jan 2025 00:00:07 GMT', now)).toBe(7000);
    expect(retryAfterMs('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });
});

describe('what is retried', () => {
  it('retries 429 and 5xx gateway failures, never other 4xx', () => {
    for (const s of [429, 500, 502, 503, 504]) expect(isRetryableStatus(s)).toBe(true);
    for (const s of [400, 401, 403, 404, 409, 412, 501]) expect(isRetryableStatus(s)).toBe(false);
  });

  it('retries dropped connections; a refused connection only a couple of times', () => {
    for (const c of ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED']) expect(isRetryableNetworkCode(c)).toBe(true);
    expect(isRetryableNetworkCode('ENOTFOUND')).toBe(false);
    expect(retryLimitFor('ECONNREFUSED', 5)).toBe(2);
    expect(retryLimitFor('ECONNREFUSED', 1)).toBe(1);
    expect(retryLimitFor('ECONNRESET', 5)).toBe(5);
  });
});

describe('endpoints', () => {
  it('uses the regional endpoints of the vendored discovery document', () => {
    expect(baseUrlFor('aiplatform', 'us-central1')).toBe('https://us-central1-aiplatform.googleapis.com/');
    expect(baseUrlFor('aiplatform', 'europe-west4')).toBe('https://europe-west4-aiplatform.googleapis.com/');
    expect(vendoredAiplatform().endpoints?.length).toBeGreaterThan(20);
  });

  it('falls back to the global root for global and unlisted locations', () => {
    const doc = { rootUrl: 'https://aiplatform.googleapis.com', endpoints: [{ location: 'x-1', endpointUrl: 'https://x-1.example/' }] };
    expect(baseUrlFor('aiplatform', 'global', doc)).toBe('https://aiplatform.googleapis.com/');
    expect(baseUrlFor('aiplatform', 'mars-north1', doc)).toBe('https://aiplatform.googleapis.com/');
    expect(baseUrlFor('aiplatform', undefined, doc)).toBe('https://aiplatform.googleapis.com/');
    expect(baseUrlFor('aiplatform', 'x-1', doc)).toBe('https://x-1.example/');
  });

  it('serves notebooks from its one host', () => {
    expect(baseUrlFor('notebooks', 'us-central1')).toBe('https://notebooks.googleapis.com/');
  });

  it('takes the location from the path unless given', () => {
    expect(requestLocation('v1/projects/p/locations/asia-east1/tensorboards/1/experiments')).toBe('asia-east1');
    expect(requestLocation('v1/projects/p/locations/asia-east1/tensorboards', 'us-east1')).toBe('us-east1');
    expect(requestLocation('v1/projects/p')).toBeUndefined();
  });
});

describe('errors', () => {
  it('keeps Google error bodies as one line with the status name', () => {
    const err = apiErrorFromResponse(403, {
      error: { code: 403, message: "Permission 'aiplatform.tensorboardRuns.create' denied\non resource", status: 'PERMISSION_DENIED', details: [{ reason: 'x' }] },
    });
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(403);
    expect(err.code).toBe('PERMISSION_DENIED');
    expect(err.details).toEqual([{ reason: 'x' }]);
    expect(formatApiError(err, { type: 'google.aiplatform.runs', address: 'baseline' })).toBe(
      `google.aiplatform.runs "baseline": 403 PERMISSION_DENIED: Permission 'aiplatform.tensorboardRuns.create' denied on resource`,
    );
  });

  it('derives the status name from HTTP when the body is not Google-shaped', () => {
    const err = apiErrorFromResponse(502, '<html>\n<body>Bad gateway</body>\n</html>', 6);
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toBe('502 INTERNAL: <html> <body>Bad gateway</body> </html> (gave up after 6 attempts)');
    expect(apiErrorFromResponse(404, '').message).toBe('404 NOT_FOUND: HTTP 404');
    expect(apiErrorFromResponse(418, {}).code).toBe('FAILED_PRECONDITION');
  });

  it('turns a failed operation into the matching status', () => {
    const err = apiErrorFromOperation({ name: 'projects/p/locations/l/operations/7', done: true, error: { code: 6, message: 'exists' } });
    expect([err.status, err.code]).toEqual([409, 'ALREADY_EXISTS']);
    expect(err.message).toBe('409 ALREADY_EXISTS: exists (operation projects/p/locations/l/operations/7)');
    expect(apiErrorFromOperation({ name: 'o', done: true, error: { code: 9, message: 'm' } }).code).toBe('FAILED_PRECONDITION');
    expect(apiErrorFromOperation({ name: 'o', done: true, error: { code: 99, message: 'm' } }).code).toBe('UNKNOWN');
  });

  it('formats errors without a resource or of other kinds', () => {
    expect(formatApiError(new ApiError(0, 'UNAVAILABLE', 'cannot reach http://127.0.0.1:9/: ECONNREFUSED', undefined, 3))).toBe(
      'cannot reach http://127.0.0.1:9/: ECONNREFUSED (gave up after 3 attempts)',
    );
    expect(formatApiError(new Error('boom'), { type: 'google.aiplatform.tensorboards' })).toBe('google.aiplatform.tensorboards: boom');
  });
});

describe('redact', () => {
  it('removes bearer tokens, token parameters and JSON token fields', () => {
    const line =
      'GET https://x/v1/a?access_token=ya29.abc-DEF&pageSize=5&token=s3cr3t authorization: Bearer ya29.a0AfH6 {"access_token":"tok1","refresh_token":"tok2"} id_token=eyJhbGc';
    const out = redact(line);
    for (const secret of ['ya29', 'abc-DEF', 's3cr3t', 'a0AfH6', 'tok1', 'tok2', 'eyJhbGc']) expect(out).not.toContain(secret);
    expect(out).toContain('pageSize=5');
    expect(redact('GET https://x/v1/a?pageToken=next2')).toBe('GET https://x/v1/a?pageToken=next2');
    expect(out).toContain('Bearer [REDACTED]');
  });

  it('leaves lines without credentials alone', () => {
    const line = 'POST https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/l/tensorboards 200 12ms attempt 1';
    expect(redact(line)).toBe(line);
  });
});

describe('Semaphore', () => {
  it('never runs more than its limit at once and runs every task', async () => {
    const slots = new Semaphore(3);
    let running = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        slots.run(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setImmediate(r));
          running--;
          return i;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(slots.inFlight).toBe(0);
  });

  it('frees the slot when a task fails', async () => {
    const slots = new Semaphore(1);
    await expect(slots.run(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    await expect(slots.run(() => Promise.resolve(1))).resolves.toBe(1);
  });
});

describe('Application Default Credentials', () => {
  const saved = { ...process.env };
  let server: Server | undefined;
  afterEach(async () => {
    process.env = { ...saved };
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  it('explains in one line how to get credentials when there are none', async () => {
    const home = mkdtempSync(join(tmpdir(), 'vertexctl-home-'));
    Object.assign(process.env, { HOME: home, CLOUDSDK_CONFIG: join(home, 'gcloud'), METADATA_SERVER_DETECTION: 'none' });
    delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    const headers = adcHeaders();
    const err = await headers('https://us-central1-aiplatform.googleapis.com/v1/x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialsError);
    expect((err as Error).message).toBe(
      'no Google credentials found: run `gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS, or use --endpoint/--emulator',
    );
  });

  it('gets a cloud-platform token by workload identity federation, once, and caches it', async () => {
    const exchanges: URLSearchParams[] = [];
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        exchanges.push(new URLSearchParams(body));
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ access_token: 'ya29.federated', issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'Bearer', expires_in: 3600 }));
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const dir = mkdtempSync(join(tmpdir(), 'vertexctl-wif-'));
    writeFileSync(join(dir, 'subject.jwt'), 'ci-oidc-token');
    writeFileSync(
      join(dir, 'credentials.json'),
      JSON.stringify({
        type: 'external_account',
        audience: '//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/ci/providers/github',
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
        token_url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`,
        credential_source: { file: join(dir, 'subject.jwt') },
      }),
    );
    process.env.GOOGLE_APPLICATION_CREDENTIALS = join(dir, 'credentials.json');
    const headers = adcHeaders();
    expect(await headers('https://us-central1-aiplatform.googleapis.com/v1/a')).toMatchObject({ authorization: 'Bearer ya29.federated' });
    expect(await headers('https://us-central1-aiplatform.googleapis.com/v1/b')).toMatchObject({ authorization: 'Bearer ya29.federated' });
    expect(exchanges).toHaveLength(1);
    expect(exchanges[0].get('subject_token')).toBe('ci-oidc-token');
    expect(exchanges[0].get('scope')).toBe('https://www.googleapis.com/auth/cloud-platform');
  });
});
