import { createHash } from 'node:crypto';
import type { KindApi } from './types.js';
import {
  DataSourceError,
  isSourceSpec,
  locate,
  readSource,
  resolveSource,
  sourceHash,
  type DataSource,
} from './time-series-sources.js';

/**
 * A time series' `dataPoints`: metric points as desired state. The manifest gives them inline
 * or as a data file; state keeps a digest per series (count, last step, hash), never the points.
 * Plan reads the live points only when the digest differs from state's (or a write never
 * finished), diffs by step and says how many points go in; apply streams the points the plan
 * names into experiments:write requests of up to 5000 points.
 */

/** The API's limit of data points per write request. */
export const MAX_POINTS_PER_WRITE = 5000;
/** The API's largest page of exportTensorboardTimeSeries. */
export const EXPORT_PAGE_SIZE = 10000;

type Json = Record<string, unknown>;

/** What identifies a series' points: equal digests, equal points. */
export interface Digest {
  points: number;
  lastStep?: number;
  sha256: string;
}

/** What state records of a series' points. */
export interface RecordedPoints extends Digest {
  file?: string;
  tag?: string;
  /** Hash of the data file's bytes: the same bytes need no parsing to know their digest. */
  sourceSha256?: string;
  /** Set before points are written, cleared when the write finished: a crash leaves it, and the next plan reads the live points. */
  pendingWrite?: string;
}

/** The points of one series as the plan carries them to apply. */
export interface PlannedPoints {
  source?: DataSource & { sha256: string };
  inline?: Json[];
  digest: Digest;
  /** The steps to write, as inclusive ranges over the desired steps; empty: nothing to write. */
  write: [number, number][];
}

/** Plan time: the manifest's value checked, with its digest (and the points, when given inline). */
export interface PreparedPoints {
  source?: DataSource & { sha256: string };
  inline?: Json[];
  digest: Digest;
  series?: SeriesPoints;
}

/** What a plan says about a series' points (the `after` of its `dataPoints` field). */
export interface PointsChange {
  /** Points the source holds. */
  points: number;
  add: number;
  change: number;
  /** Live points the source no longer has: the API cannot delete single points. */
  stay: number;
  /** True when the live points were not compared (refresh off). */
  unread?: true;
  /** True when the series is recreated to drop the points that stay. */
  recreate?: true;
}

/** One series' points sorted by step (one a step), as written, with the keys they are compared by. */
export interface SeriesPoints {
  readonly size: number;
  step(i: number): number;
  /** What the point is compared by: its value, and its wall time when it gives one. */
  key(i: number): string;
  /** The point as written (a TimeSeriesDataPoint). */
  point(i: number): Json;
  /** JSON.stringify(point(i)), without the object. */
  pointJson(i: number): string;
}

// ---------------------------------------------------------------------------------------------
// points and their comparison

/** JSON with keys in a fixed order at every level (a tensor's or blob's fields may come in any order). */
function stableJson(v: unknown): string {
  const keys = new Set<string>();
  const walk = (x: unknown) => {
    if (x && typeof x === 'object') for (const [k, y] of Object.entries(x)) keys.add(k), walk(y);
  };
  walk(v);
  return JSON.stringify(v, [...keys].sort());
}

function valueKey(p: Json): string {
  const scalar = p.scalar as { value?: unknown } | undefined;
  if (scalar) return `s${Number(scalar.value ?? 0)}`;
  if (p.tensor) return `t${stableJson(p.tensor)}`;
  if (p.blobs) return `b${stableJson(p.blobs)}`;
  // JSON leaves out zero values: a scalar point of value 0 may come back without its scalar.
  return 's0';
}

function wallKey(wall: unknown): string {
  const ms = Date.parse(String(wall));
  return Number.isNaN(ms) ? String(wall) : String(ms);
}

/** A desired point's key: its value, and its wall time when it gives one (else the server's is fine). */
function desiredKey(p: Json): string {
  return p.wallTime === undefined ? valueKey(p) : `${valueKey(p)}@${wallKey(p.wallTime)}`;
}

function liveKeyFor(desired: Json, live: Json): string {
  return desired.wallTime === undefined ? valueKey(live) : `${valueKey(live)}@${wallKey(live.wallTime)}`;
}

function digestOf(series: SeriesPoints): Digest {
  const hash = createHash('sha256');
  // Hashed in pieces of many points: one update a point costs more than the hashing.
  let text = '';
  for (let i = 0; i < series.size; i++) {
    text += `${series.step(i)} ${series.key(i)}\n`;
    if (text.length > 65536) {
      hash.update(text);
      text = '';
    }
  }
  hash.update(text);
  const n = series.size;
  return { points: n, ...(n && { lastStep: series.step(n - 1) }), sha256: hash.digest('hex').slice(0, 32) };
}

/** Points given inline: any value type, kept as the manifest gives them. */
class InlineSeries implements SeriesPoints {
  constructor(
    private readonly steps: number[],
    private readonly points: Json[],
    private readonly keys: string[],
  ) {}
  get size(): number {
    return this.steps.length;
  }
  step(i: number): number {
    return this.steps[i];
  }
  key(i: number): string {
    return this.keys[i];
  }
  point(i: number): Json {
    return this.points[i];
  }
  pointJson(i: number): string {
    return JSON.stringify(this.points[i]);
  }
}

/**
 * A data file's scalar points in typed arrays, 16 bytes a point (and the wall times, when the
 * file gives them): a million points take 16 MB where objects took hundreds.
 */
class ScalarSeries implements SeriesPoints {
  constructor(
    private readonly steps: Float64Array,
    private readonly values: Float64Array,
    private readonly walls: (string | undefined)[] | undefined,
  ) {}
  get size(): number {
    return this.steps.length;
  }
  step(i: number): number {
    return this.steps[i];
  }
  key(i: number): string {
    const wall = this.walls?.[i];
    return wall === undefined ? `s${this.values[i]}` : `s${this.values[i]}@${wallKey(wall)}`;
  }
  point(i: number): Json {
    const point: Json = { step: this.steps[i], scalar: { value: this.values[i] } };
    const wall = this.walls?.[i];
    if (wall !== undefined) point.wallTime = wall;
    return point;
  }
  pointJson(i: number): string {
    // A finite number's JSON is its String(): the same text JSON.stringify gives.
    const wall = this.walls?.[i];
    const head = `{"step":${this.steps[i]},"scalar":{"value":${this.values[i]}}`;
    return wall === undefined ? `${head}}` : `${head},"wallTime":${JSON.stringify(wall)}}`;
  }
}

/** Where the first conflict is: the step, and the positions of its two values. */
interface Conflict {
  step: number;
  first: number;
  second: number;
}

/** Collects a source's points in reading order; `build` sorts them by step, one a step. */
class ScalarCollector {
  private steps = new Float64Array(1024);
  private values = new Float64Array(1024);
  /** Positions in reading order, to name the places of a conflict. */
  private ats = new Float64Array(1024);
  private walls: (string | undefined)[] | undefined;
  private n = 0;
  private sorted = true;

  add(step: number, value: number, wall: string | undefined, at: number): void {
    const n = this.n;
    if (n === this.steps.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.steps = grow(this.steps);
      this.values = grow(this.values);
      this.ats = grow(this.ats);
    }
    if (n > 0 && step <= this.steps[n - 1]) this.sorted = false;
    this.steps[n] = step;
    this.values[n] = value;
    this.ats[n] = at;
    if (wall !== undefined) (this.walls ??= [])[n] = wall;
    this.n = n + 1;
  }

  /** The points by step; a step read twice with the same value (and wall time) is one point. */
  build(): { series: ScalarSeries; conflict?: Conflict } {
    const n = this.n;
    let order: Uint32Array | undefined;
    if (!this.sorted) {
      // Reading order breaks ties, so the first of a step's points is the one kept.
      order = new Uint32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
      order.sort((a, b) => this.steps[a] - this.steps[b] || a - b);
    }
    const steps = new Float64Array(n);
    const values = new Float64Array(n);
    const walls = this.walls && ([] as (string | undefined)[]);
    let conflict: Conflict | undefined;
    let m = 0;
    let keptAt = 0;
    for (let j = 0; j < n; j++) {
      const i = order ? order[j] : j;
      const step = this.steps[i];
      const wall = this.walls?.[i];
      if (m > 0 && steps[m - 1] === step) {
        const differs = pointKey(this.values[i], wall) !== pointKey(values[m - 1], walls?.[m - 1]);
        if (differs && (!conflict || this.ats[i] < conflict.second)) conflict = { step, first: keptAt, second: this.ats[i] };
        continue;
      }
      steps[m] = step;
      values[m] = this.values[i];
      if (walls && wall !== undefined) walls[m] = wall;
      keptAt = this.ats[i];
      m++;
    }
    return { series: new ScalarSeries(m === n ? steps : steps.slice(0, m), m === n ? values : values.slice(0, m), walls), ...(conflict && { conflict }) };
  }
}

function pointKey(value: number, wall: string | undefined): string {
  return wall === undefined ? `s${value}` : `s${value}@${wallKey(wall)}`;
}

/** An inline list's points by step. Throws DataSourceError for a step given twice with different values. */
function inlineSeries(inline: Json[]): SeriesPoints {
  const byStep = new Map<number, { point: Json; key: string; at: number }>();
  for (let i = 0; i < inline.length; i++) {
    const point = inline[i];
    const step = Number(point.step ?? 0);
    const key = desiredKey(point);
    const seen = byStep.get(step);
    if (!seen) byStep.set(step, { point, key, at: i });
    else if (seen.key !== key) throw new DataSourceError(`dataPoints[${i}]: step ${step} appears twice with different values (also dataPoints[${seen.at}])`);
  }
  const steps = [...byStep.keys()].sort((a, b) => a - b);
  return new InlineSeries(
    steps,
    steps.map((s) => byStep.get(s)!.point),
    steps.map((s) => byStep.get(s)!.key),
  );
}

/** What state records for points given inline, once written. */
export function recordedInline(inline: Json[]): RecordedPoints {
  return digestOf(inlineSeries(inline));
}

/**
 * Data files parsed in this process, by the hash of their bytes: a command that plans and then
 * applies parses each file once. Bounded, so memory stays flat however much data there is;
 * past the bound, apply reads the file again.
 */
const parsedSources = new Map<string, ScalarSeries>();
const PARSED_POINTS_KEPT = 2_000_000;
let parsedPointsKept = 0;

function keepParsed(sha256: string, series: ScalarSeries): void {
  if (parsedSources.has(sha256) || parsedPointsKept + series.size > PARSED_POINTS_KEPT) return;
  parsedSources.set(sha256, series);
  parsedPointsKept += series.size;
}

/** Drops a parsed file once its points are written. */
function forgetParsed(sha256: string): void {
  const series = parsedSources.get(sha256);
  if (!series) return;
  parsedSources.delete(sha256);
  parsedPointsKept -= series.size;
}

/** The series' points, read from its source (or the inline list). Throws DataSourceError on bad data. */
export async function loadSeries(from: { source?: DataSource & { sha256?: string }; inline?: Json[] }): Promise<SeriesPoints> {
  if (from.inline) return inlineSeries(from.inline);
  const src = from.source!;
  const kept = src.sha256 !== undefined ? parsedSources.get(src.sha256) : undefined;
  if (kept) return kept;
  const collector = new ScalarCollector();
  // A point's position packs the file and the line/record, so a conflict can name both places.
  const FILE_STRIDE = 2 ** 40;
  await readSource(src, (step, value, wall, fileIndex, at) => collector.add(step, value, wall, fileIndex * FILE_STRIDE + at));
  const { series, conflict: c } = collector.build();
  if (c) {
    const [first, second] = await Promise.all([c.first, c.second].map((at) => locate(src, Math.floor(at / FILE_STRIDE), at % FILE_STRIDE)));
    const place = (w: typeof first) => (w.line !== undefined ? `${w.file}:${w.line}` : `${w.file} record ${w.record}`);
    throw new DataSourceError(`step ${c.step} appears twice with different values (also at ${place(first)})`, second.file, second.line, second.record);
  }
  if (src.sha256 !== undefined) keepParsed(src.sha256, series);
  return series;
}

// ---------------------------------------------------------------------------------------------
// plan

function isRecorded(v: unknown): v is RecordedPoints {
  return !!v && typeof v === 'object' && !Array.isArray(v) && typeof (v as RecordedPoints).sha256 === 'string';
}

function isPlanned(v: unknown): v is PlannedPoints {
  return !!v && typeof v === 'object' && Array.isArray((v as PlannedPoints).write) && !!(v as PlannedPoints).digest;
}

/**
 * Checks the manifest's value (a list, or a data file) and works out its digest. A data file
 * whose bytes state recorded is not parsed again: its digest is state's.
 */
export async function preparePoints(value: unknown, ctx: { manifestFile: string; recorded: unknown; valueType: unknown }): Promise<PreparedPoints> {
  if (Array.isArray(value)) {
    const inline = value as Json[];
    const series = inlineSeries(inline);
    return { inline, digest: digestOf(series), series };
  }
  if (isPlanned(value)) return { ...(value.source && { source: value.source }), ...(value.inline && { inline: value.inline }), digest: value.digest };
  if (!isSourceSpec(value)) throw new DataSourceError('dataPoints: expected a list of points, or { file: PATH } (with tag: for TensorBoard event files)');
  const src = await resolveSource(value, ctx.manifestFile);
  if (ctx.valueType !== undefined && ctx.valueType !== 'SCALAR') {
    throw new DataSourceError(`dataPoints.file "${value.file}": data files hold scalars; the series' valueType is ${String(ctx.valueType)}, not SCALAR`);
  }
  const sha256 = await sourceHash(src);
  const source = { ...src, sha256 };
  const recorded = ctx.recorded;
  if (isRecorded(recorded) && !recorded.pendingWrite && recorded.sourceSha256 === sha256) {
    return { source, digest: { points: recorded.points, ...(recorded.lastStep !== undefined && { lastStep: recorded.lastStep }), sha256: recorded.sha256 } };
  }
  // The points are not kept: memory stays flat however many series there are. The few whose
  // live points are compared are read again.
  return { source, digest: digestOf(await loadSeries({ source })) };
}

/** Whether the live points must be read: state's digest differs, or a write never finished. */
export function needsLivePoints(prepared: PreparedPoints, recorded: unknown): boolean {
  return !isRecorded(recorded) || !!recorded.pendingWrite || recorded.sha256 !== prepared.digest.sha256 || recorded.points !== prepared.digest.points;
}

/** The live points of a series by step: exportTensorboardTimeSeries, pages of 10,000. */
export async function readLivePoints(client: KindApi, name: string): Promise<Map<number, Json>> {
  const byStep = new Map<number, Json>();
  let pageToken: string | undefined;
  do {
    const res = await client.request<{ timeSeriesDataPoints?: Json[]; nextPageToken?: string }>({
      api: 'aiplatform',
      method: 'POST',
      path: `v1/${name}:exportTensorboardTimeSeries`,
      body: { pageSize: EXPORT_PAGE_SIZE, orderBy: 'step', ...(pageToken && { pageToken }) },
    });
    for (const p of res.timeSeriesDataPoints ?? []) byStep.set(Number(p.step ?? 0), p);
    pageToken = res.nextPageToken || undefined;
  } while (pageToken);
  return byStep;
}

/**
 * The plan for a series' points: which steps apply writes and what to tell people.
 * `live`: the live points when they were read; `fresh`: the series is created (or recreated).
 */
export async function planPoints(
  prepared: PreparedPoints,
  opts: { live?: Map<number, Json>; fresh: boolean; liveRead: boolean; replaceOnDataRemoval: boolean },
): Promise<{ value: PlannedPoints; change?: PointsChange; recreate?: string; recordOnly?: boolean }> {
  const base = { ...(prepared.source && { source: prepared.source }), ...(prepared.inline && { inline: prepared.inline }), digest: prepared.digest };
  const n = prepared.digest.points;
  const all: [number, number][] = n ? [[Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]] : [];
  if (opts.fresh) return { value: { ...base, write: all }, ...(n && { change: { points: n, add: n, change: 0, stay: 0 } }) };
  if (!opts.liveRead) return { value: { ...base, write: [] } };
  if (!opts.live) return { value: { ...base, write: all }, change: { points: n, add: 0, change: n, stay: 0, unread: true } };
  const series = prepared.series ?? (await loadSeries(base));
  const live = opts.live;
  const write: [number, number][] = [];
  let add = 0;
  let change = 0;
  let matched = 0;
  let open = false;
  for (let i = 0; i < series.size; i++) {
    const step = series.step(i);
    const have = live.get(step);
    const differs = !have || liveKeyFor(series.point(i), have) !== series.key(i);
    if (have) matched++;
    if (differs) {
      if (have) change++;
      else add++;
      if (open) write[write.length - 1][1] = step;
      else write.push([step, step]);
    }
    open = differs;
  }
  const stay = live.size - matched;
  if (stay > 0 && opts.replaceOnDataRemoval) {
    return {
      value: { ...base, write: all },
      change: { points: n, add: n, change: 0, stay, recreate: true },
      recreate: `${fmt(stay)} live point${stay === 1 ? ' is' : 's are'} not in dataPoints and replaceOnDataRemoval is set`,
    };
  }
  return { value: { ...base, write }, change: { points: n, add, change, stay }, ...(add + change + stay === 0 && { recordOnly: true }) };
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** One line for people: "+ 12,400 points, ~ 3 points". */
export function describePointsChange(c: PointsChange): string {
  const parts: string[] = [];
  if (c.add) parts.push(`+ ${fmt(c.add)} point${c.add === 1 ? '' : 's'}`);
  if (c.change) parts.push(`~ ${fmt(c.change)} point${c.change === 1 ? '' : 's'}${c.unread ? ' written again (live points not read: refresh is off)' : ''}`);
  if (c.stay) {
    parts.push(
      c.recreate
        ? `${fmt(c.stay)} live point${c.stay === 1 ? '' : 's'} not in dataPoints go with the old series`
        : `${fmt(c.stay)} live point${c.stay === 1 ? '' : 's'} not in dataPoints stay (the API cannot delete points; replaceOnDataRemoval: true recreates the series)`,
    );
  }
  if (!parts.length) parts.push('live points already match; state records their digest');
  return parts.join(', ');
}

/** What state keeps once the planned points are written. */
export function recordedPoints(planned: unknown): unknown {
  if (!isPlanned(planned)) return planned;
  const { digest, source } = planned;
  const out: RecordedPoints = { ...digest };
  if (source) Object.assign(out, { file: source.file, ...(source.tag !== undefined && { tag: source.tag }), sourceSha256: source.sha256 });
  return out;
}

/** The recorded value marked as being written: until the write finished, state does not vouch for the live points. */
export function pendingPoints(recorded: unknown): RecordedPoints {
  const base = isRecorded(recorded) ? recorded : { points: -1, sha256: '' };
  return { ...base, pendingWrite: new Date().toISOString() };
}

// ---------------------------------------------------------------------------------------------
// apply

/** The points of one time series to write. */
export interface SeriesWrite {
  /** Full name of the time series: `.../experiments/E/runs/R/timeSeries/T`. */
  series: string;
  valueType: string;
  planned: PlannedPoints;
}

/** One run's part of a write request, its points as JSON text (a request carries up to 5000). */
interface RunData {
  tensorboardRun: string;
  series: { id: string; valueType: string; points: string[] }[];
}

/** A write request's body as JSON text: the shape of JSON.stringify of WriteTensorboard{Run,Experiment}DataRequest. */
function writeBodyText(chunk: RunData[]): string {
  const seriesText = (run: RunData) =>
    run.series.map((s) => `{"tensorboardTimeSeriesId":${JSON.stringify(s.id)},"valueType":${JSON.stringify(s.valueType)},"values":[${s.points.join(',')}]}`).join(',');
  if (chunk.length === 1) return `{"timeSeriesData":[${seriesText(chunk[0])}]}`;
  return `{"writeRunDataRequests":[${chunk.map((run) => `{"tensorboardRun":${JSON.stringify(run.tensorboardRun)},"timeSeriesData":[${seriesText(run)}]}`).join(',')}]}`;
}

function runOf(series: string): string {
  return series.slice(0, series.lastIndexOf('/timeSeries/'));
}

function experimentOf(run: string): string {
  return run.slice(0, run.lastIndexOf('/runs/'));
}

/**
 * Writes the planned points: series of one experiment share experiments:write requests of up to
 * 5000 points (a request holding a single run uses runs:write), up to `parallelism` requests in
 * flight. Series are read one at a time and requests leave as they fill, so memory stays flat.
 * A data file that changed since the plan was made is refused before anything is written.
 * Returns the number of write requests.
 */
export async function writePoints(client: KindApi, writes: SeriesWrite[], opts: { parallelism: number }): Promise<number> {
  const todo = writes.filter((w) => w.planned.write.length && w.planned.digest.points);
  for (const w of todo) {
    const src = w.planned.source;
    if (src && (await sourceHash(src)) !== src.sha256) {
      throw new Error(`${src.shown.length === 1 ? src.shown[0] : src.file} changed since the plan was made; run plan again`);
    }
  }
  const byExperiment = new Map<string, SeriesWrite[]>();
  for (const w of todo) {
    const exp = experimentOf(runOf(w.series));
    byExperiment.set(exp, [...(byExperiment.get(exp) ?? []), w]);
  }
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let requests = 0;
  const send = async (experiment: string, chunk: RunData[]) => {
    while (inFlight.size >= Math.max(1, opts.parallelism)) await Promise.race(inFlight);
    if (failure) return;
    requests++;
    const path = chunk.length === 1 ? `v1/${chunk[0].tensorboardRun}:write` : `v1/${experiment}:write`;
    const p: Promise<void> = client
      .request({ api: 'aiplatform', method: 'POST', path, bodyText: writeBodyText(chunk) })
      .then(
        () => undefined,
        (err: unknown) => {
          failure ??= err;
        },
      )
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  for (const [experiment, list] of byExperiment) {
    let chunk: RunData[] = [];
    let room = MAX_POINTS_PER_WRITE;
    for (const w of list) {
      if (failure) break;
      const run = runOf(w.series);
      const id = w.series.slice(w.series.lastIndexOf('/') + 1);
      const series = await loadSeries(w.planned);
      if (w.planned.source) forgetParsed(w.planned.source.sha256);
      // The points of the planned steps go into requests as they are taken, as JSON text: one
      // series' points are never all objects (or text) at once.
      const ranges = w.planned.write;
      let values: RunData['series'][number] | undefined;
      for (let i = 0, r = 0; i < series.size && r < ranges.length && !failure; i++) {
        const step = series.step(i);
        while (r < ranges.length && ranges[r][1] < step) r++;
        if (r === ranges.length || ranges[r][0] > step) continue;
        if (!values) {
          let entry = chunk.find((d) => d.tensorboardRun === run);
          if (!entry) chunk.push((entry = { tensorboardRun: run, series: [] }));
          entry.series.push((values = { id, valueType: w.valueType, points: [] }));
        }
        // Joined once the request is full: a flat string, where += makes one of 5000 pieces.
        values.points.push(series.pointJson(i));
        if (--room === 0) {
          await send(experiment, chunk);
          chunk = [];
          room = MAX_POINTS_PER_WRITE;
          values = undefined;
        }
      }
    }
    if (chunk.length && !failure) await send(experiment, chunk);
  }
  await Promise.all(inFlight);
  if (failure) throw failure;
  return requests;
}
