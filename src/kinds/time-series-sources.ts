import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { createRequire } from 'node:module';
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

/**
 * Takes a scalar point as a source gives it (called once per point, so without an object).
 * `wallTime`: RFC 3339, when the source gives one. `fileIndex`: index into DataSource.paths;
 * `at` says where in it: CSV record index, JSONL line, event-file record.
 */
export type PointSink = (step: number, value: number, wallTime: string | undefined, fileIndex: number, at: number) => void;

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
export async function readSource(src: DataSource, onPoint: PointSink): Promise<void> {
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
// Fields are not trimmed by the parser (that costs per field): Number() ignores the spaces
// around a number, and the header and wall times are trimmed here.
// csv-parse is loaded when the first CSV file is read, not by every command
const require = createRequire(import.meta.url);
const parseCsv = (options: import('csv-parse').Options): import('csv-parse').Parser => (require('csv-parse') as typeof import('csv-parse')).parse(options);
const CSV_OPTIONS = { bom: true, skip_empty_lines: true, relax_column_count: true } as const;

interface CsvColumns {
  step: number;
  value: number;
  wallTime: number;
  width: number;
  /** The columns are exactly step,value: lines can be read without splitting them. */
  plain: boolean;
}

/**
 * Most CSV files are plain: no quotes, one line ending throughout. Their lines are split here,
 * which costs a tenth of csv-parse's work per record. At the first line that is not plain (a
 * quote, a stray carriage return) the file goes to csv-parse from its start, which passes over
 * the records already taken: both readers give the same points and the same errors.
 */
async function readCsv(src: DataSource, fileIndex: number, onPoint: PointSink): Promise<void> {
  const taken = await readPlainCsv(src, fileIndex, onPoint);
  if (taken !== undefined) await readCsvWithParser(src, fileIndex, onPoint, taken);
}

/**
 * Reads a plain CSV file; at a line that is not plain it stops and returns how many records it
 * took (undefined: the whole file was plain). As csv-parse does, the first line ending found is
 * the file's: "\r\n" or "\n" ("\r" alone is left to csv-parse).
 */
function readPlainCsv(src: DataSource, fileIndex: number, onPoint: PointSink): Promise<number | undefined> {
  const file = src.shown[fileIndex];
  return new Promise((done, fail) => {
    const input = createReadStream(src.paths[fileIndex], { encoding: 'utf8' });
    let columns: CsvColumns | undefined;
    /** The file's line ending is "\r\n"; undefined until the first line ending is seen. */
    let crlf: boolean | undefined;
    let index = 0;
    let rest = '';
    let first = true;
    let settled = false;
    // Where the next "\r" is in the text being read (-1: none), found once per text, not per line.
    let crText = '';
    let crAt = -1;
    const stop = (err: unknown, taken?: number) => {
      if (settled) return;
      settled = true;
      input.destroy();
      if (err !== undefined) fail(err);
      else done(taken);
    };
    /** Takes the line text[from, end) (its "\n" left out); false when reading stops. */
    const take = (text: string, from: number, end: number, last: boolean): boolean => {
      if (text !== crText || (crAt >= 0 && crAt < from)) {
        crText = text;
        crAt = text.indexOf('\r', from);
      }
      const cr = crAt;
      if (cr >= 0 && cr < end) {
        // Only a "\r" right before the "\n" of a "\r\n" file is a line ending.
        if (cr !== end - 1 || last || crlf === false) return stop(undefined, index), false;
        crlf = true;
        end--;
      } else if (crlf === true && !last) return stop(undefined, index), false;
      else if (!last) crlf = false;
      if (end === from) return true;
      if (!columns) {
        columns = csvHeader(text.slice(from, end).split(','), file);
        return true;
      }
      index++;
      const problem = columns.plain ? plainCsvPoint(text, from, end, columns, fileIndex, index, onPoint) : csvPoint(text.slice(from, end).split(','), columns, fileIndex, index, onPoint);
      if (problem === undefined) return true;
      settled = true;
      input.destroy();
      const at = index;
      csvLineOf(src.paths[fileIndex], at).then((line) => fail(new DataSourceError(problem, file, line)), fail);
      return false;
    };
    input.on('data', (chunk) => {
      if (settled) return;
      let text = rest + (chunk as string);
      if (first) {
        first = false;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      let from = 0;
      try {
        // Up to the first quote every line is free of quotes; the line holding it is not plain.
        const quote = text.indexOf('"');
        const upTo = quote < 0 ? text.length : quote;
        for (let nl = text.indexOf('\n'); nl >= 0 && nl < upTo; nl = text.indexOf('\n', from)) {
          if (!take(text, from, nl, false)) return;
          from = nl + 1;
        }
        if (quote >= 0) return stop(undefined, index);
      } catch (err) {
        return stop(err);
      }
      rest = text.slice(from);
    });
    input.on('end', () => {
      if (settled) return;
      try {
        if (rest !== '' && !take(rest, 0, rest.length, true)) return;
      } catch (err) {
        return stop(err);
      }
      stop(columns ? undefined : new DataSourceError('empty file: expected a header line "step,value" or "step,value,wallTime"', file, 1));
    });
    input.on('error', (err) => stop(new DataSourceError(`cannot read: ${err.message}`, file)));
  });
}

/**
 * A line of a file whose columns are step,value: the numbers read in place, without splitting
 * the line. Anything but two plain decimals takes the general way (and its message).
 */
function plainCsvPoint(text: string, from: number, end: number, columns: CsvColumns, fileIndex: number, at: number, emit: PointSink): string | undefined {
  const comma = text.indexOf(',', from);
  if (comma >= 0 && comma < end) {
    const step = plainDecimal(text, from, comma);
    const value = plainDecimal(text, comma + 1, end);
    if (Number.isSafeInteger(step) && Number.isFinite(value)) {
      emit(step, value, undefined, fileIndex, at);
      return undefined;
    }
  }
  return csvPoint(text.slice(from, end).split(','), columns, fileIndex, at, emit);
}

/**
 * The general reader: records come as 'data' events rather than through an async iterator (half
 * the time per record), without their line numbers; a bad one is located afterwards. The first
 * `skip` records were taken already.
 */
export function readCsvWithParser(src: DataSource, fileIndex: number, onPoint: PointSink, skip = 0): Promise<void> {
  const file = src.shown[fileIndex];
  return new Promise((done, fail) => {
    const input = createReadStream(src.paths[fileIndex]);
    const parser = parseCsv(CSV_OPTIONS);
    let columns: CsvColumns | undefined;
    let index = 0;
    let settled = false;
    const stop = (err?: unknown) => {
      if (settled) return;
      settled = true;
      input.destroy();
      parser.destroy();
      if (err === undefined) done();
      else fail(err);
    };
    parser.on('data', (record: string[]) => {
      if (settled) return;
      try {
        if (!columns) {
          columns = csvHeader(record, file);
          return;
        }
        if (++index <= skip) return;
        const problem = csvPoint(record, columns, fileIndex, index, onPoint);
        if (problem !== undefined) {
          const at = index;
          settled = true;
          input.destroy();
          parser.destroy();
          csvLineOf(src.paths[fileIndex], at).then((line) => fail(new DataSourceError(problem, file, line)), fail);
        }
      } catch (err) {
        stop(err);
      }
    });
    parser.on('end', () => stop(columns ? undefined : new DataSourceError('empty file: expected a header line "step,value" or "step,value,wallTime"', file, 1)));
    parser.on('error', (err: Error & { lines?: number }) => {
      stop(new DataSourceError(`not valid CSV: ${err.message.replace(/^Invalid [^:]*: /, '')}`, file, err.lines));
    });
    input.on('error', (err) => stop(new DataSourceError(`cannot read: ${err.message}`, file)));
    input.pipe(parser);
  });
}

function csvHeader(record: string[], file: string): CsvColumns {
  const names = record.map((c) => c.trim());
  const unknown = names.filter((n) => !(CSV_COLUMNS as readonly string[]).includes(n));
  if (unknown.length || !names.includes('step') || !names.includes('value') || new Set(names).size !== names.length) {
    throw new DataSourceError(`the header must name the columns step, value and optionally wallTime; it is "${record.join(',')}"`, file, 1);
  }
  const step = names.indexOf('step');
  const value = names.indexOf('value');
  const wallTime = names.indexOf('wallTime');
  const width = Math.max(step, value, wallTime) + 1;
  return { step, value, wallTime, width, plain: step === 0 && value === 1 && width === 2 };
}

/** Checks one record; returns a problem, or gives the point to `emit`. */
function csvPoint(record: string[], columns: CsvColumns, fileIndex: number, at: number, emit: PointSink): string | undefined {
  if (record.length !== columns.width) return `expected ${columns.width} columns, found ${record.length}`;
  const step = parseStep(record[columns.step]);
  if (typeof step === 'string') return step;
  const value = parseValue(record[columns.value]);
  if (typeof value === 'string') return value;
  let wallTime: string | undefined;
  if (columns.wallTime >= 0) {
    const raw = record[columns.wallTime];
    if (raw !== '' && raw.trim() !== '') {
      const w = parseWallTime(raw);
      if (w.startsWith('!')) return w.slice(1);
      wallTime = w;
    }
  }
  emit(step, value, wallTime, fileIndex, at);
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

/** Lines are split by hand from 'data' chunks: readline's async iterator costs more than the JSON parsing. */
function readJsonLines(src: DataSource, fileIndex: number, onPoint: PointSink): Promise<void> {
  const file = src.shown[fileIndex];
  return new Promise((done, fail) => {
    const input = createReadStream(src.paths[fileIndex], { encoding: 'utf8' });
    let rest = '';
    let line = 0;
    let settled = false;
    const stop = (err?: unknown) => {
      if (settled) return;
      settled = true;
      input.destroy();
      if (err === undefined) done();
      else fail(err);
    };
    const take = (text: string, from: number, end: number): boolean => {
      line++;
      const problem = plainJsonLinePoint(text, from, end, fileIndex, line, onPoint);
      if (problem === undefined) return true;
      stop(new DataSourceError(problem, file, line));
      return false;
    };
    input.on('data', (chunk) => {
      if (settled) return;
      let from = 0;
      const text = rest + (chunk as string);
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
        if (!take(text, from, nl)) return;
        from = nl + 1;
      }
      rest = text.slice(from);
    });
    input.on('end', () => {
      if (rest !== '' && !take(rest, 0, rest.length)) return;
      stop();
    });
    input.on('error', (err) => stop(new DataSourceError(`cannot read: ${err.message}`, file)));
  });
}

const PLAIN_STEP = '{"step":';
const PLAIN_VALUE = ',"value":';

/**
 * The line text[from, end) when it is exactly {"step":S,"value":V} with plain decimals, as most
 * writers give it: read in place, without JSON.parse and its object (the same numbers, see
 * plainDecimal). Any other line takes the general way.
 */
function plainJsonLinePoint(text: string, from: number, end: number, fileIndex: number, line: number, emit: PointSink): string | undefined {
  // JSON.parse takes a "\r" before the "\n" as white space
  const last = text.charCodeAt(end - 1) === 13 ? end - 2 : end - 1;
  if (text.startsWith(PLAIN_STEP, from) && text.charCodeAt(last) === 125) {
    const comma = text.indexOf(',', from + PLAIN_STEP.length);
    if (comma >= 0 && comma < last && text.startsWith(PLAIN_VALUE, comma)) {
      const step = plainDecimal(text, from + PLAIN_STEP.length, comma);
      const value = plainDecimal(text, comma + PLAIN_VALUE.length, last);
      if (Number.isSafeInteger(step) && Number.isFinite(value)) {
        emit(step, value, undefined, fileIndex, line);
        return undefined;
      }
    }
  }
  return jsonLinePoint(text.slice(from, end), fileIndex, line, emit);
}

/** Checks one line; returns a problem, or gives the point to `emit` (a blank line is no point). */
function jsonLinePoint(text: string, fileIndex: number, line: number, emit: PointSink): string | undefined {
  if (text.trim() === '') return undefined;
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    return `not JSON: ${(err as Error).message}`;
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return 'expected an object like {"step": 1, "value": 0.5}';
  const o = obj as Record<string, unknown>;
  for (const k in o) if (!JSONL_KEYS.has(k)) return `unknown key "${k}"; a point has step, value and optionally wallTime`;
  const step = parseStep(o.step);
  if (typeof step === 'string') return step;
  const value = parseValue(o.value);
  if (typeof value === 'string') return value;
  let wallTime: string | undefined;
  if (o.wallTime !== undefined && o.wallTime !== null) {
    const w = typeof o.wallTime === 'string' || typeof o.wallTime === 'number' ? parseWallTime(String(o.wallTime)) : '!wallTime must be an RFC 3339 timestamp or seconds since the epoch';
    if (w.startsWith('!')) return w.slice(1);
    wallTime = w;
  }
  emit(step, value, wallTime, fileIndex, line);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// TensorBoard event files

/** Reads one event file's scalars of the source's tag; returns how many, and adds every tag seen to `tags`. */
async function readEvents(src: DataSource, fileIndex: number, onPoint: PointSink, tags: Set<string>): Promise<number> {
  const file = src.shown[fileIndex];
  let found = 0;
  try {
    for await (const s of readEventFile(src.paths[fileIndex])) {
      tags.add(s.tag);
      if (s.tag !== src.tag) continue;
      found++;
      if (!Number.isSafeInteger(s.step)) throw new DataSourceError(`step ${s.step} is not an integer`, file, undefined, s.record);
      if (!Number.isFinite(s.value)) throw new DataSourceError(`value ${s.value} of tag "${s.tag}" is not a finite number`, file, undefined, s.record);
      onPoint(s.step, s.value, s.wallTime ? new Date(s.wallTime * 1000).toISOString() : undefined, fileIndex, s.record);
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
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? numberOf(raw) : NaN;
  if (!Number.isSafeInteger(n)) return `step ${JSON.stringify(raw ?? null)} is not an integer`;
  return n;
}

const POWERS_OF_TEN = Array.from({ length: 16 }, (_, i) => 10 ** i);

/**
 * text[from, end) as a number when it is a plain decimal (-?(0|[1-9][0-9]*)(.[0-9]+)?, at most
 * 15 digits), else NaN. Exactly what Number() and JSON.parse give: the digits as an integer and
 * the power of ten are exact doubles, and their quotient is correctly rounded.
 */
export function plainDecimal(text: string, from: number, end: number): number {
  let i = from;
  const negative = text.charCodeAt(i) === 45;
  if (negative) i++;
  if (i === end || end - i > 16) return NaN;
  let c = text.charCodeAt(i);
  // A leading zero is allowed only alone (JSON's grammar).
  if (c === 48 && i + 1 < end && text.charCodeAt(i + 1) !== 46) return NaN;
  let digits = 0;
  let n = 0;
  let decimals = -1;
  for (; i < end; i++) {
    c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      n = n * 10 + (c - 48);
      digits++;
      if (decimals >= 0) decimals++;
    } else if (c === 46 && decimals < 0 && digits > 0) decimals = 0;
    else return NaN;
  }
  if (digits > 15 || decimals === 0) return NaN;
  const v = decimals > 0 ? n / POWERS_OF_TEN[decimals] : n;
  return negative ? -v : v;
}

/** Number(text), except that blank text is no number (Number gives 0); trimmed only when it reads 0. */
function numberOf(text: string): number {
  const n = Number(text);
  return n === 0 && text.trim() === '' ? NaN : n;
}

function parseValue(raw: unknown): number | string {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? numberOf(raw) : NaN;
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
