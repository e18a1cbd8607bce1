import { describe, expect, it } from 'vitest';
import { getKind } from '../src/kinds/index.js';
import { ownershipLabels } from '../src/kinds/labels.js';
import { classifyChanges, diffBody } from '../src/plan/diff.js';
import { sameResourceName } from '../src/plan/normalize.js';
import { canonicalDuration, canonicalTimestamp } from '../src/schema/formats.js';

/** The comparison rules of the diff, on bodies as Google returns them. */

const customJobs = getKind('google.aiplatform.custom_jobs');
const runs = getKind('google.aiplatform.runs');
const notebookJobs = getKind('google.aiplatform.notebook_execution_jobs');

function diff(kind = runs, desired: Record<string, unknown>, base: Record<string, unknown>, prior?: Record<string, unknown>, extra: { ignoreChanges?: string[]; sensitive?: string[] } = {}) {
  return diffBody({ kind, desired, base, prior, ignoreChanges: extra.ignoreChanges ?? [], sensitive: extra.sensitive ?? [] });
}

describe('canonical forms', () => {
  it('durations', () => {
    expect(canonicalDuration('3600.0s')).toBe('3600s');
    expect(canonicalDuration('1.5s')).toBe('1.500s');
    expect(canonicalDuration('0.000000001s')).toBe('0.000000001s');
    expect(canonicalDuration('-0.0s')).toBe('0s');
    expect(canonicalDuration('soon')).toBe('soon');
  });

  it('timestamps', () => {
    expect(canonicalTimestamp('2024-05-01T12:05:00+02:00')).toBe('2024-05-01T10:05:00Z');
    expect(canonicalTimestamp('2024-05-01T10:05:00.120000000Z')).toBe('2024-05-01T10:05:00.120Z');
    expect(canonicalTimestamp('2024-05-01t10:05:00.000z')).toBe('2024-05-01T10:05:00Z');
  });

  it('resource names: full, bare id, project number', () => {
    const full = 'projects/p1/locations/us-central1/tensorboards/123';
    expect(sameResourceName(full, '123')).toBe(true);
    expect(sameResourceName('123', full)).toBe(true);
    expect(sameResourceName(full, 'projects/4711/locations/us-central1/tensorboards/123')).toBe(true);
    expect(sameResourceName(full, 'projects/p2/locations/us-central1/tensorboards/123')).toBe(false);
    expect(sameResourceName(full, '124')).toBe(false);
  });
});

describe('diffBody', () => {
  it('compares only the fields the user set, after normalising int64, durations and map order', () => {
    const live = {
      displayName: 'job',
      labels: { b: '2', a: '1', ...ownershipLabels({ stack: 's' }, 'job') },
      state: 'JOB_STATE_FAILED',
      jobSpec: {
        workerPoolSpecs: [{ machineSpec: { machineType: 'n1' }, replicaCount: '1', diskSpec: { bootDiskType: 'pd-ssd', bootDiskSizeGb: 100 } }],
        scheduling: { timeout: '7200s' },
        tensorboard: 'projects/4711/locations/us-central1/tensorboards/123',
      },
    };
    const desired = {
      displayName: 'job',
      labels: { a: '1', b: '2' },
      jobSpec: {
        workerPoolSpecs: [{ machineSpec: { machineType: 'n1' }, replicaCount: 1 }],
        scheduling: { timeout: '7200.000s' },
        tensorboard: '123',
      },
    };
    expect(diff(customJobs, desired, live)).toEqual([]);
  });

  it('treats an absent live field as the zero value the user wrote', () => {
    expect(diff(customJobs, { jobSpec: { enableWebAccess: false, reservedIpRanges: [], network: '' } }, { jobSpec: {} })).toEqual([]);
    expect(diff(customJobs, { jobSpec: { enableWebAccess: true } }, { jobSpec: {} })).toEqual([{ path: 'jobSpec.enableWebAccess', after: true }]);
  });

  it('clears what the last apply set and the manifest dropped, unless only the server default is left', () => {
    expect(diff(runs, { displayName: 'r' }, { displayName: 'r', description: 'old' }, { displayName: 'r', description: 'old' })).toEqual([
      { path: 'description', before: 'old' },
    ]);
    // Never set by us: the server's business.
    expect(diff(runs, { displayName: 'r' }, { displayName: 'r', description: 'old' })).toEqual([]);
    // executionTimeout falls back to the documented default once cleared.
    expect(diff(notebookJobs, { displayName: 'n' }, { displayName: 'n', executionTimeout: '86400s' }, { displayName: 'n', executionTimeout: '3600s' })).toEqual([]);
  });

  it('owns a map it sets as a whole, but never our ownership labels or the system keys', () => {
    const live = { labels: { keep: 'x', extra: 'y', 'aiplatform.googleapis.com/training_job_id': '1', ...ownershipLabels({ stack: 's' }, 'r') } };
    expect(diff(runs, { labels: { keep: 'x' } }, live)).toEqual([{ path: 'labels.extra', before: 'y' }]);
  });

  it('skips Output-only fields and ignoreChanges paths, and masks sensitive ones', () => {
    expect(diff(runs, { name: 'x', createTime: '2020-01-01T00:00:00Z', etag: 'e' }, { etag: 'e' })).toEqual([]);
    expect(diff(runs, { displayName: 'a', labels: { t: '1' } }, { displayName: 'b', labels: { t: '2' } }, undefined, { ignoreChanges: ['labels.t'] })).toEqual([
      { path: 'displayName', before: 'b', after: 'a' },
    ]);
    expect(diff(runs, { description: 'secret' }, { description: 'old secret' }, undefined, { sensitive: ['description'] })).toEqual([
      { path: 'description', before: '(sensitive)', after: '(sensitive)', sensitive: true },
    ]);
  });

  it('marks values that depend on a reference still unknown', () => {
    expect(diff(customJobs, { jobSpec: { tensorboard: '{{ training.name }}' } }, { jobSpec: { tensorboard: 'projects/p/locations/l/tensorboards/1' } })).toEqual([
      { path: 'jobSpec.tensorboard', before: 'projects/p/locations/l/tensorboards/1', unknown: true },
    ]);
  });
});

describe('classifyChanges', () => {
  it('patches updatable fields with the minimal top-level mask', () => {
    const changes = diff(runs, { displayName: 'b', labels: { x: '1', y: '2' } }, { displayName: 'a', labels: {} });
    expect(classifyChanges(runs, changes)).toMatchObject({ action: 'update', updateMask: ['displayName', 'labels'] });
  });

  it('replaces for immutable fields and for fields patch cannot change', () => {
    const experiments = getKind('google.aiplatform.experiments');
    expect(classifyChanges(experiments, [{ path: 'source', before: 'a', after: 'b' }])).toMatchObject({ action: 'replace', reason: 'source is immutable' });
    const tensorboards = getKind('google.aiplatform.tensorboards');
    expect(classifyChanges(tensorboards, [{ path: 'satisfiesPzs', after: true }])).toMatchObject({
      action: 'replace',
      reason: 'satisfiesPzs cannot be updated in place',
    });
    expect(classifyChanges(customJobs, [{ path: 'displayName', before: 'a', after: 'b' }])).toMatchObject({
      action: 'replace',
      reason: 'google.aiplatform.custom_jobs cannot be updated in place; changed: displayName',
    });
  });
});
