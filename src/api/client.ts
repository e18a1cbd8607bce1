import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Got, Response } from 'got';
import { inAskedProjectSpelling } from '../kinds/names.js';
import type { ApiName } from '../kinds/types.js';
import { adcHeaders, type HeaderSource } from './auth.js';
import { baseUrlFor, requestLocation, withTrailingSlash } from './endpoints.js';
import { ApiError, EndpointError, apiErrorFromOperation, apiErrorFromResponse, isGoogleErrorBody } from './errors.js';
import { redact } from './redact.js';
import { isRetryableNetworkCode, isRetryableStatus, retryAfterMs, retryDelay, retryInfoMs, retryLimitFor } from './retry.js';
import { QuotaPacer, type QuotaRates } from './quota.js';
import { Semaphore } from './semaphore.js';
import type { ListOptions, Operation, RequestOptions, WaitOptions } from './types.js';

export { ApiError, CredentialsError, EndpointError, formatApiError, isNotFound } from './errors.js';
export type { ListOptions, Operation, RequestOptions, WaitOptions } from './types.js';

export interface ApiClientOptions {
  /** Send every call to this URL (an emulator, a proxy), without credentials. */
  endpoint?: string;
  /** Requests in flight per host; default 10. */
  maxInFlightPerHost?: number;
  /** Retries after the first attempt for retryable failures; default 5. */
  retries?: number;
  /** Backoff base: the n-th retry waits up to base·2^n ms (full jitter, capped at 30 s); default 500. */
  retryBaseMs?: number;
  /** Receives one line per HTTP attempt, credentials redacted. */
  debug?: (line: string) => void;
  /** Service account to impersonate; default env VERTEXCTL_IMPERSONATE_SERVICE_ACCOUNT. */
  impersonate?: string;
  /** Timeout of each HTTP attempt; default 60 s. */
  timeoutMs?: number;
  /** Request quotas to pace under, per project and region; kinds not given keep Google's defaults. */
  quotas?: QuotaRates;
}

const DEFAULTS = { maxInFlightPerHost: 10, retries: 5, retryBaseMs: 500, timeoutMs: 60_000 };
const LIST_PAGE_SIZE = 1000;
const OPERATION_TIMEOUT_MS = 30 * 60_000;
/** aiplatform's operations:wait holds the request at most this long. */
const LONG_POLL_MAX_S = 30;
const POLL_BASE_MS = 200;
const POLL_MAX_MS = 10_000;

// got is loaded on the first request, so commands that make none (validate, --version) start fast
type GotModule = typeof import('got');
let gotModule: Promise<GotModule> | undefined;
const loadGot = (): Promise<GotModule> => (gotModule ??= import('got'));

/** One HTTP client per host (prefixUrl) sharing keep-alive agents, each with its in-flight bound. */
interface Host {
  lib: GotModule;
  http: Got;
  slots: Semaphore;
}

type Attempt = { response: Response<unknown> } | { networkCode: string };

/**
 * The Vertex AI and Notebooks REST client: picks the regional host, authenticates (unless an
 * endpoint is given), bounds concurrency per host, retries what is worth retrying, and turns
 * every failure into an ApiError whose message is one line.
 */
export class ApiClient {
  private readonly endpoint?: string;
  private readonly retries: number;
  private readonly retryBaseMs: number;
  private readonly timeoutMs: number;
  private readonly maxInFlightPerHost: number;
  private readonly debug?: (line: string) => void;
  private readonly authHeaders?: HeaderSource;
  private readonly pacer: QuotaPacer;
  private readonly hosts = new Map<string, Host>();
  private readonly agents = {
    http: new HttpAgent({ keepAlive: true }),
    https: new HttpsAgent({ keepAlive: true }),
  };

  constructor(opts: ApiClientOptions = {}) {
    this.endpoint = opts.endpoint ? withTrailingSlash(opts.endpoint) : undefined;
    this.retries = opts.retries ?? DEFAULTS.retries;
    this.retryBaseMs = opts.retryBaseMs ?? DEFAULTS.retryBaseMs;
    this.timeoutMs = opts.timeoutMs ?? DEFAULTS.timeoutMs;
    this.maxInFlightPerHost = opts.maxInFlightPerHost ?? DEFAULTS.maxInFlightPerHost;
    this.debug = opts.debug;
    this.pacer = new QuotaPacer(opts.quotas);
    // with an endpoint, ADC is never touched: the emulator and CI dry runs need no credentials
    if (!this.endpoint) this.authHeaders = adcHeaders(opts.impersonate ?? (process.env.VERTEXCTL_IMPERSONATE_SERVICE_ACCOUNT || undefined));
  }

  async request<T>(req: RequestOptions): Promise<T> {
    const base = this.endpoint ?? baseUrlFor(req.api, requestLocation(req.path, req.location));
    const host = await this.host(base);
    const path = req.path.replace(/^\/+/, '');
    const searchParams = definedParams(req.query);
    const url = new URL(path, base);
    for (const [k, v] of Object.entries(searchParams)) url.searchParams.set(k, String(v));

    for (let attempt = 1; ; attempt++) {
      // per attempt: the library caches the token and refreshes it when it nears expiry
      const headers = this.authHeaders ? await this.authHeaders(url.toString()) : {};
      // the quota is spent right before sending, so requests go out no denser than it allows
      const { outcome, ms } = await host.slots.run(async () => {
        await this.pacer.admit(req);
        return this.attempt(host, path, req, searchParams, headers);
      });
      const retriesUsed = attempt - 1;

      if ('networkCode' in outcome) {
        const { networkCode } = outcome;
        const retry = isRetryableNetworkCode(networkCode) && retriesUsed < retryLimitFor(networkCode, this.retries);
        const delay = retry ? retryDelay(retriesUsed, this.retryBaseMs, undefined) : 0;
        this.log(`${req.method} ${url} ${networkCode} ${ms}ms attempt ${attempt}${retry ? `, retry in ${delay}ms` : ''}`);
        if (!retry) throw new ApiError(0, 'UNAVAILABLE', unreachable(base, networkCode, req.timeoutMs ?? this.timeoutMs), undefined, attempt);
        await sleep(delay);
        continue;
      }

      const { response } = outcome;
      const status = response.statusCode;
      const retry = isRetryableStatus(status) && retriesUsed < this.retries;
      // the server's word on when to come back (Retry-After, or RetryInfo of a quota error) is a floor
      const asked = Math.max(retryAfterMs(response.headers['retry-after']) ?? 0, retryInfoMs(response.body) ?? 0);
      const delay = retry ? retryDelay(retriesUsed, this.retryBaseMs, asked) : 0;
      this.log(`${req.method} ${url} ${status} ${ms}ms attempt ${attempt}${retry ? `, retry in ${delay}ms` : ''}`);
      if (!retry) {
        const stranger = notAnApiAnswer(response);
        if (stranger) throw new EndpointError(`${url.origin}${url.pathname}`, status, stranger, API_TITLES[req.api]);
      }
      // names in the project spelling the caller used (Google answers with project numbers)
      if (status >= 200 && status < 300) return inAskedProjectSpelling(path, response.body === '' ? {} : response.body) as T;
      if (!retry) throw apiErrorFromResponse(status, inAskedProjectSpelling(path, response.body), attempt);
      await sleep(delay);
    }
  }

  /**
   * Every item of a collection, following nextPageToken (pages of 1000 unless the query says
   * otherwise). The next page is asked for before this one's items are handed over, so it is on
   * its way while the caller works on them.
   */
  async *list<T>(opts: ListOptions): AsyncGenerator<T> {
    const fetchPage = (pageToken: string | undefined) => {
      const page = this.request<Record<string, unknown>>({
        api: opts.api,
        method: 'GET',
        path: opts.path,
        location: opts.location,
        query: { pageSize: LIST_PAGE_SIZE, ...opts.query, pageToken },
      });
      // Awaited on the next turn; a caller that stops early leaves it unawaited, and its failure unreported.
      page.catch(() => undefined);
      return page;
    };
    let next: Promise<Record<string, unknown>> | undefined = fetchPage(undefined);
    while (next) {
      const page: Record<string, unknown> = await next;
      const token = typeof page.nextPageToken === 'string' && page.nextPageToken ? page.nextPageToken : undefined;
      next = token ? fetchPage(token) : undefined;
      const items = page[opts.itemsField];
      if (Array.isArray(items)) yield* items as T[];
    }
  }

  /**
   * Resolves with the finished operation (its `response` holds the resource) or throws the
   * ApiError in its `error`. aiplatform is long-polled with operations:wait; notebooks has no
   * wait method and is polled with GET at growing intervals.
   */
  async waitOperation(api: ApiName, op: Operation, opts: WaitOptions = {}): Promise<Operation> {
    const timeoutMs = opts.timeoutMs ?? OPERATION_TIMEOUT_MS;
    const pollBaseMs = opts.pollBaseMs ?? POLL_BASE_MS;
    const deadline = Date.now() + timeoutMs;
    const pause = (n: number) => sleep(Math.max(0, Math.min(deadline - Date.now(), pollBaseMs * 1.5 ** n, POLL_MAX_MS)));
    let current = op;
    // polls answered "not done" in a row (for the long poll: answered before its time was up)
    let unfinished = 0;
    while (!current.done) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new ApiError(0, 'DEADLINE_EXCEEDED', `operation ${op.name} did not finish within ${seconds(timeoutMs)}`);
      }
      if (api === 'aiplatform') {
        // the server may end a long poll early; back off then so such a server is not hammered
        if (unfinished > 0) await pause(unfinished - 1);
        const waitS = Math.min(LONG_POLL_MAX_S, Math.max(1, Math.ceil(remaining / 1000)));
        const asked = Date.now();
        current = await this.request<Operation>({
          api,
          method: 'POST',
          path: `v1/${current.name}:wait`,
          query: { timeout: `${waitS}s` },
          timeoutMs: Math.max(this.timeoutMs, waitS * 1000 + 30_000),
        });
        unfinished = Date.now() - asked < waitS * 1000 ? unfinished + 1 : 0;
      } else {
        await pause(unfinished++);
        current = await this.request<Operation>({ api, method: 'GET', path: `v1/${current.name}` });
      }
    }
    if (current.error) throw apiErrorFromOperation(current);
    return current;
  }

  /** Closes idle keep-alive connections (lets a server such as the emulator shut down at once). */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private async host(base: string): Promise<Host> {
    let host = this.hosts.get(base);
    if (!host) {
      const lib = await loadGot();
      // another request may have made it while got loaded
      host = this.hosts.get(base);
      if (host) return host;
      host = {
        lib,
        http: lib.default.extend({
          prefixUrl: base,
          responseType: 'json',
          throwHttpErrors: false,
          // retries are ours: Retry-After, jitter, the retryable set and attempt counts
          retry: { limit: 0 },
          agent: this.agents,
          headers: { 'user-agent': 'vertexctl' },
        }),
        slots: new Semaphore(this.maxInFlightPerHost),
      };
      this.hosts.set(base, host);
    }
    return host;
  }

  private async attempt(
    { http, lib }: Host,
    path: string,
    req: RequestOptions,
    searchParams: Record<string, string | number | boolean>,
    headers: Record<string, string>,
  ): Promise<{ outcome: Attempt; ms: number }> {
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    try {
      const response = await http(path, {
        method: req.method,
        searchParams,
        ...(req.bodyText === undefined ? { headers, json: req.body } : { headers: { ...headers, 'content-type': 'application/json' }, body: Buffer.from(req.bodyText) }),
        timeout: { request: req.timeoutMs ?? this.timeoutMs },
      });
      return { outcome: { response: response as Response<unknown> }, ms: ms() };
    } catch (err) {
      if (err instanceof lib.ParseError) {
        // a 2xx whose body is not JSON: the host is not the API we think it is
        const url = new URL(err.response.url);
        throw new EndpointError(`${url.origin}${url.pathname}`, err.response.statusCode, contentTypeOf(err.response) || 'not JSON', API_TITLES[req.api]);
      }
      if (err instanceof lib.RequestError) return { outcome: { networkCode: err.code }, ms: ms() };
      throw err;
    }
  }

  private log(line: string): void {
    this.debug?.(redact(line));
  }
}

const API_TITLES: Record<ApiName, string> = { aiplatform: 'Vertex AI API', notebooks: 'Notebooks API' };

function contentTypeOf(response: Response<unknown>): string {
  const header = response.headers['content-type'];
  return (typeof header === 'string' ? header : '').split(';')[0].trim().toLowerCase();
}

/**
 * Why an answer cannot have come from a Google API (its content type, to name in the error), or
 * undefined when it could have. Google answers JSON, errors in `{"error":{…}}`, and a 404 that
 * means "no such resource" says NOT_FOUND; anything else is some other server (a wrong
 * --endpoint, a proxy's HTML page), whose 404 must never read as "the resource is gone".
 */
function notAnApiAnswer(response: Response<unknown>): string | undefined {
  const type = contentTypeOf(response);
  const json = type === 'application/json' || type.endsWith('+json');
  const status = response.statusCode;
  if (status >= 200 && status < 300) return response.body === '' || json ? undefined : type || 'no content type';
  if (!json || !isGoogleErrorBody(response.body)) return type || 'no content type';
  const googleStatus = (response.body as { error: { status?: unknown } }).error.status;
  if (status === 404 && googleStatus !== 'NOT_FOUND') return type;
  return undefined;
}

function definedParams(query: RequestOptions['query']): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) out[k] = v;
  return out;
}

function unreachable(base: string, code: string, timeoutMs: number): string {
  if (code === 'ETIMEDOUT') return `no answer from ${base} within ${seconds(timeoutMs)}: ETIMEDOUT`;
  return `cannot reach ${base}: ${code}`;
}

function seconds(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 100) / 10} s`;
}
