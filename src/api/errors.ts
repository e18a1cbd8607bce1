import type { Operation } from './types.js';

/** google.rpc.Code numbers → their names and HTTP statuses (google/rpc/code.proto). */
const RPC_CODES: Record<number, [string, number]> = {
  1: ['CANCELLED', 499],
  2: ['UNKNOWN', 500],
  3: ['INVALID_ARGUMENT', 400],
  4: ['DEADLINE_EXCEEDED', 504],
  5: ['NOT_FOUND', 404],
  6: ['ALREADY_EXISTS', 409],
  7: ['PERMISSION_DENIED', 403],
  8: ['RESOURCE_EXHAUSTED', 429],
  9: ['FAILED_PRECONDITION', 400],
  10: ['ABORTED', 409],
  11: ['OUT_OF_RANGE', 400],
  12: ['UNIMPLEMENTED', 501],
  13: ['INTERNAL', 500],
  14: ['UNAVAILABLE', 503],
  15: ['DATA_LOSS', 500],
  16: ['UNAUTHENTICATED', 401],
};

/** The canonical status name for an HTTP status, for error bodies that are not Google's shape. */
const HTTP_STATUSES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export function statusNameForHttp(status: number): string {
  return HTTP_STATUSES[status] ?? (status >= 500 ? 'INTERNAL' : status >= 400 ? 'FAILED_PRECONDITION' : 'UNKNOWN');
}

export function statusNameForRpcCode(code: number): string {
  return RPC_CODES[code]?.[0] ?? 'UNKNOWN';
}

/**
 * An API call that failed. `status` is the HTTP status, or 0 when no HTTP answer came (the host
 * could not be reached, an operation did not finish in time). `code` is Google's status name
 * (NOT_FOUND, ALREADY_EXISTS, ...). `message` is already one line for users:
 * `403 PERMISSION_DENIED: <Google's message>`; the bare server text is in `apiMessage`.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly apiMessage: string;
  readonly details?: unknown;
  /** How many HTTP attempts were made before giving up (1 = no retries). */
  readonly attempts: number;

  constructor(status: number, code: string, apiMessage: string, details?: unknown, attempts = 1) {
    const gaveUp = attempts > 1 ? ` (gave up after ${attempts} attempts)` : '';
    const head = status > 0 ? `${status} ${code}: ` : '';
    super(`${head}${oneLine(apiMessage)}${gaveUp}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.apiMessage = apiMessage;
    this.details = details;
    this.attempts = attempts;
  }
}

/**
 * The endpoint answered, but not as a Google API does: an HTML page, a body that is not JSON, an
 * error without Google's `{"error":{…}}`. Whoever answers is not the API (a wrong --endpoint, a
 * proxy, a captive portal), so nothing it says is evidence about resources: a 404 from it never
 * means "gone". The message is one line naming the URL and what came back.
 */
export class EndpointError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
    readonly contentType: string,
    apiTitle: string,
  ) {
    super(`${url}: not a ${apiTitle} answer (${contentType || 'no content type'} ${status})`);
    this.name = 'EndpointError';
  }
}

/** Whether a failed call says, in Google's own words, that the resource does not exist. */
export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.code === 'NOT_FOUND';
}

/** Whether a body is Google's error shape: `{"error":{"code"?,"message"?,"status"?}}` with a status or message. */
export function isGoogleErrorBody(body: unknown): boolean {
  const err = (body as { error?: unknown } | null | undefined)?.error;
  if (!err || typeof err !== 'object' || Array.isArray(err)) return false;
  const e = err as { message?: unknown; status?: unknown };
  return typeof e.status === 'string' || typeof e.message === 'string';
}

/** No usable Google credentials: not retried, and the message says what to do. */
export class CredentialsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialsError';
  }
}

/** Builds an ApiError from an HTTP error response body (Google's `{error:{...}}` or anything else). */
export function apiErrorFromResponse(status: number, body: unknown, attempts = 1): ApiError {
  const err = (body as { error?: unknown } | undefined)?.error;
  if (err && typeof err === 'object') {
    const e = err as { message?: unknown; status?: unknown; details?: unknown };
    const code = typeof e.status === 'string' && e.status ? e.status : statusNameForHttp(status);
    const message = typeof e.message === 'string' && e.message ? e.message : code;
    return new ApiError(status, code, message, e.details, attempts);
  }
  const text = typeof body === 'string' ? body.trim() : '';
  return new ApiError(status, statusNameForHttp(status), text ? truncate(text, 300) : `HTTP ${status}`, undefined, attempts);
}

/** Builds an ApiError from a finished long-running operation's `error` (a google.rpc.Status). */
export function apiErrorFromOperation(op: Operation): ApiError {
  const e = op.error ?? { code: 2, message: 'operation failed' };
  const [code, status] = RPC_CODES[e.code] ?? ['UNKNOWN', 500];
  return new ApiError(status, code, `${e.message || code} (operation ${op.name})`, e.details);
}

/**
 * One line for users about a failed call on a resource:
 * `google.aiplatform.runs "baseline": 403 PERMISSION_DENIED: ...`.
 */
export function formatApiError(err: unknown, resource?: { type?: string; address?: string }): string {
  const prefix = [resource?.type, resource?.address !== undefined ? `"${resource.address}"` : undefined]
    .filter(Boolean)
    .join(' ');
  const message = err instanceof Error ? err.message : String(err);
  return `${prefix ? `${prefix}: ` : ''}${oneLine(message)}`;
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n\t]\s*/g, ' ').trim();
}

function truncate(text: string, max: number): string {
  const line = oneLine(text);
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
