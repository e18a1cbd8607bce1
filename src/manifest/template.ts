import { childPath } from './paths.js';

/**
 * `{{ … }}` templates in manifest strings. Three forms:
 *   {{ name }}                      a variable: a global, then --var, then the environment
 *   {{ name | default("value") }}   the same, with a fallback when it is unset
 *   {{ address.field }}             a reference to another resource (kept for the planner)
 */
export type Expr =
  | { kind: 'var'; name: string; fallback?: string }
  | { kind: 'ref'; address: string; field: string }
  | { kind: 'invalid'; reason: string };

export interface TemplateMatch {
  /** The whole `{{ … }}` text. */
  text: string;
  start: number;
  end: number;
  expr: Expr;
}

const TEMPLATE = /\{\{(.*?)\}\}/gs;
const NAME = '[A-Za-z_][A-Za-z0-9_-]*';
const EXPR = new RegExp(
  `^\\s*(${NAME})((?:\\.${NAME}|\\[\\d+\\])*)\\s*(?:\\|\\s*default\\(\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|'([^']*)')\\s*\\)\\s*)?$`,
  's',
);
const FORMS = 'expected {{ name }}, {{ name | default("…") }} or {{ address.field }}';

export function parseExpr(inner: string): Expr {
  const m = EXPR.exec(inner);
  if (!m) return { kind: 'invalid', reason: FORMS };
  const [, head, rest, dq, sq] = m;
  const fallback = dq !== undefined ? (JSON.parse(`"${dq}"`) as string) : sq;
  if (rest) {
    if (fallback !== undefined) return { kind: 'invalid', reason: 'default(…) applies to variables, not to references' };
    return { kind: 'ref', address: head, field: rest.startsWith('.') ? rest.slice(1) : rest };
  }
  return { kind: 'var', name: head, fallback };
}

export function scanTemplates(s: string): TemplateMatch[] {
  if (!s.includes('{{')) return [];
  const out: TemplateMatch[] = [];
  for (const m of s.matchAll(TEMPLATE)) {
    out.push({ text: m[0], start: m.index, end: m.index + m[0].length, expr: parseExpr(m[1]) });
  }
  return out;
}

export interface VariableScope {
  /** The variable's value, or undefined when it is unset. */
  lookup(name: string): { value: unknown } | undefined;
  /** Why a name is unset, for the error message. */
  unsetMessage(name: string): string;
}

/** Reports a problem at a prop path (relative to the value being rendered). */
export type Report = (path: string, message: string) => void;

/**
 * Replaces variables in every string of `value`, leaving references as written. A string that is
 * exactly one variable takes the variable's raw value (a global may be a number or a map).
 */
export function substituteVariables(value: unknown, scope: VariableScope, report: Report, path = ''): unknown {
  if (typeof value === 'string') return renderString(value, scope, report, path);
  if (Array.isArray(value)) return value.map((v, i) => substituteVariables(v, scope, report, childPath(path, i)));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(out, k, {
        value: substituteVariables(v, scope, report, childPath(path, k)),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

function renderString(s: string, scope: VariableScope, report: Report, path: string): unknown {
  const matches = scanTemplates(s);
  if (matches.length === 0) return s;
  const values: unknown[] = [];
  for (const m of matches) {
    const { expr } = m;
    if (expr.kind === 'invalid') {
      report(path, `invalid template "${m.text}": ${expr.reason}`);
      values.push(m.text);
    } else if (expr.kind === 'ref') {
      values.push(m.text);
    } else {
      const found = scope.lookup(expr.name);
      if (found) values.push(found.value);
      else if (expr.fallback !== undefined) values.push(expr.fallback);
      else {
        report(path, scope.unsetMessage(expr.name));
        values.push(m.text);
      }
    }
  }
  if (matches.length === 1 && matches[0].start === 0 && matches[0].end === s.length) return values[0];
  let out = '';
  let last = 0;
  matches.forEach((m, i) => {
    out += s.slice(last, m.start) + stringify(values[i]);
    last = m.end;
  });
  return out + s.slice(last);
}

export function stringify(v: unknown): string {
  return typeof v === 'string' ? v : v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v);
}
