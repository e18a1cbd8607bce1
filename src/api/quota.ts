import { setTimeout as sleep } from 'node:timers/promises';
import { KINDS } from '../kinds/index.js';
import type { RequestOptions } from './types.js';

/**
 * Client-side pacing under Vertex AI's request quotas, per project, region and quota kind, so
 * that an apply of many resources is never answered 429 (https://cloud.google.com/vertex-ai/docs/quotas,
 * "Request quotas": 600 resource management (CRUD) and 60 job or LRO submission requests per
 * minute per project and region).
 */
export type QuotaKind = 'resource-management' | 'job-submissions' | 'tensorboard-writes';

export const QUOTA_KINDS: readonly QuotaKind[] = ['resource-management', 'job-submissions', 'tensorboard-writes'];

/** At most `limit` requests in any `windowMs`. */
export interface QuotaRate {
  limit: number;
  windowMs: number;
}

/** Rates per kind; `null` turns a kind's pacing off. Kinds not given keep Google's default. */
export type QuotaRates = Partial<Record<QuotaKind, QuotaRate | null>>;

const MINUTE = 60_000;

/** Google's documented default quotas per project and region. */
export const GOOGLE_QUOTAS: Readonly<Record<QuotaKind, QuotaRate>> = {
  'resource-management': { limit: 600, windowMs: MINUTE },
  'job-submissions': { limit: 60, windowMs: MINUTE },
  // time series data writes (`runs:write`, `experiments:write`) have their own, larger quota
  'tensorboard-writes': { limit: 3000, windowMs: MINUTE },
};

const UNITS: Record<string, number> = { s: 1000, sec: 1000, min: MINUTE, m: MINUTE, h: 60 * MINUTE };

/** `job-submissions=60/min`, `resource-management=10/s`, `job-submissions=100/5s`, `tensorboard-writes=off`. */
export function parseQuotaSetting(text: string): [QuotaKind, QuotaRate | null] {
  const eq = text.indexOf('=');
  const kind = text.slice(0, Math.max(0, eq)) as QuotaKind;
  if (eq <= 0 || !QUOTA_KINDS.includes(kind)) {
    throw new Error(`--quota expects KIND=N/min with KIND one of ${QUOTA_KINDS.join(', ')}, got "${text}"`);
  }
  const value = text.slice(eq + 1).trim();
  if (value === 'off') return [kind, null];
  const m = /^(\d+)\s*\/\s*(\d*)\s*(s|sec|m|min|h)$/.exec(value);
  const limit = m ? Number(m[1]) : NaN;
  const units = m && m[2] ? Number(m[2]) : 1;
  if (!m || !Number.isSafeInteger(limit) || limit < 1 || !Number.isSafeInteger(units) || units < 1) {
    throw new Error(`--quota ${kind}: expected a rate such as 600/min, 10/s, 100/5s or off, got "${value}"`);
  }
  return [kind, { limit, windowMs: units * UNITS[m[3]] }];
}

const JOB_COLLECTIONS = new Set(KINDS.filter((k) => k.job && k.api === 'aiplatform').map((k) => k.collection));

/**
 * The quota kinds one request spends, as Vertex AI counts them: every aiplatform request under
 * `projects/{p}/locations/{l}` is a resource-management request; a create of a job is also a job
 * submission; a time series data write also counts under TensorBoard writes.
 */
export function quotaKindsOf(req: Pick<RequestOptions, 'api' | 'method' | 'path'>): { project: string; region: string; kinds: QuotaKind[] } | undefined {
  if (req.api !== 'aiplatform') return undefined;
  const segments = req.path.replace(/^\/+/, '').split('?')[0].split('/');
  // v1/projects/{p}/locations/{l}/…
  if (segments[1] !== 'projects' || !segments[2]) return undefined;
  const region = segments[3] === 'locations' && segments[4] ? segments[4].split(':')[0] : 'global';
  const kinds: QuotaKind[] = ['resource-management'];
  const last = segments[segments.length - 1];
  if (req.method === 'POST' && JOB_COLLECTIONS.has(last)) kinds.push('job-submissions');
  if (req.method === 'POST' && last.endsWith(':write')) kinds.push('tensorboard-writes');
  return { project: segments[2], region, kinds };
}

/**
 * A token bucket of `limit` tokens whose spent tokens come back one window (plus a margin for
 * the jitter between sending and the server counting) after they were spent: never more than
 * `limit` requests in any window of that length, so neither a fixed-window nor a sliding-window
 * counter on the server's side is exceeded, while a burst up to the limit goes out at once.
 */
const JITTER_MARGIN_MS = 1000;

class RollingBucket {
  /** When each token in use was spent, oldest first (from `head`). */
  private spent: number[] = [];
  private head = 0;
  private readonly returnAfterMs: number;

  constructor(private readonly rate: QuotaRate) {
    this.returnAfterMs = rate.windowMs + Math.max(JITTER_MARGIN_MS, rate.windowMs / 50);
  }

  /** How long until a token is free (0: now). */
  waitMs(now: number): number {
    while (this.head < this.spent.length && this.spent[this.head] + this.returnAfterMs <= now) this.head++;
    if (this.head > 1024 && this.head * 2 > this.spent.length) {
      this.spent = this.spent.slice(this.head);
      this.head = 0;
    }
    if (this.spent.length - this.head < this.rate.limit) return 0;
    return this.spent[this.head] + this.returnAfterMs - now;
  }

  take(now: number): void {
    this.spent.push(now);
  }
}

/** Paces requests under the quotas of each project and region they are counted in. */
export class QuotaPacer {
  private readonly rates: Partial<Record<QuotaKind, QuotaRate>> = {};
  private readonly buckets = new Map<string, RollingBucket>();

  constructor(overrides: QuotaRates = {}) {
    for (const kind of QUOTA_KINDS) {
      const rate = kind in overrides ? overrides[kind] : GOOGLE_QUOTAS[kind];
      if (rate) this.rates[kind] = rate;
    }
  }

  /** Resolves when the request may be sent now, having spent its tokens. */
  async admit(req: Pick<RequestOptions, 'api' | 'method' | 'path'>): Promise<void> {
    const counted = quotaKindsOf(req);
    if (!counted) return;
    const buckets = counted.kinds.flatMap((kind) => {
      const rate = this.rates[kind];
      return rate ? [this.bucket(`${kind} ${counted.project} ${counted.region}`, rate)] : [];
    });
    if (buckets.length === 0) return;
    for (;;) {
      const now = Date.now();
      const wait = Math.max(...buckets.map((b) => b.waitMs(now)));
      if (wait <= 0) {
        for (const b of buckets) b.take(now);
        return;
      }
      await sleep(wait);
    }
  }

  private bucket(key: string, rate: QuotaRate): RollingBucket {
    let b = this.buckets.get(key);
    if (!b) this.buckets.set(key, (b = new RollingBucket(rate)));
    return b;
  }
}
