import type { PathSegment } from './paths.js';

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

/** Reports a problem at a path inside the value being rendered. */
export type Report = (path: PathSegment[], message: string) => void;

/**
 * Replaces variables in every string of `value`, leaving references as written. A string that is
 * exactly one variable takes the variable's raw value (a global may be a number or a map).
 * Unchanged parts are returned as they are (shared, not copied): treat the result as read-only.
 */
export function substituteVariables(value: unknown, scope: VariableScope, report: Report): unknown {
  if (typeof value === 'string' ? !value.includes('{{') : value === null || typeof value !== 'object') return value;
  // One path stack for the whole walk; a path is only spelled out when there is a problem.
  return substituteIn(value, scope, report, []);
}

function substituteIn(v: unknown, scope: VariableScope, report: Report, path: PathSegment[]): unknown {
  if (typeof v === 'string') {
    return v.includes('{{') ? renderString(v, scope, (_, message) => report([...path], message)) : v;
  }
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      const next = substituteIn(v[i], scope, report, path);
      path.pop();
      if (next !== v[i]) (out ??= [...v])[i] = next;
    }
    return out ?? v;
  }
  if (v !== null && typeof v === 'object') {
    // Copy only what changes: most values hold no template.
    let out: Record<string, unknown> | undefined;
    for (const k in v) {
      const child = (v as Record<string, unknown>)[k];
      path.push(k);
      const next = substituteIn(child, scope, report, path);
      path.pop();
      if (next === child) continue;
      out ??= copyObject(v as Record<string, unknown>);
      setOwn(out, k, next);
    }
    return out ?? v;
  }
  return v;
}

/** Sets obj[key] as an own property even for `__proto__`. */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

function copyObject(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) setOwn(out, k, v);
  return out;
}

function renderString(s: string, scope: VariableScope, report: Report): unknown {
  const matches = scanTemplates(s);
  if (matches.length === 0) return s;
  const values: unknown[] = [];
  for (const m of matches) {
    const { expr } = m;
    if (expr.kind === 'invalid') {
      report([], `invalid template "${m.text}": ${expr.reason}`);
      values.push(m.text);
    } else if (expr.kind === 'ref') {
      values.push(m.text);
    } else {
      const found = scope.lookup(expr.name);
      if (found) values.push(found.value);
      else if (expr.fallback !== undefined) values.push(expr.fallback);
      else {
        report([], scope.unsetMessage(expr.name));
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
