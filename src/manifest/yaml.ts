import { readFile, stat } from 'node:fs/promises';
import { Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { Problem, SourcePos } from './types.js';

/**
 * One manifest file as plain JS plus where every node was written. Positions are keyed by JSON
 * pointer (`/resources/0/props/2/value`), so later stages can point at any part of the file.
 */
export interface ParsedFile {
  file: string;
  value: unknown;
  /** Position of each value node. */
  pos: Map<string, SourcePos>;
  /** Position of the key of each map entry, keyed by the pointer of its value. */
  keyPos: Map<string, SourcePos>;
}

export const MAX_FILE_BYTES = 10 * 1024 * 1024;
/** Nodes an alias may expand to in total: generous for real reuse, fatal for "billion laughs". */
export const MAX_ALIAS_NODES = 10_000;

export type ParseResult = { ok: true; parsed: ParsedFile } | { ok: false; problems: Problem[] };

function fail(file: string, message: string, pos?: SourcePos): ParseResult {
  return { ok: false, problems: [{ pos: pos ?? { file, line: 1, col: 1 }, message }] };
}

const mb = (bytes: number): string => `${Math.round(bytes / (1024 * 1024))} MB`;

/** Reads and parses one file; every failure (missing, too big, binary, bad YAML) is a problem, not a throw. */
export async function readManifestFile(file: string): Promise<ParseResult> {
  let text: string | undefined;
  try {
    const info = await stat(file);
    if (info.size > MAX_FILE_BYTES) return fail(file, `file too large (${mb(info.size)}, limit ${mb(MAX_FILE_BYTES)})`);
    const bytes = await readFile(file);
    if (bytes.includes(0)) return fail(file, 'binary file (contains NUL bytes), expected a YAML manifest');
    text = decodeUtf8(bytes);
  } catch (err) {
    return fail(file, describeReadError(err));
  }
  if (text === undefined) return fail(file, 'binary file (not valid UTF-8), expected a YAML manifest');
  return parseManifestText(file, text);
}

export function describeReadError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
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
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true, keepSourceTokens: false });
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
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    return fail(file, 'empty manifest');
  }
  const parsed: ParsedFile = { file, value: undefined, pos: new Map(), keyPos: new Map() };
  const converter = new Converter(doc, at, parsed);
  try {
    parsed.value = converter.convert(doc.contents, '');
  } catch (err) {
    if (err instanceof AliasBomb) return fail(file, err.message, err.pos);
    throw err;
  }
  return { ok: true, parsed };
}

/** prettyErrors appends a source excerpt after the first line; we print one line per problem. */
function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

class AliasBomb extends Error {
  constructor(readonly pos: SourcePos) {
    super(`YAML aliases expand to more than ${MAX_ALIAS_NODES} nodes (an alias bomb?); refusing to load`);
  }
}

/** YAML AST → JS, recording positions; expands aliases under a node budget. */
class Converter {
  private aliasNodes = 0;
  private aliasDepth = 0;

  constructor(
    private readonly doc: Document.Parsed,
    private readonly at: (offset: number) => SourcePos,
    private readonly out: ParsedFile,
  ) {}

  convert(node: unknown, pointer: string): unknown {
    if (this.aliasDepth > 0 && ++this.aliasNodes > MAX_ALIAS_NODES) {
      throw new AliasBomb(this.positionOf(node) ?? { file: this.out.file, line: 1, col: 1 });
    }
    const here = this.positionOf(node);
    if (here && !this.out.pos.has(pointer)) this.out.pos.set(pointer, here);
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      this.aliasDepth++;
      try {
        return this.convert(target ?? null, pointer);
      } finally {
        this.aliasDepth--;
      }
    }
    if (isMap(node)) {
      const obj: Record<string, unknown> = {};
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = this.keyString(pair.key);
        const child = `${pointer}/${escapePointer(key)}`;
        const keyPos = this.positionOf(pair.key);
        if (keyPos) this.out.keyPos.set(child, keyPos);
        // Object.defineProperty keeps a literal `__proto__` key an own property.
        Object.defineProperty(obj, key, {
          value: this.convert(pair.value, child),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return obj;
    }
    if (isSeq(node)) return node.items.map((item, i) => this.convert(item, `${pointer}/${i}`));
    if (isScalar(node)) return node.value;
    return null;
  }

  private keyString(key: unknown): string {
    if (isScalar(key)) return String(key.value);
    const value = this.convert(key, '');
    return typeof value === 'string' ? value : JSON.stringify(value);
  }

  private positionOf(node: unknown): SourcePos | undefined {
    const range = (node as Node | null)?.range;
    return range ? this.at(range[0]) : undefined;
  }
}

export function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
