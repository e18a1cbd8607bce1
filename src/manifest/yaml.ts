import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { CORE_SCHEMA, load, YAMLException } from 'js-yaml';
import type { Document, Node } from 'yaml';
import { escapePointer } from '../core/paths.js';
import { findTooDeep, nestingMessage, valueDeeperThan } from './depth.js';
import { readPlainYaml } from './plain-yaml.js';
import type { Problem, SourcePos } from './types.js';

// `yaml` is slow to load (~50 ms) and only wanted for positions: required on first use.
const require = createRequire(import.meta.url);
let yamlModule: typeof import('yaml') | undefined;
const yaml = (): typeof import('yaml') => (yamlModule ??= require('yaml') as typeof import('yaml'));

/**
 * Reading manifest files. Two YAML libraries, each for what it does best:
 * - js-yaml (YAML 1.2 core schema) builds the values: about eight times faster than `yaml`,
 *   which is what keeps a 5,000-resource stack well under a second (bench/load.ts);
 * - `yaml` keeps source positions and explains syntax errors well, so it parses a file a second
 *   time only when a position is asked for (a problem to report, or a caller reading
 *   DesiredResource.positions) or when js-yaml rejected the file.
 * Both implement the YAML 1.2 core schema, so they agree on the shape of the data.
 */
export interface ParsedFile {
  file: string;
  value: unknown;
  /** Where every node was written, keyed by JSON pointer (`/resources/0/props/2/value`). */
  located(): Located;
}

export interface Located {
  /** Position of each value node. */
  pos: Map<string, SourcePos>;
  /** Position of the key of each map entry, keyed by the pointer of its value. */
  keyPos: Map<string, SourcePos>;
}

export const MAX_FILE_BYTES = 10 * 1024 * 1024;
/** Extra nodes aliases may add by repetition: generous for real reuse, fatal for "billion laughs". */
export const MAX_ALIAS_NODES = 100_000;

export type ParseResult = { ok: true; parsed: ParsedFile } | { ok: false; problems: Problem[] };

function fail(file: string, message: string, pos?: SourcePos): ParseResult {
  return { ok: false, problems: [{ pos: pos ?? { file, line: 1, col: 1 }, message }] };
}

const mb = (bytes: number): string => `${Math.round(bytes / (1024 * 1024))} MB`;

/** Reads and parses one file; every failure (missing, too big, binary, bad YAML) is a problem, not a throw. */
export async function readManifestFile(file: string): Promise<ParseResult> {
  let bytes: Buffer;
  try {
    const read = await readRegularFile(file, MAX_FILE_BYTES);
    if (typeof read === 'string') return fail(file, read);
    bytes = read;
  } catch (err) {
    return fail(file, describeReadError(err));
  }
  if (bytes.includes(0)) return fail(file, 'binary file (contains NUL bytes), expected a YAML manifest');
  const text = decodeUtf8(bytes);
  if (text === undefined) return fail(file, 'binary file (not valid UTF-8), expected a YAML manifest');
  return parseManifestText(file, text);
}

const READ_CHUNK = 1024 * 1024;

/**
 * The bytes of a regular file (a symlink is followed), or why not. Opened without blocking, so
 * a FIFO without a writer cannot hang the run, and checked on the open descriptor, so what is
 * read is what was checked; the size is counted while reading, as a device (`/dev/zero`) or a
 * file that grows says nothing true in its size.
 */
async function readRegularFile(file: string, limit: number): Promise<Buffer | string> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const info = await handle.stat();
    if (!info.isFile()) return `${fileTypeOf(info)}, not a regular file; only regular files (or symlinks to them) are read`;
    if (info.size > limit) return `file too large (${mb(info.size)}, limit ${mb(limit)})`;
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, limit + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > limit) return `file too large (more than the limit of ${mb(limit)})`;
      chunks.push(bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

function fileTypeOf(info: Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'not a file';
}

export function describeReadError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  // open() of a Unix socket.
  if (code === 'ENXIO' || code === 'EOPNOTSUPP') return 'a socket or device without a reader, not a regular file; only regular files (or symlinks to them) are read';
  if (code === 'ELOOP') return 'a symlink loop';
  return err instanceof Error ? err.message : String(err);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

export function parseManifestText(file: string, text: string): ParseResult {
  // Most manifests are plain YAML, read in one pass exactly as js-yaml would; the rest (and
  // every error) takes the path below.
  const plain = readPlainYaml(text);
  if (plain !== undefined) return parsed(file, text, plain);
  const deep = findTooDeep(text);
  if (deep) return fail(file, nestingMessage, { file, ...deep });
  let value: unknown;
  try {
    value = load(text, { schema: CORE_SCHEMA, filename: file });
  } catch (err) {
    // The scan above bounds nesting; a parser overflowing anyway is still the same refusal.
    if (err instanceof RangeError) return fail(file, nestingMessage);
    if (!(err instanceof YAMLException)) throw err;
    const mark = err.mark as { line: number; column: number } | undefined;
    // A misindented line: `yaml` reports a cascade about keys, at column 1 or on the line above;
    // js-yaml names the line itself. Point at its first character, the one to move.
    if (mark && /indentation/.test(err.reason)) {
      return fail(file, `invalid YAML: ${err.reason}`, { file, line: mark.line + 1, col: indentationEnd(text, mark.line) });
    }
    // `yaml` words other syntax errors better and reports all of them; js-yaml's own message is the fallback.
    const explained = locate(file, text);
    if (!explained.ok) return explained;
    return fail(file, `invalid YAML: ${err.reason}`, mark && { file, line: mark.line + 1, col: mark.column + 1 });
  }
  if (value === undefined || value === null) return fail(file, 'empty manifest');
  // Only an alias (`*name`) can repeat nodes, or nest a value deeper than its text; most files have no `*` at all.
  if (text.includes('*') && valueDeeperThan(value)) return fail(file, `YAML aliases make a value that is ${nestingMessage}`);
  if (text.includes('*') && aliasExpansion(value) > MAX_ALIAS_NODES) {
    const explained = locate(file, text);
    if (!explained.ok) return explained;
    return fail(file, aliasBombMessage);
  }
  return parsed(file, text, value);
}

function parsed(file: string, text: string, value: unknown): ParseResult {
  let located: Located | undefined;
  return {
    ok: true,
    parsed: {
      file,
      value,
      located() {
        if (!located) {
          const result = locate(file, text);
          located = result.ok ? result.located : { pos: new Map(), keyPos: new Map() };
        }
        return located;
      },
    },
  };
}

/** 1-based column of the first character of a line (0-based index) that is not a space. */
function indentationEnd(text: string, line: number): number {
  let start = 0;
  for (let n = 0; n < line && start !== -1; n++) start = text.indexOf('\n', start) + 1 || -1;
  if (start === -1) return 1;
  let col = start;
  while (text[col] === ' ') col++;
  return col - start + 1;
}

/**
 * How many nodes aliases add: js-yaml shares one object for every alias of an anchor, so the
 * tree is small in memory, but anything walking it (templates, validation) would see every copy.
 */
function aliasExpansion(root: unknown): number {
  const expanded = new Map<object, number>();
  let distinct = 0;
  const sizeOf = (v: unknown): number => {
    if (v === null || typeof v !== 'object') return 1;
    let n = expanded.get(v);
    if (n === undefined) {
      n = 1;
      distinct++;
      for (const child of Object.values(v)) {
        if (child === null || typeof child !== 'object') distinct++;
        n += sizeOf(child);
      }
      expanded.set(v, n);
    }
    return n;
  };
  return typeof root === 'object' ? sizeOf(root) - distinct : 0;
}

const aliasBombMessage = `YAML aliases expand to more than ${MAX_ALIAS_NODES} nodes (an alias bomb?); refusing to load`;

type LocateResult = { ok: true; located: Located } | { ok: false; problems: Problem[] };

/** Parses with `yaml` for positions; its errors (with positions) when the text is not valid. */
function locate(file: string, text: string): LocateResult {
  const { LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  const at = (offset: number): SourcePos => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  if (doc.errors.length) {
    return {
      ok: false,
      problems: doc.errors.map((e) => ({
        pos: at(e.pos[0]),
        message:
          e.code === 'MULTIPLE_DOCS'
            ? 'more than one YAML document in the file; put each part of a stack in its own file of one directory'
            : `invalid YAML: ${firstLine(e.message)}`,
      })),
    };
  }
  const located: Located = { pos: new Map(), keyPos: new Map() };
  try {
    new Locator(doc, at, located).visit(doc.contents, '');
  } catch (err) {
    if (err instanceof AliasBomb) return { ok: false, problems: [{ pos: err.pos, message: aliasBombMessage }] };
    if (err instanceof RangeError) return { ok: false, problems: [{ pos: at(0), message: nestingMessage }] };
    throw err;
  }
  return { ok: true, located };
}

/** prettyErrors appends a source excerpt after the first line; we print one line per problem. */
function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

class AliasBomb extends Error {
  constructor(readonly pos: SourcePos) {
    super(aliasBombMessage);
  }
}

/** Walks the YAML AST recording positions by pointer; expands aliases under a node budget. */
class Locator {
  private readonly yaml = yaml();
  private aliasNodes = 0;
  private aliasDepth = 0;

  constructor(
    private readonly doc: Document.Parsed,
    private readonly at: (offset: number) => SourcePos,
    private readonly out: Located,
  ) {}

  visit(node: unknown, pointer: string): void {
    const here = this.positionOf(node);
    if (this.aliasDepth > 0 && ++this.aliasNodes > MAX_ALIAS_NODES) {
      throw new AliasBomb(here ?? { file: '', line: 1, col: 1 });
    }
    // An alias is located where it is used, not where its anchor is.
    if (here && !this.out.pos.has(pointer)) this.out.pos.set(pointer, here);
    const { isAlias, isMap, isPair, isScalar, isSeq } = this.yaml;
    if (isAlias(node)) {
      this.aliasDepth++;
      try {
        this.visit(node.resolve(this.doc), pointer);
      } finally {
        this.aliasDepth--;
      }
    } else if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : JSON.stringify(pair.key);
        const child = `${pointer}/${escapePointer(key)}`;
        const keyPos = this.positionOf(pair.key);
        if (keyPos) this.out.keyPos.set(child, keyPos);
        this.visit(pair.value, child);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => this.visit(item, `${pointer}/${i}`));
    }
  }

  private positionOf(node: unknown): SourcePos | undefined {
    const range = (node as Node | null)?.range;
    return range ? this.at(range[0]) : undefined;
  }
}
