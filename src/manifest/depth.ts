/**
 * The nesting limit of manifest files, enforced before a YAML parser sees the text: both
 * parsers recurse per level and overflow the stack at some hundreds of levels, which would
 * surface as "Maximum call stack size exceeded" (or worse, a crash) instead of a clear line.
 * Real manifests nest a dozen levels; 100 leaves room for any job spec.
 */
export const MAX_NESTING = 100;

export const nestingMessage = `nested deeper than ${MAX_NESTING} levels; refusing to load`;

const SPACE = 32;
const NL = 10;
const CR = 13;
const TAB = 9;

const IN_BLOCK = /[:#\n]/g;
const IN_FLOW = /[[\]{},:#\n]/g;

const isBlank = (c: number): boolean => c === SPACE || c === NL || c === CR || c === TAB || Number.isNaN(c);

/**
 * Where the text first nests deeper than `limit`, or undefined. A fast, conservative scan of
 * YAML's structure: block nesting by indentation (and `- ` markers), flow nesting by brackets
 * outside quotes and comments, block scalars (`|`, `>`) skipped. It may count a level too many
 * for unusual plain multi-line scalars, never fewer than the parser will build.
 */
export function findTooDeep(text: string, limit = MAX_NESTING): { line: number; col: number } | undefined {
  const n = text.length;
  const indents: number[] = [];
  let flow = 0;
  let line = 1;
  let lineStart = 0;
  /** Inside a block scalar: lines indented more than this are its content. */
  let blockScalarIndent = -1;
  let i = 0;
  while (i < n) {
    // Start of a line.
    lineStart = i;
    let indent = 0;
    while (i < n && text.charCodeAt(i) === SPACE) {
      indent++;
      i++;
    }
    const first = text.charCodeAt(i);
    const blankLine = i >= n || first === NL || first === CR;
    if (blockScalarIndent >= 0) {
      if (blankLine || indent > blockScalarIndent) {
        i = skipLine(text, i);
        line++;
        continue;
      }
      blockScalarIndent = -1;
    }
    if (blankLine || first === 35 /* # */) {
      i = skipLine(text, i);
      line++;
      continue;
    }
    if (flow === 0) {
      while (indents.length && indents[indents.length - 1] >= indent) indents.pop();
      indents.push(indent);
    }
    let valueStart = true;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === NL) break;
      if ((c === 34 /* " */ || c === 39) /* ' */ && valueStart) {
        const end = skipQuoted(text, i, c);
        for (let k = i; k < end; k++) {
          if (text.charCodeAt(k) === NL) {
            line++;
            lineStart = k + 1;
          }
        }
        i = end - 1;
        valueStart = false;
        continue;
      }
      if (c === 35 /* # */ && (i === lineStart || isBlank(text.charCodeAt(i - 1)))) {
        while (i < n && text.charCodeAt(i) !== NL) i++;
        break;
      }
      if (c === SPACE || c === TAB || c === CR) continue;
      if ((c === 91 /* [ */ || c === 123) /* { */ && (flow > 0 || valueStart)) {
        flow++;
        if (indents.length + flow > limit) return { line, col: i - lineStart + 1 };
        valueStart = true;
        continue;
      }
      if (c === 93 /* ] */ || c === 125 /* } */) {
        if (flow > 0) flow--;
        valueStart = false;
        continue;
      }
      if (c === 44 /* , */ && flow > 0) {
        valueStart = true;
        continue;
      }
      const next = text.charCodeAt(i + 1);
      if (c === 45 /* - */ && flow === 0 && valueStart && isBlank(next)) {
        // `- - x`: each marker opens a sequence inside the one before.
        indents.push(i - lineStart + 1);
        if (indents.length > limit) return { line, col: i - lineStart + 1 };
        continue;
      }
      if (c === 58 /* : */ && (isBlank(next) || (flow > 0 && (next === 44 || next === 93 || next === 125)))) {
        valueStart = true;
        continue;
      }
      if ((c === 124 /* | */ || c === 62) /* > */ && flow === 0 && valueStart) {
        blockScalarIndent = indent;
        while (i < n && text.charCodeAt(i) !== NL) i++;
        break;
      }
      if ((c === 38 /* & */ || c === 33) /* ! */ && valueStart) {
        // An anchor or a tag before a value: the value may still open a collection.
        while (i + 1 < n && !isBlank(text.charCodeAt(i + 1))) i++;
        continue;
      }
      if (indents.length + flow > limit) return { line, col: i - lineStart + 1 };
      valueStart = false;
      // Inside a plain scalar only these can matter: jump to the next one (most of a file's text).
      const interesting = flow > 0 ? IN_FLOW : IN_BLOCK;
      interesting.lastIndex = i + 1;
      const found = interesting.exec(text);
      i = (found ? found.index : n) - 1;
    }
    if (i < n) i++; // the newline
    line++;
  }
  return undefined;
}

function skipLine(text: string, i: number): number {
  const nl = text.indexOf('\n', i);
  return nl === -1 ? text.length : nl + 1;
}

/** Index just past the closing quote (or the end of the text). */
function skipQuoted(text: string, start: number, quote: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote === 34 && c === 92 /* \ */) i++;
    else if (c === quote) {
      if (quote === 39 && text.charCodeAt(i + 1) === 39) i++;
      else return i + 1;
    }
  }
  return text.length;
}

/**
 * The depth of a parsed value, counted without recursion, up to `limit + 1`: aliases can nest
 * a value deeper than its text does (`b: &b [*a]`, `c: &c [*b]`, …), and a cycle never ends.
 */
export function valueDeeperThan(root: unknown, limit = MAX_NESTING): boolean {
  const stack: [unknown, number][] = [[root, 0]];
  const seen = new Map<object, number>();
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= limit) return true;
    // A node already walked at this depth or deeper has nothing new below it.
    if ((seen.get(v) ?? -1) >= depth) continue;
    seen.set(v, depth);
    for (const child of Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}
