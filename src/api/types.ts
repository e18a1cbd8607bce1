import type { ApiName } from '../kinds/types.js';

/** Google's error body: `{"error":{"code","message","status","details"}}`. */
export interface GoogleErrorBody {
  error: { code: number; message: string; status: string; details?: unknown[] };
}

export interface Operation {
  name: string;
  done?: boolean;
  metadata?: Record<string, unknown>;
  response?: Record<string, unknown>;
  error?: { code: number; message: string; details?: unknown[] };
}

export interface RequestOptions {
  api: ApiName;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path after the host, e.g. `v1/projects/p/locations/l/tensorboards`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Location, to pick the regional endpoint; derived from the path when omitted. */
  location?: string;
}
