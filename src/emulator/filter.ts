import { invalidArgument } from './errors.js';
import { camel } from './bodies.js';

/**
 * List filters in the AIP-160 style the APIs document: comparisons (`=`, `!=`, `<`, `<=`, `>`,
 * `>=`, `:` has / wildcard, `=~` regex) on fields such as `display_name`, `state`, `create_time`
 * and `labels.key`, combined with AND, OR (which binds tighter, as in AIP-160), NOT and parentheses.
 */

export type Predicate = (item: Record<string, unknown>) => boolean;

type Token = { t: 'word' | 'string' | 'op' | '(' | ')'; v: string };

const OPS = ['<=', '>=', '!=', '=~', '!~', '=', '<', '>', ':'];

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      out.push({ t: c, v: c });
      i++;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      let v = '';
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        v += text[j++];
      }
      if (j >= text.length) throw badFilter(text, 'unterminated string');
      out.push({ t: 'string', v });
      i = j + 1;
    } else {
      const op = OPS.find((o) => text.startsWith(o, i));
      if (op) {
        out.push({ t: 'op', v: op });
        i += op.length;
      } else {
        const m = /^[^\s()=!<>:~"']+/.exec(text.slice(i));
        if (!m) throw badFilter(text, `unexpected "${c}"`);
        out.push({ t: 'word', v: m[0] });
        i += m[0].length;
      }
    }
  }
  return out;
}

function badFilter(text: string, why: string) {
  return invalidArgument(`Invalid filter "${text}": ${why}.`);
}

/** Resolves a member path against an item: snake_case or camelCase names, map keys as written. */
function lookup(item: unknown, path: string[], aliases: Record<string, string>): unknown {
  let cur: unknown = item;
  path.forEach((seg, i) => {
    if (cur === null || typeof cur !== 'object') {
      cur = undefined;
      return;
    }
    const obj = cur as Record<string, unknown>;
    const name = i === 0 ? (aliases[seg] ?? aliases[camel(seg)] ?? camel(seg)) : seg;
    cur = name in obj ? obj[name] : obj[camel(seg)];
  });
  return cur;
}

function globToRegex(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

function compare(actual: unknown, op: string, expected: string): boolean {
  if (Array.isArray(actual)) return actual.some((a) => compare(a, op, expected));
  if (op === ':') {
    if (expected === '*') return actual !== undefined && actual !== '';
    if (actual !== null && typeof actual === 'object') return expected in actual;
    return globToRegex(expected).test(String(actual ?? ''));
  }
  const text = actual === undefined || actual === null ? '' : typeof actual === 'object' ? JSON.stringify(actual) : String(actual);
  switch (op) {
    case '=':
      return text === expected;
    case '!=':
      return text !== expected;
    case '=~':
      return new RegExp(expected).test(text);
    case '!~':
      return !new RegExp(expected).test(text);
  }
  const a = Number(text);
  const b = Number(expected);
  const ta = Date.parse(text);
  const tb = Date.parse(expected);
  const diff =
    text !== '' && expected !== '' && !Number.isNaN(a) && !Number.isNaN(b)
      ? a - b
      : !Number.isNaN(ta) && !Number.isNaN(tb) && /\d{4}-\d{2}-\d{2}/.test(expected)
        ? ta - tb
        : text < expected ? -1 : text > expected ? 1 : 0;
  return op === '<' ? diff < 0 : op === '<=' ? diff <= 0 : op === '>' ? diff > 0 : diff >= 0;
}

/**
 * Parses a filter into a predicate over resource bodies. `aliases` maps filter names to body
 * fields (e.g. `state` → `jobState`).
 */
export function parseFilter(text: string, aliases: Record<string, string> = {}, supported?: string[]): Predicate {
  const tokens = tokenize(text);
  // Fields the method documents (`display_name`, `labels`): others are rejected, as Google does.
  const allowed = supported && new Set(supported.map(camel));
  let pos = 0;
  const peek = () => tokens[pos];
  const isWord = (w: string) => peek()?.t === 'word' && peek().v === w;

  function expr(): Predicate {
    const parts = [sequence()];
    while (pos < tokens.length && peek().t !== ')') {
      if (isWord('AND')) pos++;
      parts.push(sequence());
    }
    return parts.length === 1 ? parts[0] : (item) => parts.every((p) => p(item));
  }
  function sequence(): Predicate {
    const parts = [factor()];
    while (isWord('OR')) {
      pos++;
      parts.push(factor());
    }
    return parts.length === 1 ? parts[0] : (item) => parts.some((p) => p(item));
  }
  function factor(): Predicate {
    const tok = peek();
    if (!tok) throw badFilter(text, 'expression expected');
    if (tok.t === 'word' && (tok.v === 'NOT' || tok.v === '-')) {
      pos++;
      const inner = factor();
      return (item) => !inner(item);
    }
    if (tok.t === 'word' && tok.v.startsWith('-') && tok.v.length > 1) {
      tokens[pos] = { t: 'word', v: tok.v.slice(1) };
      const inner = factor();
      return (item) => !inner(item);
    }
    if (tok.t === '(') {
      pos++;
      const inner = expr();
      if (peek()?.t !== ')') throw badFilter(text, '")" expected');
      pos++;
      return inner;
    }
    if (tok.t !== 'word') throw badFilter(text, `field name expected, got "${tok.v}"`);
    pos++;
    const op = peek();
    if (op?.t !== 'op') throw badFilter(text, `comparison expected after "${tok.v}"`);
    pos++;
    const value = peek();
    if (!value || (value.t !== 'word' && value.t !== 'string')) throw badFilter(text, `value expected after "${tok.v}${op.v}"`);
    pos++;
    const path = tok.v.split('.');
    if (allowed && !allowed.has(camel(path[0]))) {
      throw badFilter(text, `unsupported field "${path[0]}"; supported fields: ${supported!.join(', ')}`);
    }
    if ((op.v === '=~' || op.v === '!~')) {
      try {
        new RegExp(value.v);
      } catch {
        throw badFilter(text, `invalid regular expression "${value.v}"`);
      }
    }
    return (item) => compare(lookup(item, path, aliases), op.v, value.v);
  }

  if (tokens.length === 0) return () => true;
  const predicate = expr();
  if (pos < tokens.length) throw badFilter(text, `unexpected "${peek().v}"`);
  return predicate;
}
