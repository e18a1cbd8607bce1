import type { GoogleErrorBody } from '../core/google-error.js';

/** google.rpc.Code names with their numeric codes and HTTP statuses (google/rpc/code.proto). */
const CODES = {
  CANCELLED: { rpc: 1, http: 499 },
  INVALID_ARGUMENT: { rpc: 3, http: 400 },
  DEADLINE_EXCEEDED: { rpc: 4, http: 504 },
  NOT_FOUND: { rpc: 5, http: 404 },
  ALREADY_EXISTS: { rpc: 6, http: 409 },
  PERMISSION_DENIED: { rpc: 7, http: 403 },
  RESOURCE_EXHAUSTED: { rpc: 8, http: 429 },
  FAILED_PRECONDITION: { rpc: 9, http: 400 },
  ABORTED: { rpc: 10, http: 409 },
  UNIMPLEMENTED: { rpc: 12, http: 501 },
  INTERNAL: { rpc: 13, http: 500 },
  UNAVAILABLE: { rpc: 14, http: 503 },
} as const;

export type RpcStatus = keyof typeof CODES;

export function rpcCode(status: RpcStatus): number {
  return CODES[status].rpc;
}

/** A failed API call: becomes Google's JSON error body with the matching HTTP status. */
export class ApiFailure extends Error {
  readonly details: unknown[];
  readonly headers: Record<string, string>;
  constructor(
    readonly status: RpcStatus,
    message: string,
    opts: { details?: unknown[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.details = opts.details ?? [];
    this.headers = opts.headers ?? {};
  }

  get httpStatus(): number {
    return CODES[this.status].http;
  }

  toBody(): GoogleErrorBody {
    return { error: { code: this.httpStatus, message: this.message, status: this.status, details: this.details } };
  }
}

export const invalidArgument = (message: string, details?: unknown[]) =>
  new ApiFailure('INVALID_ARGUMENT', message, { details });

export const notFound = (message: string) => new ApiFailure('NOT_FOUND', message);

/** google.rpc.BadRequest detail naming the offending fields. */
export function badRequest(violations: { field: string; description: string }[]): unknown {
  return { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: violations };
}
