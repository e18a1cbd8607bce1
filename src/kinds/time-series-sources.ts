import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parse as parseCsv } from 'csv-parse';
import { EventFileError, readEventFile } from './tfevents.js';

/**
 * Files that hold a time series' metric points: CSV (`step,value[,wallTime]`), JSON Lines
 * (`{"step","value","wallTime"?}`) and TensorBoard event files (a file, or every
 * `*tfevents*` file of a log directory, with the tag to take). Paths are relative to the
 * manifest that names them and must stay inside its directory (the stack's directory).
 */

export type SourceFormat = 'csv' | 'jsonl' | 'tfevents';

/** `dataPoints: { file, tag? }` as the manifest writes it. */
export interface SourceSpec {
  file: string;
  tag?: string;
}

export interface DataSource {
  /** The path as the manifest wrote it. */
  file: string;
  tag?: string;
  format: SourceFormat;
  /** The files read, absolute, in reading order (several for a log directory). */
  paths: string[];
  /** The files as shown in messages: the manifest's directory joined with the path, like manifest paths. */
  shown: string[];
  /** The file or log directory, as shown in messages. */
  shownSource: string;
}

/** A scalar point as a source gives it. `at` says where: CSV record index, JSONL line, event-file record. */
export interface SourcePoint {
  step: number;
  value: number;
  /** RFC 3339, when the source gives one. */
  wallTime?: string;
  /** Index into DataSource.paths. */
  fileIndex: number;
  at: number;
}

/**
 * A problem with a data file or its path. `file` and `line` (or `record`) say where, when a
 * file's content is at fault; a path problem has neither, and is reported at the manifest.
 */
export class DataSourceError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number,
    readonly record?: number,
  ) {
    super(message);
    this.name = 'DataSourceError';
  }
}

export function isSourceSpec(value: unknown): value is SourceSpec {
  return !!value && typeof value === 'object' && !Array.isArray(value) && typeof (value as SourceSpec).file === 'string';
}

/** Finds the files of a source named in `manifestFile`, refusing paths outside its directory. */
export async function resolveSource(spec: SourceSpec, manifestFile: string): Promise<DataSource> {
  const base = resolve(dirname(manifestFile));
  const wanted = resolve(base, spec.file);
  const outside = (p: string, root: string) => {
    const rel = relative(root, p);
    return rel === '..' || rel.startsWith(`..${'/'}`) || rel.startsWith('..\\') || isAbsolute(rel);
  };
  const where = `dataPoints.file "${spec.file}"`;
  if (isAbsolute(spec.file) || outside(wanted, base)) throw new DataSourceError(`${where} is outside the stack's directory ${shownPath(base)}; data files must live inside it`);
  let real: string;
  try {
    real = await realpath(wanted);
  } catch {
    throw new DataSourceError(`${where}: no such file or directory (${shownPath(wanted)})`);
  }
  if (outside(real, await realpath(base))) throw new DataSourceError(`${where} leads outside the stack's directory (through a symbolic link to ${real})`);
  const info = await stat(real);
  let format: SourceFormat;
  let paths: string[];
  if (info.isDirectory()) {
    format = 'tfevents';
    const names = (await readdir(real, { withFileTypes: true })).filter((e) => e.isFile() && e.name.includes('tfevents')).map((e) => e.name).sort();
    if (!names.length) throw new DataSourceError(`${where}: the directory holds no TensorBoard event files (events.out.tfevents.*)`);
    paths = names.map((n) => join(real, n));
  } else {
    const name = basename(real).toLowerCase();
    if (name.endsWith('.csv')) format = 'csv';
    else if (name.endsWith('.jsonl') || name.endsWith('.ndjson')) format = 'jsonl';
    else if (name.includes('tfevents')) format = 'tfevents';
    else throw new DataSourceError(`${where}: cannot tell the format; use a .csv or .jsonl file, or TensorBoard event files (events.out.tfevents.*) with a tag`);
    paths = [real];
  }
  if (format === 'tfevents' && !spec.tag) throw new DataSourceError(`${where}: TensorBoard event files need the tag to read, e.g. { file: ${spec.file}, tag: loss }`);
  if (format !== 'tfevents' && spec.tag !== undefined) throw new DataSourceError(`${where}: "tag" is for TensorBoard event files; a ${format === 'csv' ? 'CSV' : 'JSON Lines'} file holds one series`);
  const shownBase = join(dirname(manifestFile), spec.file);
  const shown = info.isDirectory() ? paths.map((p) => join(shownBase, basename(p))) : [shownBase];
  return { file: spec.file, ...(spec.tag !== undefined && { tag: spec.tag }), format, paths, shown, shownSource: shownBase };
}

function shownPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith('..') ? rel : p;
}

/** A hash of the source's bytes (and tag): equal hashes mean equal points, without parsing. */
export async function sourceHash(src: DataSource): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`${src.format}\0${src.tag ?? ''}\0`);
  for (const p of src.paths) {
    hash.update(`${basename(p)}\0`);
    for await (const chunk of createReadStream(p)) hash.update(chunk as Buffer);
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 32);
}

/** Calls `onPoint` for every point of the source, in file order. Throws DataSourceError on bad data. */
export async function readSource(src: DataSource, onPoint: (p: SourcePoint) => void): Promise<void> {
  const tags = new Set<string>();
  let found = 0;
  for (let i = 0; i < src.paths.length; i++) {
    if (src.format === 'csv') await readCsv(src, i, onPoint);
    else if (src.format === 'jsonl') await readJsonLines(src, i, onPoint);
    else found += await readEvents(src, i, onPoint, tags);
  }
  if (src.format === 'tfevents' && found === 0) {
    throw new DataSourceError(`no scalar values tagged "${src.tag}" (tags: ${[...tags].sort().join(', ') || 'none'})`, src.shownSource);
  }
}

/** Where a point came from, for a message: `file:line` or `file: record n`. Slow for CSV (re-reads up to it); only for errors. */
export async function locate(src: DataSource, fileIndex: number, at: number): Promise<{ file: string; line?: number; record?: number }> {
  const file = src.shown[fileIndex];
  if (src.format === 'jsonl') return { file, line: at };
  if (src.format === 'tfevents') return { file, record: at };
  return { file, line: await csvLineOf(src.paths[fileIndex], at) };
}

// ---------------------------------------------------------------------------------------------
// CSV

const CSV_COLUMNS = ['step', 'value', 'wallTime'] as const;
const CSV_OPTIONS = { bom: true, skip_empty_lines: true, trim: true, relax_column_count: true } as const;

async function readCsv(src: DataSource, fileIndex: number, onPoint: (p: SourcePoint) => void): Promise<void> {
  const file = src.shown[fileIndex];
  const parser = createReadStream(src.paths[fileIndex]).pipe(parseCsv(CSV_OPTIONS));
  let columns: { step: number; value: number; wallTime: number } | undefined;
  let index = 0;
  // Records are taken fast, without their line numbers; a bad one is located afterwards.
  let bad: { index: number; message: string } | undefined;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!columns) {
        columns = csvHeader(record, file);
        continue;
      }
      index++;
      if (bad) continue;
      const problem = csvPoint(record, columns, fileIndex, index, onPoint);
      if (problem) {
        bad = { index, message: problem };
        parser.destroy();
        break;
      }
    }
  } catch (err) {
    if (err instanceof DataSourceError) throw err;
    const e = err as Error & { lines?: number };
    throw new DataSourceError(`not valid CSV: ${e.message.replace(/^Invalid [^:]*: /, '')}`, file, e.lines);
  }
  if (bad) throw new DataSourceError(bad.message, file, await csvLineOf(src.paths[fileIndex], bad.index));
  if (!columns) throw new DataSourceError('empty file: expected a header line "step,value" or "step,value,wallTime"', file, 1);
}

function csvHeader(record: string[], file: string): { step: number; value: number; wallTime: number } {
  const names = record.map((c) => c.trim());
  const unknown = names.filter((n) => !(CSV_COLUMNS as readonly string[]).includes(n));
  if (unknown.length || !names.includes('step') || !names.includes('value') || new Set(names).size !== names.length) {
    throw new DataSourceError(`the header must name the columns step, value and optionally wallTime; it is "${record.join(',')}"`, file, 1);
  }
  return { step: names.indexOf('step'), value: names.indexOf('value'), wallTime: names.indexOf('wallTime') };
}

/** Checks one record; returns a problem, or calls `emit` with the point. */
function csvPoint(
  record: string[],
  columns: { step: number; value: number; wallTime: number },
  fileIndex: number,
  at: number,
  emit: (p: SourcePoint) => void,
): string | undefined {
  const width = Math.max(columns.step, columns.value, columns.wallTime) + 1;
  if (record.length !== width) return `expected ${width} columns, found ${record.length}`;
  const step = parseStep(record[columns.step]);
  if (typeof step === 'string') return step;
  const value = parseValue(record[columns.value]);
  if (typeof value === 'string') return value;
  let wallTime: string | undefined;
  if (columns.wallTime >= 0 && record[columns.wallTime] !== '') {
    const w = parseWallTime(record[columns.wallTime]);
    if (w.startsWith('!')) return w.slice(1);
    wallTime = w;
  }
  const point: SourcePoint = { step, value, fileIndex, at };
  if (wallTime !== undefined) point.wallTime = wallTime;
  emit(point);
  return undefined;
}

/** The line a CSV record (1 = the first after the header) starts on: parsed again, with positions. */
async function csvLineOf(path: string, index: number): Promise<number | undefined> {
  const parser = createReadStream(path).pipe(parseCsv({ ...CSV_OPTIONS, info: true }));
  let n = -1;
  let line: number | undefined;
  try {
    for await (const { info } of parser as AsyncIterable<{ info: { lines: number } }>) {
      if (++n === index) {
        // `lines` counts the line the record ends on; a record spans one line unless quoted.
        line = info.lines;
        break;
      }
    }
  } catch {
    // The error itself was reported on the first reading.
  }
  parser.destroy();
  return line;
}

// ---------------------------------------------------------------------------------------------
// JSON Lines

const JSONL_KEYS = new Set(['step', 'value', 'wallTime']);

async function readJsonLines(src: DataSource, fileIndex: number, onPoint: (p: SourcePoint) => void): Promise<void> {
  const file = src.shown[fileIndex];
  const lines = createInterface({ input: createReadStream(src.paths[fileIndex]), crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() === '') continue;
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch (err) {
        throw new DataSourceError(`not JSON: ${(err as Error).message}`, file, line);
      }
      if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new DataSourceError('expected an object like {"step": 1, "value": 0.5}', file, line);
      const o = obj as Record<string, unknown>;
      for (const k in o) if (!JSONL_KEYS.has(k)) throw new DataSourceError(`unknown key "${k}"; a point has step, value and optionally wallTime`, file, line);
      const step = parseStep(o.step);
      if (typeof step === 'string') throw new DataSourceError(step, file, line);
      const value = parseValue(o.value);
      if (typeof value === 'string') throw new DataSourceError(value, file, line);
      let wallTime: string | undefined;
      if (o.wallTime !== undefined && o.wallTime !== null) {
        const w = typeof o.wallTime === 'string' || typeof o.wallTime === 'number' ? parseWallTime(String(o.wallTime)) : '!wallTime must be an RFC 3339 timestamp or seconds since the epoch';
        if (w.startsWith('!')) throw new DataSourceError(w.slice(1), file, line);
        wallTime = w;
      }
      // Built without spreads: this runs once per point.
      const point: SourcePoint = { step, value, fileIndex, at: line };
      if (wallTime !== undefined) point.wallTime = wallTime;
      onPoint(point);
    }
  } finally {
    lines.close();
  }
}

// ---------------------------------------------------------------------------------------------
// TensorBoard event files

/** Reads one event file's scalars of the source's tag; returns how many, and adds every tag seen to `tags`. */
async function readEvents(src: DataSource, fileIndex: number, onPoint: (p: SourcePoint) => void, tags: Set<string>): Promise<number> {
  const file = src.shown[fileIndex];
  let found = 0;
  try {
    for await (const s of readEventFile(src.paths[fileIndex])) {
      tags.add(s.tag);
      if (s.tag !== src.tag) continue;
      found++;
      if (!Number.isSafeInteger(s.step)) throw new DataSourceError(`step ${s.step} is not an integer`, file, undefined, s.record);
      if (!Number.isFinite(s.value)) throw new DataSourceError(`value ${s.value} of tag "${s.tag}" is not a finite number`, file, undefined, s.record);
      const wallTime = s.wallTime ? new Date(s.wallTime * 1000).toISOString() : undefined;
      onPoint({ step: s.step, value: s.value, ...(wallTime && { wallTime }), fileIndex, at: s.record });
    }
    return found;
  } catch (err) {
    if (err instanceof EventFileError) throw new DataSourceError(err.message, file, undefined, err.record);
    if (err instanceof DataSourceError) throw err;
    throw new DataSourceError(`cannot read: ${(err as Error).message}`, file);
  }
}

// ---------------------------------------------------------------------------------------------
// values

/** A step: an integer (int64 in the API; safe integers here). Returns a problem as a string. */
function parseStep(raw: unknown): number | string {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n)) return `step ${JSON.stringify(raw ?? null)} is not an integer`;
  return n;
}

function parseValue(raw: unknown): number | string {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(n)) return `value ${JSON.stringify(raw ?? null)} is not a number`;
  return n;
}

/** RFC 3339, or seconds since the epoch (TensorBoard's wall_time); '!' + a problem otherwise. */
function parseWallTime(raw: string): string {
  const text = raw.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return new Date(Number(text) * 1000).toISOString();
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(text) || Number.isNaN(Date.parse(text))) {
    return `!wallTime "${raw}" is not an RFC 3339 timestamp (like 2024-05-01T12:00:00Z) or seconds since the epoch`;
  }
  return text;
}
