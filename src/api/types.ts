import type { ApiName, KindRequest } from '../kinds/types.js';

export interface Operation {
  name: string;
  done?: boolean;
  metadata?: Record<string, unknown>;
  response?: Record<string, unknown>;
  error?: { code: number; message: string; details?: unknown[] };
}

/** One call: `path` is after the host, e.g. `v1/projects/p/locations/l/tensorboards`. */
export interface RequestOptions extends KindRequest {
  /** Location, to pick the regional endpoint; derived from the path when omitted. */
  location?: string;
  /** Per-attempt timeout, overriding the client's (long polls need more than their wait). */
  timeoutMs?: number;
}

export interface ListOptions {
  api: ApiName;
  /** Collection path, e.g. `v1/projects/p/locations/l/tensorboards`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** The response field that holds the page's items (`tensorboards`, `tensorboardRuns`, ...). */
  itemsField: string;
  location?: string;
}

export interface WaitOptions {
  /** Give up (DEADLINE_EXCEEDED) when the operation is not done after this long; default 30 min. */
  timeoutMs?: number;
  /** First delay between polls where the API has no long poll (notebooks); default 200 ms, grows to 10 s. */
  pollBaseMs?: number;
}
