/**
 * Which failures are worth another attempt, and how long to wait before it.
 *
 * 429 and 503 mean the request was not processed; 500/502/504 and dropped connections may or
 * may not have been. Retrying a create after such a failure is still safe for us: creates use
 * client-chosen ids where the API takes one (a twin attempt gets 409 ALREADY_EXISTS, which the
 * applier treats as "already there"), and server-id resources carry ownership labels so an
 * orphan is found and adopted. Every other 4xx is the caller's mistake and is never retried.
 */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

/** Network failures that may succeed on a second try. */
const RETRYABLE_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
]);

/**
 * Nothing listening is rarely fixed by waiting, so a refused connection gets only a couple of
 * quick retries: a wrong --endpoint fails in about a second instead of after the full backoff.
 */
export const CONNECTION_REFUSED_RETRIES = 2;

export const MAX_BACKOFF_MS = 30_000;

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

export function isRetryableNetworkCode(code: string | undefined): boolean {
  return code !== undefined && RETRYABLE_NETWORK_CODES.has(code);
}

/** How many retries a failure of this kind gets, given the client's configured limit. */
export function retryLimitFor(networkCode: string | undefined, retries: number): number {
  return networkCode === 'ECONNREFUSED' ? Math.min(retries, CONNECTION_REFUSED_RETRIES) : retries;
}

/**
 * Exponential backoff with full jitter: a random delay in [0, min(cap, base·2^retry)), where
 * `retry` counts from 0 for the first retry. Full jitter spreads out clients that failed together.
 */
export function backoffDelay(retry: number, baseMs: number, capMs = MAX_BACKOFF_MS, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unparsable. */
export function retryAfterMs(header: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The wait before the next attempt: the jittered backoff, but never less than the server asked for. */
export function retryDelay(retry: number, baseMs: number, retryAfter: number | undefined, random?: () => number): number {
  return Math.max(backoffDelay(retry, baseMs, MAX_BACKOFF_MS, random), retryAfter ?? 0);
}

/**
 * The wait a Google error body asks for: google.rpc.RetryInfo's retryDelay (quota errors carry it,
 * saying when the per-minute window frees up); undefined when the body has none.
 */
export function retryInfoMs(body: unknown): number | undefined {
  const details = (body as { error?: { details?: unknown } } | undefined)?.error?.details;
  if (!Array.isArray(details)) return undefined;
  for (const d of details) {
    const info = d as { '@type'?: unknown; retryDelay?: unknown };
    if (info['@type'] !== 'type.googleapis.com/google.rpc.RetryInfo' || typeof info.retryDelay !== 'string') continue;
    const m = /^(\d+(?:\.\d+)?)s$/.exec(info.retryDelay.trim());
    if (m) return Math.ceil(Number(m[1]) * 1000);
  }
  return undefined;
}
