import { ApiFailure } from './errors.js';

/**
 * Opt-in per-minute request quotas, per project and region, as Vertex AI documents them
 * (https://cloud.google.com/vertex-ai/docs/quotas): "Resource management (CRUD) requests per
 * minute per region" (600) and "Job or long-running operation submission requests per minute per
 * region" (60). A request over a limit is answered 429 RESOURCE_EXHAUSTED with the details Google
 * sends: google.rpc.ErrorInfo (reason RATE_LIMIT_EXCEEDED, quota metadata), google.rpc.QuotaFailure,
 * and a google.rpc.RetryInfo saying when the window frees up, plus a Help link.
 */

export interface QuotaSettings {
  /** Resource management (CRUD) requests per window, per project and region; default 600. */
  resourceManagementPerMinute?: number;
  /** Job submissions (custom jobs, notebook execution jobs created) per window; default 60. */
  jobSubmissionsPerMinute?: number;
  /** Length of a quota window; default 60000 (a minute). Tests shorten it. */
  windowMs?: number;
}

export const DEFAULT_QUOTAS: Required<QuotaSettings> = {
  resourceManagementPerMinute: 600,
  jobSubmissionsPerMinute: 60,
  windowMs: 60_000,
};

interface Metric {
  metric: string;
  limitName: string;
  limit: (q: Required<QuotaSettings>) => number;
  what: string;
}

const RESOURCE_MANAGEMENT: Metric = {
  metric: 'aiplatform.googleapis.com/resource_management_requests',
  limitName: 'ResourceManagementRequestsPerMinutePerProjectPerRegion',
  limit: (q) => q.resourceManagementPerMinute,
  what: 'Resource management (CRUD) requests per minute per region',
};

const JOB_SUBMISSION: Metric = {
  metric: 'aiplatform.googleapis.com/job_submission_requests',
  limitName: 'JobSubmissionRequestsPerMinutePerProjectPerRegion',
  limit: (q) => q.jobSubmissionsPerMinute,
  what: 'Job or long-running operation submission requests per minute per region',
};

export class QuotaTracker {
  private settings: Required<QuotaSettings> | undefined;
  /** `metric project region` → window start and requests counted in it. */
  private readonly used = new Map<string, { start: number; count: number }>();

  configure(q: QuotaSettings | undefined): void {
    this.settings = q ? { ...DEFAULT_QUOTAS, ...q } : undefined;
    this.used.clear();
  }

  /** Counts one request of a project and region; throws the 429 Google answers when over a limit. */
  charge(project: string, region: string, jobSubmission: boolean, now: number): void {
    const q = this.settings;
    if (!q) return;
    for (const m of jobSubmission ? [RESOURCE_MANAGEMENT, JOB_SUBMISSION] : [RESOURCE_MANAGEMENT]) {
      const key = `${m.metric} ${project} ${region}`;
      const start = now - (now % q.windowMs);
      let slot = this.used.get(key);
      if (!slot || slot.start !== start) this.used.set(key, (slot = { start, count: 0 }));
      if (slot.count >= m.limit(q)) throw exceeded(m, m.limit(q), project, region, start + q.windowMs - now);
      slot.count++;
    }
  }
}

function exceeded(m: Metric, limit: number, project: string, region: string, waitMs: number): ApiFailure {
  const consumer = `projects/${project}`;
  const seconds = Math.max(0.001, waitMs / 1000);
  return new ApiFailure(
    'RESOURCE_EXHAUSTED',
    `Quota exceeded for quota metric '${m.what}' and limit '${m.limitName}' of service 'aiplatform.googleapis.com' for consumer '${consumer}' in region ${region}.`,
    {
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'RATE_LIMIT_EXCEEDED',
          domain: 'googleapis.com',
          metadata: {
            service: 'aiplatform.googleapis.com',
            consumer,
            quota_metric: m.metric,
            quota_limit: m.limitName,
            quota_limit_value: String(limit),
            quota_location: region,
          },
        },
        {
          '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
          violations: [
            {
              subject: consumer,
              description: `${m.what}: limit ${limit}.`,
              apiService: 'aiplatform.googleapis.com',
              quotaMetric: m.metric,
              quotaId: m.limitName,
              quotaDimensions: { region },
              quotaValue: String(limit),
            },
          ],
        },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${Number(seconds.toFixed(3))}s` },
        {
          '@type': 'type.googleapis.com/google.rpc.Help',
          links: [{ description: 'Request a higher quota limit.', url: 'https://cloud.google.com/docs/quotas/help/request_increase' }],
        },
      ],
    },
  );
}
