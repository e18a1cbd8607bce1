/** Pure parts of the emulator: filters, canonical JSON values, page tokens, stored metric points, and state kept across restarts. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalDuration, canonicalTimestamp } from '../src/schema/formats.js';
import { stripReadOnly } from '../src/emulator/bodies.js';
import { mulberry32 } from '../src/emulator/faults.js';
import { messageSchema } from '../src/schema/registry.js';
import { parseFilter } from '../src/emulator/filter.js';
import { startEmulator } from '../src/emulator/index.js';
import { decodePageToken, encodePageToken, pageSize } from '../src/emulator/pagination.js';
import { SeriesPoints } from '../src/emulator/series-points.js';

describe('filters', () => {
  const job = { displayName: 'my_job_1', state: 'JOB_STATE_RUNNING', labels: { env: 'dev', team: 'a' }, createTime: '2024-05-18T10:00:00Z' };

  it('compares fields in snake_case or camelCase, labels, and times', () => {
    expect(parseFilter('display_name="my_job_1"')(job)).toBe(true);
    expect(parseFilter('displayName = "other"')(job)).toBe(false);
    expect(parseFilter('labels.env=dev AND state="JOB_STATE_RUNNING"')(job)).toBe(true);
    expect(parseFilter('labels.env=dev state="JOB_STATE_FAILED"')(job)).toBe(false);
    expect(parseFilter('create_time>"2024-05-18T00:00:00Z"')(job)).toBe(true);
    expect(parseFilter('create_time<="2024-05-18T09:59:59Z"')(job)).toBe(false);
    expect(parseFilter('labels.team:*')(job)).toBe(true);
    expect(parseFilter('labels.owner:*')(job)).toBe(false);
    expect(parseFilter('display_name:"my_job_*"')(job)).toBe(true);
    expect(parseFilter('displayName=~"^my_.*1$"')(job)).toBe(true);
    expect(parseFilter('NOT display_name="my_job_1"')(job)).toBe(false);
    expect(parseFilter('-labels.env=prod')(job)).toBe(true);
  });

  it('binds OR tighter than AND, as AIP-160 says', () => {
    // a AND b OR c  ==  a AND (b OR c)
    expect(parseFilter('labels.env=prod AND labels.team=a OR state="JOB_STATE_RUNNING"')(job)).toBe(false);
    expect(parseFilter('(labels.env=prod AND labels.team=a) OR state="JOB_STATE_RUNNING"')(job)).toBe(true);
  });

  it('maps aliases (state → jobState) and rejects malformed filters', () => {
    expect(parseFilter('state="JOB_STATE_RUNNING"', { state: 'jobState' })({ jobState: 'JOB_STATE_RUNNING' })).toBe(true);
    expect(() => parseFilter('display_name="unterminated')).toThrow(/Invalid filter/);
    expect(() => parseFilter('display_name')).toThrow(/comparison expected/);
    expect(() => parseFilter('(a=b')).toThrow(/"\)" expected/);
  });
});

describe('canonical values (proto3 JSON)', () => {
  it('writes durations as seconds with 0, 3, 6 or 9 fractional digits', () => {
    expect(canonicalDuration('86400s')).toBe('86400s');
    expect(canonicalDuration('1.5s')).toBe('1.500s');
    expect(canonicalDuration('0.000001s')).toBe('0.000001s');
    expect(canonicalDuration('2.000000000s')).toBe('2s');
  });

  it('writes timestamps in UTC with Z', () => {
    expect(canonicalTimestamp('2024-05-01T02:00:00+02:00')).toBe('2024-05-01T00:00:00Z');
    expect(canonicalTimestamp('2024-05-01T00:00:00.120Z')).toBe('2024-05-01T00:00:00.120Z');
    expect(canonicalTimestamp('2024-05-01T00:00:00.000001z')).toBe('2024-05-01T00:00:00.000001Z');
  });
});

describe('pagination', () => {
  it('clamps page sizes and rejects tokens from another request', () => {
    expect(pageSize(null, { default: 50, max: 1000 })).toBe(50);
    expect(pageSize('5000', { default: 50, max: 1000 })).toBe(1000);
    expect(() => pageSize('-1', { default: 50, max: 1000 })).toThrow();
    const token = encodePageToken({ after: 12 }, 'print-a');
    expect(decodePageToken(token, 'print-a')).toEqual({ after: 12 });
    expect(() => decodePageToken(token, 'print-b')).toThrow(/Invalid page token/);
    expect(() => decodePageToken('not a token', 'print-a')).toThrow(/Invalid page token/);
  });
});

describe('seeded random numbers', () => {
  it('repeat for the same seed', () => {
    const a = mulberry32(9);
    const b = mulberry32(9);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

describe('--data: state across restarts', () => {
  it('keeps resources, operations and data points, written atomically', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vertexctl-emu-'));
    try {
      const loc = 'projects/p/locations/us-central1';
      const first = await startEmulator({ port: 0, dataDir: dir, operationDelayMs: 0 });
      const post = async (base: string, path: string, body: unknown) =>
        (await fetch(`${base}v1/${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })).json() as Promise<any>;
      const op = await post(first.url, `${loc}/tensorboards`, { displayName: 'kept' });
      const tb = op.response.name as string;
      await post(first.url, `${tb}/experiments?tensorboardExperimentId=e`, {});
      await post(first.url, `${tb}/experiments/e/runs?tensorboardRunId=r`, { displayName: 'r' });
      await post(first.url, `${tb}/experiments/e/runs/r/timeSeries?tensorboardTimeSeriesId=loss`, { displayName: 'loss', valueType: 'SCALAR' });
      await post(first.url, `${tb}/experiments/e/runs/r:write`, {
        timeSeriesData: [{ tensorboardTimeSeriesId: 'loss', valueType: 'SCALAR', values: [{ step: '3', scalar: { value: 0.25 } }] }],
      });
      await first.close();
      expect(await readdir(dir)).toEqual(['emulator-state.json']);

      const second = await startEmulator({ port: 0, dataDir: dir, operationDelayMs: 0 });
      try {
        const got = await (await fetch(`${second.url}v1/${tb}`)).json();
        expect(got).toMatchObject({ name: tb, displayName: 'kept', runCount: 1 });
        const points = await (await fetch(`${second.url}v1/${tb}/experiments/e/runs/r/timeSeries/loss:read`)).json();
        expect(points.timeSeriesData.values).toEqual([expect.objectContaining({ step: '3', scalar: { value: 0.25 } })]);
        const opAgain = await (await fetch(`${second.url}v1/${op.name}`)).json();
        expect(opAgain.done).toBe(true);
        const another = await post(second.url, `${loc}/tensorboards`, { displayName: 'new' });
        expect(another.response.name).not.toBe(tb);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('enum numbers for enum-encoding=int', () => {
  it('the committed table equals what the protos of @google-cloud/aiplatform give', async () => {
    const { buildEnumNumbers, renderEnumNumbers, ENUM_NUMBERS_FILE } = await import('../scripts/enum-numbers.js');
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(ENUM_NUMBERS_FILE, 'utf8')).toBe(renderEnumNumbers(buildEnumNumbers()));
  });
});

describe('Output only fields of input', () => {
  it('are dropped at any depth, however many items a list holds, and nothing else is', () => {
    const schema = messageSchema('GoogleCloudAiplatformV1WriteTensorboardRunDataRequest');
    const points = Array.from({ length: 3 }, (_, i) => ({ step: String(i), scalar: { value: i / 2 }, wallTime: '2024-05-01T10:00:00Z' }));
    const blobs = { step: '9', blobs: { values: [{ id: 'server-chosen', data: 'AAE=' }, { data: 'AAI=' }] } };
    const body = { tensorboardRun: 'r', timeSeriesData: [{ tensorboardTimeSeriesId: 'loss', valueType: 'SCALAR', values: points }, { tensorboardTimeSeriesId: 'img', valueType: 'BLOB_SEQUENCE', values: [blobs] }] };
    stripReadOnly(schema, body);
    expect(body.timeSeriesData[0].values).toEqual(Array.from({ length: 3 }, (_, i) => ({ step: String(i), scalar: { value: i / 2 }, wallTime: '2024-05-01T10:00:00Z' })));
    expect(body.timeSeriesData[1].values).toEqual([{ step: '9', blobs: { values: [{ data: 'AAE=' }, { data: 'AAI=' }] } }]);

    const batch = { requests: [{ parent: 'p', tensorboardRunId: 'r', tensorboardRun: { displayName: 'r', createTime: '2024-05-01T10:00:00Z', etag: 'e', labels: { a: 'b' } } }] };
    stripReadOnly(messageSchema('GoogleCloudAiplatformV1BatchCreateTensorboardRunsRequest'), batch);
    expect(batch.requests[0].tensorboardRun).toEqual({ displayName: 'r', etag: 'e', labels: { a: 'b' } });
  });
});

describe('stored metric points', () => {
  it('columns give what a map by step would: sorted, one a step, the last write of a step kept', () => {
    const write = fc.record({
      step: fc.oneof(fc.integer({ min: -5, max: 3000 }), fc.constant(0)),
      value: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(0)),
      wall: fc.constantFrom('', '2024-05-01T00:00:00Z', '2024-05-02T00:00:00.500Z'),
      tensor: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(write, { maxLength: 3000 }), (writes) => {
        const series = new SeriesPoints();
        const model = new Map<number, Record<string, unknown>>();
        for (const w of writes) {
          // A read between writes puts the columns in order.
          if (w.step % 97 === 0) expect(series.size).toBe(model.size);
          if (w.tensor) {
            const point = { step: String(w.step), tensor: { value: 'AAE=' }, wallTime: w.wall };
            series.addObject(w.step, point);
            model.set(w.step, point);
          } else {
            series.addScalar(w.step, w.value, w.wall);
            model.set(w.step, { ...(w.step !== 0 && { step: String(w.step) }), scalar: w.value ? { value: w.value } : {}, ...(w.wall && { wallTime: w.wall }) });
          }
        }
        const expected = [...model].sort(([a], [b]) => a - b).map(([, p]) => p);
        expect(series.size).toBe(expected.length);
        expect(series.points()).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});
