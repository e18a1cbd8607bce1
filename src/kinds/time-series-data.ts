import type { KindApi, KindDef } from './types.js';

/**
 * A time series' `dataPoints` virtual prop: its metric points, read with timeSeries:read and
 * written with experiments:write / runs:write.
 */

/** The API's limit of data points per write request. */
export const MAX_POINTS_PER_WRITE = 5000;

/** The metric points of one time series, as written by experiments:write / runs:write. */
export interface SeriesPoints {
  /** Full name of the time series: `.../experiments/E/runs/R/timeSeries/T`. */
  series: string;
  valueType: string;
  points: unknown[];
}

interface RunData {
  run: string;
  data: { tensorboardTimeSeriesId: string; valueType: string; values: unknown[] }[];
}

function runOf(series: string): string {
  return series.slice(0, series.lastIndexOf('/timeSeries/'));
}

function experimentOf(run: string): string {
  return run.slice(0, run.lastIndexOf('/runs/'));
}

/**
 * Writes metric points in as few calls as the limit allows: series of one experiment share
 * experiments:write calls, a call holding a single run uses runs:write; a series longer than
 * the limit is split across calls (writes of a step overwrite that step, so a rerun is harmless).
 * Returns the number of write calls made.
 */
export async function writeDataPoints(client: KindApi, series: SeriesPoints[]): Promise<number> {
  const byExperiment = new Map<string, SeriesPoints[]>();
  for (const s of series) {
    if (s.points.length === 0) continue;
    const exp = experimentOf(runOf(s.series));
    byExperiment.set(exp, [...(byExperiment.get(exp) ?? []), s]);
  }
  let calls = 0;
  for (const [experiment, list] of byExperiment) {
    for (const chunk of packChunks(list)) {
      calls++;
      if (chunk.length === 1) {
        await client.request({ api: 'aiplatform', method: 'POST', path: `v1/${chunk[0].run}:write`, body: { timeSeriesData: chunk[0].data } });
      } else {
        await client.request({
          api: 'aiplatform',
          method: 'POST',
          path: `v1/${experiment}:write`,
          body: { writeRunDataRequests: chunk.map((r) => ({ tensorboardRun: r.run, timeSeriesData: r.data })) },
        });
      }
    }
  }
  return calls;
}

/** Splits the series' points into requests of at most MAX_POINTS_PER_WRITE points, grouped by run. */
function packChunks(list: SeriesPoints[]): RunData[][] {
  const chunks: RunData[][] = [];
  let current: RunData[] = [];
  let room = MAX_POINTS_PER_WRITE;
  const flush = () => {
    if (current.length) chunks.push(current);
    current = [];
    room = MAX_POINTS_PER_WRITE;
  };
  for (const s of list) {
    const run = runOf(s.series);
    const id = s.series.slice(s.series.lastIndexOf('/') + 1);
    for (let i = 0; i < s.points.length; ) {
      if (room === 0) flush();
      const take = s.points.slice(i, i + room);
      let entry = current.find((r) => r.run === run);
      if (!entry) current.push((entry = { run, data: [] }));
      entry.data.push({ tensorboardTimeSeriesId: id, valueType: s.valueType, values: take });
      room -= take.length;
      i += take.length;
    }
  }
  flush();
  return chunks;
}

/** The API's limit of points one timeSeries:read returns; a manifest holds fewer. */
const MAX_POINTS_PER_READ = 10000;

export async function readDataPoints(client: KindApi, kind: KindDef, name: string): Promise<unknown[]> {
  const res = await client.request<{ timeSeriesData?: { values?: unknown[] } }>({
    api: kind.api,
    method: 'GET',
    path: `${kind.version}/${name}:read`,
    query: { maxDataPoints: MAX_POINTS_PER_READ },
  });
  return res.timeSeriesData?.values ?? [];
}
