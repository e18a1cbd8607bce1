import { CORE_SCHEMA } from 'js-yaml';

/**
 * A one-pass reader for the plain YAML that manifests are almost always written in: block
 * mappings and sequences, one-line flow collections (`{ name: x, value: y }`), plain and
 * one-line quoted scalars, comments. It gives exactly the value js-yaml (core schema) gives, or
 * undefined for anything else (anchors, tags, block scalars, multi-line scalars, escapes, tabs,
 * CRLF, odd characters, duplicate keys, deep nesting, anything invalid), which then takes the
 * full path through js-yaml and `yaml` with their errors and positions. It exists for speed:
 * js-yaml spends most of a 5,000-resource validate (#15); test/plain-yaml.test.ts checks the two
 * agree on generated and mutated documents.
 */
export function readPlainYaml(text: string): Record<string, unknown> | undefined {
  if (NOT_PLAIN_CHAR.test(text)) return undefined;
  try {
    return new Reader(text).document();
  } catch (err) {
    if (err === NOT_PLAIN) return undefined;
    throw err;
  }
}

/**
 * Nesting the reader accepts; deeper text takes the full path, whose nesting check
 * (depth.ts, which may count up to about two levels per real one) then applies unchanged.
 */
const MAX_PLAIN_DEPTH = 32;

const NOT_PLAIN = new Error('not plain YAML');

// Character codes.
const NL = 10;
const SPACE = 32;
const HASH = 35;
const QUOTE = 39;
const DQUOTE = 34;
const COMMA = 44;
const DASH = 45;
const DOT = 46;
const COLON = 58;
const LBRACKET = 91;
const BACKSLASH = 92;
const RBRACKET = 93;
const LBRACE = 123;
const RBRACE = 125;

/** Any character but \n line breaks and printable ones (tabs, CR, controls, BOM, lone surrogates…). */
const NOT_PLAIN_CHAR = /[^\n\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\u{10000}-\u{10ffff}]/u;

const isFlowIndicator = (c: number): boolean => c === COMMA || c === LBRACKET || c === RBRACKET || c === LBRACE || c === RBRACE;
/** Space, end of line or end of text (NaN). */
const isBreakOrSpace = (c: number): boolean => c === SPACE || c === NL || Number.isNaN(c);

/** Characters that cannot start a plain scalar (YAML's c-indicators), `-?:` aside. */
const INDICATOR = new Set([...'-?:,[]{}#&*!|>\'"%@`'].map((ch) => ch.charCodeAt(0)));

/**
 * A flow mapping entry that the general path would read the same way: a key of word characters
 * and `: `, then a plain value that starts with no indicator and holds no `#`, `:` or flow
 * indicator, or a quoted value without escapes, then spaces and the `,` or `}`. Anything else
 * fails a test and is read by the general path. Sticky regexes, tested (a test makes no match
 * object: exec's cost 11 MB of garbage for 30,000 entries); lastIndex tells where each part ends.
 */
const FLOW_KEY = /[A-Za-z_][A-Za-z0-9_.-]*(?=: )/y;
const FLOW_PLAIN_VALUE = /[^\n ,[\]{}#&*!|>'"%@`?:-](?:[^\n,[\]{}#:]*[^\n ,[\]{}#:])?(?= *[,}])/y;
const FLOW_SINGLE_QUOTED = /'[^'\n]*'(?= *[,}])/y;
const FLOW_DOUBLE_QUOTED = /"[^"\\\n]*"(?= *[,}])/y;

/** Characters inside a plain scalar that can neither end it nor be the trailing space trimmed off it. */
const ORDINARY_RUN = /[^\n #:,[\]{}]+/y;

type ImplicitType = { resolve(data: string): boolean; construct(data: string): unknown };
// The very resolvers js-yaml applies to plain scalars: null, bool, int, float (core schema).
const IMPLICIT = (CORE_SCHEMA as unknown as { compiledImplicit: ImplicitType[] }).compiledImplicit;

/** The words the core schema may read as a null or a boolean (`name`, four letters, is not one). */
const CORE_WORDS = new Set(['~', 'null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE']);

/** A plain scalar's value, as js-yaml resolves it under the core schema. */
function resolvePlain(raw: string): unknown {
  const c = raw.charCodeAt(0);
  // Only these can be a null, bool, int or float: the words above, and what starts with a digit,
  // a sign or a dot. js-yaml's resolvers decide.
  const maybeTyped = (c >= 48 && c <= 57) || c === DASH || c === 43 /* + */ || c === DOT || (raw.length <= 5 && CORE_WORDS.has(raw));
  if (!maybeTyped) return raw;
  for (let i = 0; i < IMPLICIT.length; i++) if (IMPLICIT[i].resolve(raw)) return IMPLICIT[i].construct(raw);
  return raw;
}

function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  // A duplicate key is an error js-yaml reports (with its position): the full path does that.
  if (Object.hasOwn(obj, key)) throw NOT_PLAIN;
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

class Reader {
  private i = 0;
  /** Start of the current line. */
  private lineStart = 0;
  /** Indentation of the current content line; -1 at the end of the text. */
  private col = 0;

  constructor(private readonly s: string) {}

  document(): Record<string, unknown> {
    this.nextContentLine();
    if (this.col !== 0) throw NOT_PLAIN;
    const value = this.blockNode(0, 1);
    if (!this.atEnd() || value === null || typeof value !== 'object' || Array.isArray(value)) throw NOT_PLAIN;
    return value as Record<string, unknown>;
  }

  private atEnd(): boolean {
    return this.col === -1;
  }

  /**
   * Moves to the first character of the next line holding content (not blank, not only a
   * comment), setting col; col = -1 at the end of the text. Called at the start of a line.
   */
  private nextContentLine(): void {
    const { s } = this;
    for (;;) {
      if (this.i >= s.length) {
        this.col = -1;
        return;
      }
      this.lineStart = this.i;
      let i = this.i;
      while (s.charCodeAt(i) === SPACE) i++;
      const c = s.charCodeAt(i);
      if (c === NL || c === HASH || Number.isNaN(c)) {
        const nl = s.indexOf('\n', i);
        this.i = nl === -1 ? s.length : nl + 1;
        continue;
      }
      this.i = i;
      this.col = i - this.lineStart;
      // Document markers and directives: a stream of documents, for the full path to handle.
      if (this.col === 0 && (s.startsWith('---', i) || s.startsWith('...', i) || c === 37 /* % */)) throw NOT_PLAIN;
      return;
    }
  }

  /** Rest of the line after a value: spaces, then a comment or the end of the line; moves to the next content line. */
  private endLine(): void {
    const { s } = this;
    while (s.charCodeAt(this.i) === SPACE) this.i++;
    const c = s.charCodeAt(this.i);
    // A comment starts at a # after a space (`a#b` is a scalar, `"a"#b` an error).
    if (c === HASH && s.charCodeAt(this.i - 1) === SPACE) {
      const nl = s.indexOf('\n', this.i);
      this.i = nl === -1 ? s.length : nl;
    } else if (!(c === NL || Number.isNaN(c))) throw NOT_PLAIN;
    if (this.i < s.length) this.i++;
    this.nextContentLine();
  }

  /** A block mapping or sequence whose first line is the current one, at indentation col. */
  private blockNode(indent: number, depth: number): unknown {
    if (depth > MAX_PLAIN_DEPTH) throw NOT_PLAIN;
    const { s } = this;
    if (s.charCodeAt(this.i) === DASH && isBreakOrSpace(s.charCodeAt(this.i + 1))) return this.blockSequence(indent, depth);
    return this.blockMapping(indent, depth, this.key(false));
  }

  /** After a `- ` or `key: ` on the current line, or a `key:` ending it: the value. */
  private valueAfterIndicator(indent: number, depth: number, inSequence: boolean): unknown {
    const { s } = this;
    while (s.charCodeAt(this.i) === SPACE) this.i++;
    const c = s.charCodeAt(this.i);
    if (c === NL || Number.isNaN(c) || (c === HASH && s.charCodeAt(this.i - 1) === SPACE)) {
      // The value is on the lines below: more indented, or a sequence at the key's own indentation.
      this.endLine();
      if (this.col > indent) return this.blockNode(this.col, depth + 1);
      if (!inSequence && this.col === indent && s.charCodeAt(this.i) === DASH && isBreakOrSpace(s.charCodeAt(this.i + 1))) {
        return this.blockSequence(indent, depth + 1);
      }
      // `- ` with nothing: rare, and js-yaml has views on it; the full path decides.
      if (inSequence) throw NOT_PLAIN;
      return null;
    }
    if (c === LBRACE || c === LBRACKET) {
      const value = c === LBRACE ? this.flowMapping(depth + 1) : this.flowSequence(depth + 1);
      this.endLine();
      return value;
    }
    if (c === QUOTE || c === DQUOTE) {
      const quoted = this.quoted();
      // `- "key": value`: a mapping inside the sequence entry.
      if (inSequence && this.atKeyColon()) return this.blockMapping(this.i - this.lineStart - quoted.length, depth + 1, this.quotedKey(quoted.value));
      this.endLine();
      return quoted.value;
    }
    const start = this.i;
    const raw = this.plain(false);
    if (s.charCodeAt(this.i) === COLON) {
      if (!inSequence) throw NOT_PLAIN; // `a: b: c`
      return this.blockMapping(start - this.lineStart, depth + 1, this.plainKey(raw));
    }
    this.endLine();
    return resolvePlain(raw);
  }

  /** At `:` followed by a space or the end of the line. */
  private atKeyColon(): boolean {
    return this.s.charCodeAt(this.i) === COLON && isBreakOrSpace(this.s.charCodeAt(this.i + 1));
  }

  private blockSequence(indent: number, depth: number): unknown[] {
    if (depth > MAX_PLAIN_DEPTH) throw NOT_PLAIN;
    const { s } = this;
    const out: unknown[] = [];
    while (this.col === indent && s.charCodeAt(this.i) === DASH && isBreakOrSpace(s.charCodeAt(this.i + 1))) {
      // `- - x`, `- ? x`: the scalar reader refuses them (nested collections on one line).
      this.i++;
      out.push(this.valueAfterIndicator(indent, depth, true));
    }
    if (this.col > indent) throw NOT_PLAIN;
    return out;
  }

  /** Entries at indentation `indent`; `first` is the first key, already read (the reader is at its colon). */
  private blockMapping(indent: number, depth: number, first: string): Record<string, unknown> {
    if (depth > MAX_PLAIN_DEPTH) throw NOT_PLAIN;
    const out: Record<string, unknown> = {};
    let key = first;
    for (;;) {
      this.i++; // the colon
      setKey(out, key, this.valueAfterIndicator(indent, depth, false));
      if (this.col !== indent) break;
      key = this.key(false);
    }
    if (this.col > indent) throw NOT_PLAIN;
    return out;
  }

  /** A mapping key on the current line; the reader is left at its colon. */
  private key(flow: boolean): string {
    const { s } = this;
    const c = s.charCodeAt(this.i);
    if (c === QUOTE || c === DQUOTE) {
      const { value } = this.quoted();
      if (!this.atKeyColon()) throw NOT_PLAIN;
      return this.quotedKey(value);
    }
    const raw = this.plain(flow);
    if (!this.atKeyColon()) throw NOT_PLAIN;
    return this.plainKey(raw);
  }

  private quotedKey(key: string): string {
    if (key.length > 1000) throw NOT_PLAIN;
    return key;
  }

  /** A plain scalar as a key: js-yaml resolves it, then makes it a string; only keys that stay strings are taken. */
  private plainKey(raw: string): string {
    // `<<` is a merge key in some schemas; long keys are limited by the spec: both for the full path.
    if (raw === '<<' || raw.length > 1000) throw NOT_PLAIN;
    const key = resolvePlain(raw);
    if (typeof key !== 'string') throw NOT_PLAIN;
    return key;
  }

  /**
   * A plain scalar from here to the end of the line, a ` #` comment or a `: ` (in flow also to
   * `,[]{}`); trailing spaces are not part of it. The reader is left where it ends.
   */
  private plain(flow: boolean): string {
    const { s } = this;
    const start = this.i;
    const c = s.charCodeAt(start);
    if (isBreakOrSpace(c)) throw NOT_PLAIN;
    if (INDICATOR.has(c)) {
      // `-`, `?` and `:` may start a plain scalar when a safe character follows.
      const next = s.charCodeAt(start + 1);
      if (!(c === DASH || c === 63 || c === COLON) || isBreakOrSpace(next) || (flow && isFlowIndicator(next))) throw NOT_PLAIN;
      // A leading `?` or `:` is rare and subtle: full path.
      if (c !== DASH) throw NOT_PLAIN;
    }
    let i = start + 1;
    let end = start + 1;
    for (; i < s.length; i++) {
      // A run of characters that cannot end the scalar, skipped in one native step.
      ORDINARY_RUN.lastIndex = i;
      if (ORDINARY_RUN.test(s)) {
        i = end = ORDINARY_RUN.lastIndex;
        if (i === s.length) break;
      }
      const ch = s.charCodeAt(i);
      if (ch === NL) break;
      if (ch === SPACE) continue;
      if (ch === HASH && s.charCodeAt(i - 1) === SPACE) break;
      if (ch === COLON) {
        const next = s.charCodeAt(i + 1);
        if (isBreakOrSpace(next) || (flow && isFlowIndicator(next))) break;
      }
      if (flow && isFlowIndicator(ch)) break;
      end = i + 1;
    }
    this.i = i;
    // Back to the first space after the scalar, so that callers see the stop character.
    if (s.charCodeAt(i) !== COLON) this.i = end;
    else if (end !== i) throw NOT_PLAIN; // `key :` — spaces before the colon
    return s.slice(start, end);
  }

  /** A quoted scalar on one line (no escapes in double quotes); `length`: its source length. */
  private quoted(): { value: string; length: number } {
    const { s } = this;
    const start = this.i;
    const q = s.charCodeAt(start);
    let value = '';
    let from = start + 1;
    for (let i = start + 1; ; i++) {
      const c = s.charCodeAt(i);
      if (c === NL || Number.isNaN(c) || (q === DQUOTE && c === BACKSLASH)) throw NOT_PLAIN;
      if (c !== q) continue;
      if (q === QUOTE && s.charCodeAt(i + 1) === QUOTE) {
        value += s.slice(from, i + 1);
        from = i + 2;
        i++;
        continue;
      }
      value += s.slice(from, i);
      this.i = i + 1;
      return { value, length: this.i - start };
    }
  }

  /** `{ k: v, … }` on the current line; the reader is at `{` and is left after `}`. */
  private flowMapping(depth: number): Record<string, unknown> {
    if (depth > MAX_PLAIN_DEPTH) throw NOT_PLAIN;
    const { s } = this;
    const out: Record<string, unknown> = {};
    this.i++;
    this.flowSpaces();
    if (s.charCodeAt(this.i) === RBRACE) {
      this.i++;
      return out;
    }
    for (;;) {
      // Most entries are `key: word` (`name: projectsId`): read by regexes, in native code,
      // instead of character by character in JavaScript that is still cold at the start of a run.
      const simpleEnd = this.simpleFlowEntry(out);
      if (simpleEnd === RBRACE) return out;
      if (simpleEnd === COMMA) {
        this.flowSpaces();
        continue;
      }
      const key = this.key(true);
      this.i++; // the colon
      this.flowSpaces();
      setKey(out, key, this.flowValue(depth));
      this.flowSpaces();
      const c = s.charCodeAt(this.i++);
      if (c === RBRACE) return out;
      if (c !== COMMA) throw NOT_PLAIN;
      this.flowSpaces();
    }
  }

  /**
   * A simple flow mapping entry (see FLOW_KEY) at the reader's position, set on `out`; the reader
   * is left after its `,` or `}`, which is returned. 0, with nothing read, when it is not one.
   */
  private simpleFlowEntry(out: Record<string, unknown>): number {
    const { s } = this;
    FLOW_KEY.lastIndex = this.i;
    if (!FLOW_KEY.test(s)) return 0;
    const keyEnd = FLOW_KEY.lastIndex;
    let start = keyEnd + 2;
    while (s.charCodeAt(start) === SPACE) start++;
    const q = s.charCodeAt(start);
    const quoted = q === QUOTE || q === DQUOTE;
    const form = q === QUOTE ? FLOW_SINGLE_QUOTED : q === DQUOTE ? FLOW_DOUBLE_QUOTED : FLOW_PLAIN_VALUE;
    form.lastIndex = start;
    if (!form.test(s)) return 0;
    let end = form.lastIndex;
    const value = quoted ? s.slice(start + 1, end - 1) : resolvePlain(s.slice(start, end));
    setKey(out, this.plainKey(s.slice(this.i, keyEnd)), value);
    while (s.charCodeAt(end) === SPACE) end++;
    this.i = end + 1;
    return s.charCodeAt(end);
  }

  /** `[ v, … ]` on the current line; the reader is at `[` and is left after `]`. */
  private flowSequence(depth: number): unknown[] {
    if (depth > MAX_PLAIN_DEPTH) throw NOT_PLAIN;
    const { s } = this;
    const out: unknown[] = [];
    this.i++;
    this.flowSpaces();
    if (s.charCodeAt(this.i) === RBRACKET) {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.flowValue(depth));
      this.flowSpaces();
      const c = s.charCodeAt(this.i++);
      if (c === RBRACKET) return out;
      if (c !== COMMA) throw NOT_PLAIN;
      this.flowSpaces();
    }
  }

  /** A value inside a flow collection: nested collection, quoted or plain scalar (never empty). */
  private flowValue(depth: number): unknown {
    const { s } = this;
    const c = s.charCodeAt(this.i);
    if (c === LBRACE) return this.flowMapping(depth + 1);
    if (c === LBRACKET) return this.flowSequence(depth + 1);
    let value: unknown;
    if (c === QUOTE || c === DQUOTE) value = this.quoted().value;
    else value = resolvePlain(this.plain(true));
    this.flowSpaces();
    // `[a: b]` (a pair in a sequence) or `{a: b: c}`: for the full path.
    if (s.charCodeAt(this.i) === COLON) throw NOT_PLAIN;
    return value;
  }

  /** Spaces inside a flow collection; a line break or a comment there is for the full path. */
  private flowSpaces(): void {
    const { s } = this;
    while (s.charCodeAt(this.i) === SPACE) this.i++;
    const c = s.charCodeAt(this.i);
    if (c === NL || c === HASH || Number.isNaN(c)) throw NOT_PLAIN;
  }
}
