import { setTimeout as sleep } from 'node:timers/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EmulatorCore } from './engine.js';
import { ApiFailure } from './errors.js';
import { metricDataRoutes } from './metric-data.js';
import { operationRoutes } from './operations.js';
import type { EmulatorOptions, FaultProfile, QuotaSettings } from './options.js';
import { resourceRoutes } from './resources.js';
import { enumParamName, enumsToNames, enumsToNumbers } from './enums.js';
import { checkJobOutcomes } from './outcomes.js';
import { checkQuery, parsePath, Router, urlNotFound, type Route } from './router.js';
import type { FailRule } from './store.js';
import { readSystemParams, selectFields, systemParamName, type SystemParams } from './system-params.js';

/** HTTP in front of the core: admin endpoints, stats, latency, injected faults, routing, JSON. */

const MAX_BODY_BYTES = 64 * 1024 * 1024;
const JSON_TYPE = 'application/json; charset=UTF-8';

export interface Stats {
  requests: { total: number; byMethod: Record<string, number>; byPathKind: Record<string, number>; byStatus: Record<string, number> };
}

export const emptyStats = (): Stats => ({ requests: { total: 0, byMethod: {}, byPathKind: {}, byStatus: {} } });

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, pretty = false): void {
  const text = pretty ? JSON.stringify(body, null, 2) : JSON.stringify(body);
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendFailure(res: ServerResponse, failure: ApiFailure): void {
  send(res, failure.httpStatus, failure.toBody(), failure.headers);
}

function readBody(req: IncomingMessage): Promise<string> {
  // Most calls (GET, DELETE) carry no body: answer them without waiting for stream events.
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
    return Promise.resolve('');
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) reject(new ApiFailure('INVALID_ARGUMENT', `Request payload size exceeds the limit: ${MAX_BODY_BYTES} bytes.`));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiFailure('INVALID_ARGUMENT', `Invalid JSON payload received. ${(err as Error).message}`);
  }
}


/**
 * Another API served beside Vertex AI and Notebooks (e.g. a Cloud Storage part): gets every
 * request whose path starts with `prefix`, before the Vertex AI routes are looked at.
 */
export interface Mount {
  prefix: string;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export class EmulatorServer {
  private readonly router = new Router();
  private readonly server: Server;
  private readonly mounts: Mount[] = [];
  stats: Stats = emptyStats();

  /** Serves another API under a path prefix (see Mount). */
  mount(m: Mount): void {
    this.mounts.push(m);
  }

  constructor(private readonly core: EmulatorCore) {
    for (const route of [...resourceRoutes(core), ...operationRoutes(core), ...metricDataRoutes(core)]) this.router.add(route);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        process.stderr.write(`emulator: ${(err as Error).stack ?? String(err)}\n`);
        if (!res.headersSent) sendFailure(res, new ApiFailure('INTERNAL', 'Internal error encountered.'));
      });
    });
  }

  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      // Never reachable from other machines.
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private count(method: string, route: Route | undefined): void {
    const r = this.stats.requests;
    r.total++;
    r.byMethod[method] = (r.byMethod[method] ?? 0) + 1;
    const kind = route?.name ?? 'unknown';
    r.byPathKind[kind] = (r.byPathKind[kind] ?? 0) + 1;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const method = req.method ?? 'GET';
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const pathname = q >= 0 ? rawUrl.slice(0, q) : rawUrl;
    if (pathname.startsWith('/__emulator/')) return this.admin(method, pathname, req, res);
    const mounted = this.mounts.find((m) => pathname.startsWith(m.prefix));
    if (mounted) return mounted.handle(req, res);

    const parsed = parsePath(pathname);
    const route = parsed && this.router.find(method, parsed);
    this.count(method, route);
    // answers by HTTP status (how many 429s a client ran into)
    res.once('finish', () => {
      const byStatus = this.stats.requests.byStatus;
      byStatus[res.statusCode] = (byStatus[res.statusCode] ?? 0) + 1;
    });
    const settings = this.core.settings;
    let system: SystemParams = { enumsAsNumbers: false, pretty: false };
    try {
      const text = await readBody(req);
      const delay = settings.latencyMs + (settings.jitterMs > 0 ? Math.random() * settings.jitterMs : 0);
      if (delay > 0) await sleep(delay);
      switch (this.core.faults.forRequest(pathname)) {
        case 'reset':
          req.socket.resetAndDestroy();
          return;
        case '429': {
          const secs = this.core.faults.retryAfterSeconds;
          throw new ApiFailure('RESOURCE_EXHAUSTED', 'Quota exceeded: too many requests (injected by the emulator). Retry later.', {
            headers: { 'retry-after': String(secs) },
            details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${secs}s` }],
          });
        }
        case '500':
          throw new ApiFailure('INTERNAL', 'Internal error encountered.');
        case '503':
          throw new ApiFailure('UNAVAILABLE', 'The service is currently unavailable.');
        case 'none':
          break;
      }
      if (!parsed || !route) throw urlNotFound(method, pathname);
      // Vertex AI keeps and names resources by project number; a request may use the id.
      if (route.api === 'aiplatform' && parsed.segments[0] === 'projects' && parsed.segments.length > 1 && !this.core.projects.idsInNames) {
        parsed.segments[1] = this.core.projects.numberOf(parsed.segments[1]);
      }
      // Vertex AI's quotas are per project and region: `projects/{p}/locations/{l}/…`.
      if (route.api === 'aiplatform' && parsed.segments[0] === 'projects') {
        this.core.quotas.charge(parsed.segments[1], parsed.segments[3] ?? 'global', route.jobSubmission === true, Date.now());
      }
      const query = new URLSearchParams(q >= 0 ? rawUrl.slice(q + 1) : '');
      checkQuery(route, query);
      system = readSystemParams(query);
      const discovery = route.discovery;
      for (const name of [...query.keys()]) if (systemParamName(name)) query.delete(name);
      for (const [name, names] of Object.entries(discovery?.enumParams ?? {})) {
        const raw = query.get(name);
        if (raw !== null) query.set(name, enumParamName(names, raw));
      }
      // A method without a request body (HttpRule without `body`) ignores what was sent; Google's
      // REST clients send `""` there.
      let body = discovery && !discovery.request ? undefined : parseJson(text);
      if (discovery?.request && body !== undefined) body = enumsToNames(route.api, discovery.request, body);
      const now = Date.now();
      this.core.settle(now);
      const reply = await route.handle({
        method,
        path: parsed.segments.join('/'),
        segments: parsed.segments,
        verb: parsed.verb,
        query,
        body,
        now,
        discovery,
        aborted: () => res.destroyed,
      });
      let answer = reply.body;
      if (system.enumsAsNumbers && discovery?.response) answer = enumsToNumbers(route.api, discovery.response, answer);
      if (system.fields) answer = selectFields(answer, system.fields);
      if (!res.destroyed) send(res, reply.status ?? 200, answer, {}, system.pretty);
    } catch (err) {
      if (!(err instanceof ApiFailure)) throw err;
      if (!res.destroyed) send(res, err.httpStatus, err.toBody(), err.headers, system.pretty);
    } finally {
      if (!settings.quiet) process.stderr.write(`${method} ${rawUrl} ${res.statusCode} ${Date.now() - started}ms\n`);
    }
  }

  private async admin(method: string, pathname: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const route = `${method} ${pathname}`;
      if (route === 'GET /__emulator/stats') return send(res, 200, this.stats);
      const body = parseJson(await readBody(req)) ?? {};
      if (route === 'POST /__emulator/reset') {
        this.stats = emptyStats();
        return send(res, 200, {});
      }
      if (route === 'POST /__emulator/config') {
        this.core.configure(checkConfig(body));
        return send(res, 200, {});
      }
      if (route === 'POST /__emulator/fail-jobs') {
        this.core.failJobs(checkFailRule(body));
        return send(res, 200, {});
      }
      throw urlNotFound(method, pathname);
    } catch (err) {
      if (err instanceof ApiFailure) return sendFailure(res, err);
      sendFailure(res, new ApiFailure('INVALID_ARGUMENT', (err as Error).message));
    }
  }
}

function fail(message: string): never {
  throw new ApiFailure('INVALID_ARGUMENT', message);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks a POST /__emulator/config body (Partial<EmulatorOptions>). */
export function checkConfig(body: unknown): Partial<EmulatorOptions> {
  if (!isRecord(body)) fail('config must be a JSON object');
  const out: Partial<EmulatorOptions> = {};
  for (const [key, value] of Object.entries(body)) {
    if (value === undefined && key !== 'faults') continue;
    if (key === 'latencyMs' || key === 'jitterMs' || key === 'operationDelayMs' || key === 'jobPhaseMs') {
      if (typeof value !== 'number' || !(value >= 0)) fail(`${key} must be a number ≥ 0`);
      out[key] = value;
    } else if (key === 'quiet') {
      if (typeof value !== 'boolean') fail('quiet must be true or false');
      out.quiet = value;
    } else if (key === 'faults') {
      out.faults = value === null || value === undefined ? undefined : checkFaultProfile(value);
    } else if (key === 'jobOutcomes') {
      out.jobOutcomes = value === null ? undefined : checkJobOutcomes(value, fail);
    } else if (key === 'quotas') {
      out.quotas = value === null || value === false ? undefined : checkQuotas(value);
    } else fail(`unknown or fixed setting "${key}" (port and dataDir cannot change while running)`);
  }
  return out;
}

/** `projectNumbers`: project id → number (digits). */
export function checkProjectNumbers(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (!isRecord(value)) fail('projectNumbers must be an object of project id → number');
  for (const [id, n] of Object.entries(value)) if (typeof n !== 'string' || !/^[1-9]\d{0,18}$/.test(n)) fail(`projectNumbers.${id} must be a number written as a string`);
  return value as Record<string, string>;
}

/** `quotas`: `true` for Google's default limits, or an object of limits (whole numbers). */
export function checkQuotas(value: unknown): QuotaSettings {
  if (value === true) return {};
  if (!isRecord(value)) fail('quotas must be true or an object');
  const out: QuotaSettings = {};
  for (const [key, v] of Object.entries(value)) {
    if (key !== 'resourceManagementPerMinute' && key !== 'jobSubmissionsPerMinute' && key !== 'windowMs') fail(`unknown quota setting "${key}"`);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < (key === 'windowMs' ? 1 : 0)) fail(`quotas.${key} must be a whole number${key === 'windowMs' ? ' ≥ 1' : ' ≥ 0'}`);
    out[key] = v;
  }
  return out;
}

export function checkFaultProfile(value: unknown): FaultProfile {
  if (!isRecord(value)) fail('faults must be an object');
  const out: FaultProfile = { seed: 0 };
  for (const [key, v] of Object.entries(value)) {
    if (key === 'seed' || key === 'retryAfterSeconds') {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(`faults.${key} must be a number ≥ 0`);
      out[key] = v;
    } else if (key === 'rate429' || key === 'rate500' || key === 'rate503' || key === 'rateReset' || key === 'rateFailedOperation') {
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) fail(`faults.${key} must be a number between 0 and 1`);
      out[key] = v;
    } else if (key === 'pathPattern') {
      if (typeof v !== 'string') fail('faults.pathPattern must be a regular expression string');
      try {
        new RegExp(v);
      } catch {
        fail(`faults.pathPattern "${v}" is not a valid regular expression`);
      }
      out.pathPattern = v;
    } else fail(`unknown fault setting "${key}"`);
  }
  const total = (out.rate429 ?? 0) + (out.rate500 ?? 0) + (out.rate503 ?? 0) + (out.rateReset ?? 0);
  if (total > 1) fail('the fault rates add up to more than 1');
  return out;
}

export function checkFailRule(body: unknown): FailRule {
  if (!isRecord(body)) fail('fail-jobs takes a JSON object');
  const rule: FailRule = {};
  for (const [key, v] of Object.entries(body)) {
    if (key !== 'name' && key !== 'displayNamePattern' && key !== 'message') fail(`unknown field "${key}"`);
    if (typeof v !== 'string') fail(`${key} must be a string`);
    rule[key] = v;
  }
  if (rule.name === undefined && rule.displayNamePattern === undefined) fail('give name or displayNamePattern');
  return rule;
}
