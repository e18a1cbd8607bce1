import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, ApiError, EndpointError, isNotFound } from '../src/api/client.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { removeScratchDirs, runCli, scratchDir } from './apply.support.js';
import { allKinds, manifestText, PARENT } from './plan-fixtures.js';

/**
 * Know who answers: a server that is not a Google API (an HTML 404 page, a JSON error without
 * Google's shape) is an endpoint error, never "the resource is gone".
 */

interface FakeServer {
  url: string;
  methods: string[];
  close(): Promise<void>;
}

/** A plain web server: every request gets `status` with this content type and body. */
async function plainServer(status: number, contentType: string, body: string): Promise<FakeServer> {
  const methods: string[] = [];
  const server: Server = createServer((req, res) => {
    methods.push(req.method ?? '?');
    req.resume();
    res.writeHead(status, { 'content-type': contentType });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    methods,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const HTML_404 = '<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>';

let emulator: RunningEmulator;
const servers: FakeServer[] = [];
const clients: ApiClient[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, operationDelayMs: 5, jobPhaseMs: 10 });
});
afterAll(async () => {
  for (const c of clients) c.close();
  for (const s of servers) await s.close();
  await emulator.close();
  removeScratchDirs();
});

async function fake(status: number, contentType: string, body: string): Promise<FakeServer> {
  const s = await plainServer(status, contentType, body);
  servers.push(s);
  return s;
}

function clientOf(url: string): ApiClient {
  const c = new ApiClient({ endpoint: url, retries: 1, retryBaseMs: 1 });
  clients.push(c);
  return c;
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

describe('the API client', () => {
  it('calls an HTML 404 an endpoint error naming the URL, not NOT_FOUND', async () => {
    const s = await fake(404, 'text/html; charset=utf-8', HTML_404);
    const err = await failure(clientOf(s.url).request({ api: 'aiplatform', method: 'GET', path: `v1/${PARENT}/tensorboards/1`, query: { pageSize: 5 } }));
    expect(err).toBeInstanceOf(EndpointError);
    expect(isNotFound(err)).toBe(false);
    expect(err.message).toBe(`${s.url}/v1/${PARENT}/tensorboards/1: not a Vertex AI API answer (text/html 404)`);
  });

  it('calls a JSON error without Google\'s {"error":{…}} an endpoint error', async () => {
    const s = await fake(404, 'application/json', '{"detail":"Not Found"}');
    const err = await failure(clientOf(s.url).request({ api: 'notebooks', method: 'GET', path: `v1/${PARENT}/executions/x` }));
    expect(err.message).toBe(`${s.url}/v1/${PARENT}/executions/x: not a Notebooks API answer (application/json 404)`);
  });

  it('calls a 404 whose Google-shaped body does not say NOT_FOUND an endpoint error', async () => {
    const s = await fake(404, 'application/json', '{"error":{"code":404,"message":"no route"}}');
    const err = await failure(clientOf(s.url).request({ api: 'aiplatform', method: 'GET', path: `v1/${PARENT}/tensorboards` }));
    expect(err).toBeInstanceOf(EndpointError);
  });

  it('calls a 200 that is not JSON, or JSON of an unexpected content type, an endpoint error', async () => {
    const html = await fake(200, 'text/html', '<html>welcome</html>');
    expect((await failure(clientOf(html.url).request({ api: 'aiplatform', method: 'GET', path: 'v1/x' }))).message).toBe(
      `${html.url}/v1/x: not a Vertex AI API answer (text/html 200)`,
    );
    const plain = await fake(200, 'text/plain', '{}');
    expect((await failure(clientOf(plain.url).request({ api: 'aiplatform', method: 'GET', path: 'v1/x' }))).message).toBe(
      `${plain.url}/v1/x: not a Vertex AI API answer (text/plain 200)`,
    );
  });

  it('retries a 503 page like any 503, then names the endpoint', async () => {
    const s = await fake(503, 'text/html', '<html>maintenance</html>');
    const err = await failure(clientOf(s.url).request({ api: 'aiplatform', method: 'GET', path: 'v1/x' }));
    expect(s.methods).toHaveLength(2);
    expect(err.message).toBe(`${s.url}/v1/x: not a Vertex AI API answer (text/html 503)`);
  });

  it('takes Google\'s NOT_FOUND as "gone", and other Google errors as API errors', async () => {
    const c = clientOf(emulator.url);
    const gone = await failure(c.request({ api: 'aiplatform', method: 'GET', path: `v1/${PARENT}/tensorboards/404404` }));
    expect(gone).toBeInstanceOf(ApiError);
    expect(isNotFound(gone)).toBe(true);
    const bad = await fake(400, 'application/json; charset=UTF-8', '{"error":{"code":400,"message":"bad field","status":"INVALID_ARGUMENT"}}');
    const err = await failure(clientOf(bad.url).request({ api: 'aiplatform', method: 'GET', path: 'v1/x' }));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toBe('400 INVALID_ARGUMENT: bad field');
  });
});

describe('plan and apply against a web server that answers HTML 404s', () => {
  it('fail with one line and exit 1, write nothing, and keep state as it was', async () => {
    const dir = scratchDir('html404');
    const file = join(dir, 'stack.yaml');
    writeFileSync(file, manifestText('html404', allKinds().map((r) => ({ ...r, props: { ...r.props, ...('projectsId' in r.props && { projectsId: 'html404' }) } }))));
    const first = await runCli(['apply', file, '--auto-approve', '--state', dir, '--endpoint', emulator.url]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const stateFile = join(dir, 'html404.json');
    const before = readFileSync(stateFile, 'utf8');

    const web = await fake(404, 'text/html', HTML_404);
    const oneLine = new RegExp(`^${web.url}/v1/projects/html404/locations/us-central1/[\\w/.-]+: not a (Vertex AI|Notebooks) API answer \\(text/html 404\\)\\n$`);
    for (const args of [['plan', file, '--detailed-exitcode'], ['apply', file, '--auto-approve']]) {
      const res = await runCli([...args, '--state', dir, '--endpoint', web.url]);
      expect(res.stderr).toMatch(oneLine);
      expect(res.stdout).not.toMatch(/no longer exists|will be created/);
      expect(res.code).toBe(1);
    }
    expect(new Set(web.methods)).toEqual(new Set(['GET']));
    expect(readFileSync(stateFile, 'utf8')).toBe(before);
  });
});
