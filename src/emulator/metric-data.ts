import { getKind } from '../kinds/index.js';
import { messageSchema } from '../schema/registry.js';
import { canonicalTimestamp, isGoogleDatetime } from '../schema/formats.js';
import { canonicalize, checkBody, stripReadOnly } from './bodies.js';
import type { EmulatorCore } from './engine.js';
import { invalidArgument } from './errors.js';
import { parseFilter } from './filter.js';
import { iso } from './jobs.js';
import { decodePageToken, encodePageToken, fingerprint, pageSize } from './pagination.js';
import { itemPattern, requireObjectBody, ResourceHandlers } from './resources.js';
import type { Reply, RequestContext, Route } from './router.js';
import { SeriesPoints } from './series-points.js';
import type { Json } from './store.js';

/**
 * Metric data of TensorBoard time series: runs:write, experiments:write, timeSeries:read and
 * exportTensorboardTimeSeries. Points are indexed by step; a repeated write of a step replaces it.
 */

const MAX_POINTS_PER_WRITE = 5000;
const READ_DEFAULT_POINTS = 1000;
const EXPORT_DEFAULT_PAGE = 1000;
const EXPORT_MAX_PAGE = 10000;

/** Who reads data, for readUsage: the emulator has no users, so every read is this one's. */
const READER = 'emulator-user';

const tensorboards = getKind('google.aiplatform.tensorboards');
const runs = getKind('google.aiplatform.runs');
const experiments = getKind('google.aiplatform.experiments');
const timeSeries = getKind('google.aiplatform.time_series');

/** Which field of a data point carries the value, by the time series' valueType. */
const VALUE_FIELD: Record<string, string> = { SCALAR: 'scalar', TENSOR: 'tensor', BLOB_SEQUENCE: 'blobs' };

interface PendingWrite {
  series: string;
  points: Json[];
}

class MetricData {
  private readonly resources: ResourceHandlers;
  constructor(private readonly core: EmulatorCore) {
    this.resources = new ResourceHandlers(core);
  }

  /** Checks one run's data: time series exist, value types match. Nothing is stored yet. */
  private checkRunData(runName: string, data: Json[], at: string): PendingWrite[] {
    this.resources.find(runs, runName);
    return data.map((series, i) => {
      const name = `${runName}/timeSeries/${String(series.tensorboardTimeSeriesId)}`;
      const stored = this.resources.find(timeSeries, name);
      const valueType = String(stored.body.valueType);
      if (series.valueType !== valueType) {
        throw invalidArgument(
          `${at}time_series_data[${i}].value_type ${String(series.valueType)} does not match the value type ${valueType} of ${name}.`,
        );
      }
      const field = VALUE_FIELD[valueType];
      const points = series.values as Json[];
      points.forEach((p, j) => {
        if (field && p[field] === undefined) {
          throw invalidArgument(`${at}time_series_data[${i}].values[${j}] has no ${field} value, as a ${valueType} time series needs.`);
        }
      });
      return { series: name, points };
    });
  }

  private commit(writes: PendingWrite[], now: number): void {
    const schema = messageSchema('GoogleCloudAiplatformV1TimeSeriesDataPoint');
    // The write's time, for points that give none: one timestamp for the whole request.
    const written = canonicalTimestamp(iso(now));
    for (const { series, points } of writes) {
      let stored = this.core.store.points.get(series);
      if (!stored) this.core.store.points.set(series, (stored = new SeriesPoints()));
      let maxStep = -Infinity;
      const walls = new Set<string>();
      for (const raw of points) {
        let step: number;
        let wall: string;
        if (readScalarPoint(raw, written)) {
          ({ step, wallTime: wall } = scalarRead);
          stored.addScalar(step, scalarRead.value, wall);
        } else {
          const point = canonicalize(schema, { ...raw, wallTime: raw.wallTime ?? written }) as Json;
          step = Number(point.step ?? 0);
          wall = String(point.wallTime ?? '');
          stored.addObject(step, point);
        }
        if (step > maxStep) maxStep = step;
        walls.add(wall);
      }
      this.updateMetadata(series, maxStep, walls);
    }
    this.core.changed();
  }

  /**
   * The time series' output-only metadata, maxStep and maxWallTime, brought up to date with the
   * points just written (not all of them again: a series may hold millions).
   */
  private updateMetadata(series: string, writtenMaxStep: number, writtenWalls: Set<string>): void {
    const res = this.core.store.get(series);
    if (!res) return;
    const before = (res.body.metadata ?? {}) as { maxStep?: string; maxWallTime?: string };
    let maxStep = before.maxStep === undefined ? -Infinity : Number(before.maxStep);
    let maxWall = before.maxWallTime ?? '';
    let maxWallMs = Date.parse(maxWall) || -Infinity;
    if (writtenMaxStep > maxStep) maxStep = writtenMaxStep;
    // Points of one write mostly share their wall time: each parsed once.
    for (const wall of writtenWalls) {
      const ms = Date.parse(wall);
      if (ms > maxWallMs) {
        maxWallMs = ms;
        maxWall = wall;
      }
    }
    res.body.metadata = { ...(maxStep > 0 && { maxStep: String(maxStep) }), ...(maxWall && { maxWallTime: maxWall }) };
  }

  private checkedRequest(message: string, raw: unknown, pathFields: Json = {}): Json {
    const body = { ...requireObjectBody(raw) };
    for (const [k, v] of Object.entries(pathFields)) {
      if (body[k] !== undefined && !this.core.projects.same(String(body[k]), String(v))) throw invalidArgument(`${k} "${String(body[k])}" does not match the URL (${String(v)}).`);
      body[k] = v;
    }
    const schema = messageSchema(message);
    const putBack = setAsidePlainPoints(body);
    try {
      stripReadOnly(schema, body);
      checkBody(schema, body, { requestField: '' });
    } finally {
      putBack();
    }
    return body;
  }

  private checkCount(writes: PendingWrite[]): void {
    const total = writes.reduce((n, w) => n + w.points.length, 0);
    if (total > MAX_POINTS_PER_WRITE) {
      throw invalidArgument(`A write request can carry at most ${MAX_POINTS_PER_WRITE} data points; this one has ${total}.`);
    }
  }

  writeRun(ctx: RequestContext): Reply {
    const body = this.checkedRequest('GoogleCloudAiplatformV1WriteTensorboardRunDataRequest', ctx.body, { tensorboardRun: ctx.path });
    const writes = this.checkRunData(ctx.path, body.timeSeriesData as Json[], '');
    this.checkCount(writes);
    this.commit(writes, ctx.now);
    return { body: {} };
  }

  writeExperiment(ctx: RequestContext): Reply {
    this.resources.find(experiments, ctx.path);
    const body = this.checkedRequest('GoogleCloudAiplatformV1WriteTensorboardExperimentDataRequest', ctx.body);
    const writes = (body.writeRunDataRequests as Json[]).flatMap((req, i) => {
      const run = this.core.projects.canonical(String(req.tensorboardRun));
      if (!run.startsWith(`${ctx.path}/runs/`)) {
        throw invalidArgument(`write_run_data_requests[${i}].tensorboard_run "${run}" is not a run of ${ctx.path}.`);
      }
      return this.checkRunData(run, req.timeSeriesData as Json[], `write_run_data_requests[${i}].`);
    });
    this.checkCount(writes);
    this.commit(writes, ctx.now);
    return { body: {} };
  }

  private sortedPoints(series: string): Json[] {
    return this.core.store.points.get(series)?.points() ?? [];
  }

  /** Counts a data read of a time series as a view of its TensorBoard (readUsage). */
  private countView(series: string, now: number): void {
    const board = this.core.store.get(series.split('/').slice(0, 6).join('/'));
    if (!board) return;
    const month = iso(now).slice(0, 7).replace('-', '');
    const users = ((board.usage ??= {})[month] ??= {});
    users[READER] = (users[READER] ?? 0) + 1;
    this.core.changed();
  }

  /** tensorboards:readUsage: views per month and user. */
  readUsage(ctx: RequestContext): Reply {
    const board = this.resources.find(tensorboards, ctx.path);
    const months = Object.entries(board.usage ?? {}).map(([month, users]) => [
      month,
      { userUsageData: Object.entries(users).map(([username, views]) => ({ username, viewCount: String(views) })) },
    ]);
    return { body: months.length ? { monthlyUsageData: Object.fromEntries(months) } : {} };
  }

  /** tensorboards:readSize: bytes of the data points stored under the TensorBoard. */
  readSize(ctx: RequestContext): Reply {
    const board = this.resources.find(tensorboards, ctx.path);
    let bytes = 0;
    for (const [series, points] of this.core.store.points) {
      if (!series.startsWith(`${board.name}/`)) continue;
      for (const point of points.points()) bytes += Buffer.byteLength(JSON.stringify(point));
    }
    return { body: bytes ? { storageSizeByte: String(bytes) } : {} };
  }

  read(ctx: RequestContext): Reply {
    const stored = this.resources.find(timeSeries, ctx.path);
    this.countView(stored.name, ctx.now);
    const raw = ctx.query.get('maxDataPoints');
    const max = raw === null || raw === '' || raw === '0' ? READ_DEFAULT_POINTS : Number(raw);
    if (!Number.isInteger(max) || max < -1) throw invalidArgument(`Invalid max_data_points "${raw}": a positive number or -1 (all).`);
    const filter = ctx.query.get('filter');
    const matches = filter ? parseFilter(filter) : () => true;
    let points = this.sortedPoints(stored.name).filter(matches);
    if (max !== -1 && points.length > max) {
      // Evenly spaced sample that keeps the first and the last point.
      const n = points.length;
      points = max === 1 ? [points[n - 1]] : Array.from({ length: max }, (_, i) => points[Math.round((i * (n - 1)) / (max - 1))]);
    }
    return {
      body: {
        timeSeriesData: {
          tensorboardTimeSeriesId: stored.name.slice(stored.name.lastIndexOf('/') + 1),
          valueType: stored.body.valueType,
          ...(points.length && { values: points }),
        },
      },
    };
  }

  export(ctx: RequestContext): Reply {
    const stored = this.resources.find(timeSeries, ctx.path);
    this.countView(stored.name, ctx.now);
    const body = this.checkedRequest('GoogleCloudAiplatformV1ExportTensorboardTimeSeriesDataRequest', ctx.body);
    const filter = (body.filter as string | undefined) ?? '';
    const orderBy = ((body.orderBy as string | undefined) ?? '').trim();
    const size = pageSize(body.pageSize === undefined ? null : String(body.pageSize), { default: EXPORT_DEFAULT_PAGE, max: EXPORT_MAX_PAGE });
    const print = fingerprint(ctx.path, filter, orderBy, String(size));
    const offset = decodePageToken((body.pageToken as string | undefined) ?? null, print)?.offset ?? 0;
    const m = /^(step|wall_time|wallTime)(?:\s+(asc|desc))?$/.exec(orderBy);
    if (orderBy && !m) throw invalidArgument(`Invalid order_by "${orderBy}": use step or wall_time, optionally with desc.`);
    let page: Json[];
    let total: number;
    const series = this.core.store.points.get(stored.name);
    if (!filter && (m?.[1] ?? 'step') === 'step' && m?.[2] !== 'desc') {
      // By step, unfiltered: only the page's points are made.
      total = series?.size ?? 0;
      page = Array.from({ length: Math.max(0, Math.min(size, total - offset)) }, (_, i) => series!.point(offset + i));
    } else {
      const matches = filter ? parseFilter(filter) : () => true;
      let points = this.sortedPoints(stored.name).filter(matches);
      if (m?.[1] !== undefined && m[1] !== 'step') {
        points = points.sort((a, b) => Date.parse(String(a.wallTime)) - Date.parse(String(b.wallTime)));
      }
      if (m?.[2] === 'desc') points.reverse();
      page = points.slice(offset, offset + size);
      total = points.length;
    }
    const next = total > offset + size ? encodePageToken({ offset: offset + size }, print) : undefined;
    return { body: { ...(page.length && { timeSeriesDataPoints: page }), ...(next && { nextPageToken: next }) } };
  }
}

/**
 * A point the schema check would pass as it is, told without walking the schema: only step (a
 * safe integer), a scalar value (a number) and a valid wall time. Nothing in it is Output only.
 */
function isPlainScalarPoint(p: unknown): boolean {
  if (!p || typeof p !== 'object' || Array.isArray(p)) return false;
  const point = p as Json;
  for (const k in point) if (k !== 'step' && k !== 'scalar' && k !== 'wallTime') return false;
  if (point.step !== undefined && !Number.isSafeInteger(point.step)) return false;
  if (point.wallTime !== undefined && !(typeof point.wallTime === 'string' && isGoogleDatetime(point.wallTime))) return false;
  const scalar = point.scalar;
  if (scalar === undefined) return true;
  if (!scalar || typeof scalar !== 'object' || Array.isArray(scalar)) return false;
  for (const k in scalar) if (k !== 'value' || typeof (scalar as Json).value !== 'number') return false;
  return true;
}

/**
 * Sets aside the points of a write request's time series whose points are all plain scalar
 * points, so the schema check walks the rest of the body only (a write carries up to 5000
 * points; walking the schema for each cost more than storing them). Returns what puts them back.
 */
function setAsidePlainPoints(body: Json): () => void {
  const aside: [Json, unknown][] = [];
  const seriesOf = (runData: unknown) => (runData && typeof runData === 'object' && Array.isArray((runData as Json).timeSeriesData) ? ((runData as Json).timeSeriesData as unknown[]) : []);
  const runs = Array.isArray(body.writeRunDataRequests) ? (body.writeRunDataRequests as unknown[]) : [body];
  for (const run of runs) {
    for (const series of seriesOf(run)) {
      const values = series && typeof series === 'object' ? (series as Json).values : undefined;
      if (!Array.isArray(values) || !values.length || !values.every(isPlainScalarPoint)) continue;
      aside.push([series as Json, values]);
      (series as Json).values = [];
    }
  }
  return () => {
    for (const [series, values] of aside) series.values = values;
  };
}

/** What readScalarPoint read; reused, so no object is made per point. */
const scalarRead = { step: 0, value: 0, wallTime: '' };

/**
 * Reads a scalar point into scalarRead as canonicalize would make it, without walking the schema
 * (a write carries thousands): the int64 step as a number (a safe integer), the value (0 when
 * left out), the wall time canonical (`written` when it gives none). False for any other shape,
 * which takes the general way.
 */
function readScalarPoint(raw: Json, written: string): boolean {
  for (const k in raw) if (k !== 'step' && k !== 'scalar' && k !== 'wallTime') return false;
  const scalar = raw.scalar as Json | undefined;
  if (!scalar || typeof scalar !== 'object' || Array.isArray(scalar)) return false;
  for (const k in scalar) if (k !== 'value') return false;
  const value = scalar.value;
  if (value !== undefined && typeof value !== 'number') return false;
  const rawStep = raw.step ?? 0;
  let step: number;
  if (typeof rawStep === 'number') step = rawStep;
  else if (typeof rawStep === 'string' && /^-?\d+$/.test(rawStep)) step = Number(rawStep);
  else return false;
  if (!Number.isSafeInteger(step)) return false;
  if (raw.wallTime !== undefined && typeof raw.wallTime !== 'string') return false;
  scalarRead.step = step;
  scalarRead.value = value ?? 0;
  scalarRead.wallTime = raw.wallTime === undefined ? written : canonicalTimestamp(raw.wallTime);
  return true;
}

export function metricDataRoutes(core: EmulatorCore): Route[] {
  const d = new MetricData(core);
  return [
    { method: 'GET', pattern: `${itemPattern(tensorboards)}:readUsage`, name: 'tensorboards.readUsage', api: 'aiplatform', handle: (ctx) => d.readUsage(ctx) },
    { method: 'GET', pattern: `${itemPattern(tensorboards)}:readSize`, name: 'tensorboards.readSize', api: 'aiplatform', handle: (ctx) => d.readSize(ctx) },
    { method: 'POST', pattern: `${itemPattern(runs)}:write`, name: 'runs.write', api: 'aiplatform', handle: (ctx) => d.writeRun(ctx) },
    { method: 'POST', pattern: `${itemPattern(experiments)}:write`, name: 'experiments.write', api: 'aiplatform', handle: (ctx) => d.writeExperiment(ctx) },
    { method: 'GET', pattern: `${itemPattern(timeSeries)}:read`, name: 'timeSeries.read', api: 'aiplatform', handle: (ctx) => d.read(ctx) },
    {
      method: 'POST',
      pattern: `${itemPattern(timeSeries)}:exportTensorboardTimeSeries`,
      name: 'timeSeries.exportTensorboardTimeSeries',
      api: 'aiplatform',
      handle: (ctx) => d.export(ctx),
    },
  ];
}
