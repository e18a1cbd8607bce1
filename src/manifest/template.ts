import type { PathSegment } from '../core/paths.js';
import { setOwn } from '../core/records.js';

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

// A stack repeats a few templates thousands of times (`{{ project }}`), and loading scans each
// string more than once: parse each distinct one once. Bounded, for long-lived processes.
const parsedExprs = new Map<string, Expr>();
const MAX_PARSED_EXPRS = 50_000;

function parseExprOnce(inner: string): Expr {
  let expr = parsedExprs.get(inner);
  if (!expr) {
    if (parsedExprs.size >= MAX_PARSED_EXPRS) parsedExprs.clear();
    expr = parseExpr(inner);
    parsedExprs.set(inner, expr);
  }
  return expr;
}

// The same template strings (`{{ board.tensorboardsId }}`) are scanned for every resource, by the
// loader, refresh and the planner: each distinct string once. Bounded, for long-lived processes.
const scanned = new Map<string, readonly TemplateMatch[]>();

/** The `{{ … }}` in a string: each `{{` up to the first `}}` after it. Read-only: the result is shared. */
export function scanTemplates(s: string): readonly TemplateMatch[] {
  let found = scanned.get(s);
  if (!found) {
    if (scanned.size >= MAX_PARSED_EXPRS) scanned.clear();
    scanned.set(s, (found = Object.freeze(scanOnce(s))));
  }
  return found;
}

function scanOnce(s: string): TemplateMatch[] {
  const out: TemplateMatch[] = [];
  let from = 0;
  for (let start = s.indexOf('{{'); start !== -1; start = s.indexOf('{{', from)) {
    const close = s.indexOf('}}', start + 2);
    if (close === -1) break;
    from = close + 2;
    out.push({ text: s.slice(start, from), start, end: from, expr: parseExprOnce(s.slice(start + 2, close)) });
  }
  return out;
}

/**
 * How a string holds templates once variables are substituted: 'whole' when it is exactly one
 * `{{ … }}`, 'partial' when one is inside it. What is left is a reference (known after apply) or
 * an unset or invalid template, reported already: neither is a value to check.
 */
export function referenceForm(s: string): 'whole' | 'partial' | undefined {
  if (!s.includes('{{')) return undefined;
  const refs = scanTemplates(s);
  if (refs.length === 1 && refs[0].text === s) return 'whole';
  return refs.length ? 'partial' : undefined;
}

export interface VariableScope {
  /** The variable's value, or undefined when it is unset. */
  lookup(name: string): { value: unknown } | undefined;
  /** Why a name is unset, for the error message. */
  unsetMessage(name: string): string;
}

/** Reports a problem at a path inside the value being rendered. */
export type Report = (path: PathSegment[], message: string) => void;

/** Told of each `{{ address.field }}` and where it is; `path` is only valid during the call. */
export type OnReference = (path: readonly PathSegment[], address: string, field: string) => void;

interface Substitution {
  scope: VariableScope;
  report: Report;
  onReference?: OnReference;
}

/**
 * Replaces variables in every string of `value`, leaving references as written. A string that is
 * exactly one variable takes the variable's raw value (a global may be a number or a map).
 * Unchanged parts are returned as they are (shared, not copied): treat the result as read-only.
 * onReference hears of every reference in the result, in the order visitReferences would give
 * them: one walk instead of two.
 */
export function substituteVariables(value: unknown, scope: VariableScope, report: Report, onReference?: OnReference): unknown {
  if (typeof value === 'string' ? !value.includes('{{') : value === null || typeof value !== 'object') return value;
  // One path stack for the whole walk; a path is only spelled out when there is a problem.
  return substituteIn(value, { scope, report, onReference }, []);
}

function substituteIn(v: unknown, sub: Substitution, path: PathSegment[]): unknown {
  if (typeof v === 'string') return v.includes('{{') ? renderString(v, sub, path) : v;
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      const next = substituteIn(v[i], sub, path);
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
      const next = substituteIn(child, sub, path);
      path.pop();
      if (next === child) continue;
      out ??= copyObject(v as Record<string, unknown>);
      setOwn(out, k, next);
    }
    return out ?? v;
  }
  return v;
}

/** Calls onReference for every reference in the strings of `value`, walking it in key order. */
export function visitReferences(value: unknown, onReference: OnReference, path: PathSegment[] = []): void {
  if (typeof value === 'string') {
    if (!value.includes('{{')) return;
    for (const { expr } of scanTemplates(value)) if (expr.kind === 'ref') onReference(path, expr.address, expr.field);
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      visitReferences(value[i], onReference, path);
      path.pop();
    }
  } else if (value !== null && typeof value === 'object') {
    for (const k in value) {
      path.push(k);
      visitReferences((value as Record<string, unknown>)[k], onReference, path);
      path.pop();
    }
  }
}

export { setOwn };

function copyObject(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) setOwn(out, k, v);
  return out;
}

function renderString(s: string, { scope, report, onReference }: Substitution, path: PathSegment[]): unknown {
  const matches = scanTemplates(s);
  // Most strings hold references only, which stay as written: nothing to build then.
  let values: unknown[] | undefined;
  for (let i = 0; i < matches.length; i++) {
    const m = matches[i];
    const { expr } = m;
    if (expr.kind === 'ref') continue;
    if (expr.kind === 'invalid') {
      report([...path], `invalid template "${m.text}": ${expr.reason}`);
      continue;
    }
    const found = scope.lookup(expr.name);
    if (found || expr.fallback !== undefined) {
      values ??= matches.map((x) => x.text);
      values[i] = found ? found.value : expr.fallback;
    } else report([...path], scope.unsetMessage(expr.name));
  }
  if (!values) {
    // Every template stays as written, so does the string; its references are the ones just read.
    if (onReference) {
      for (let i = 0; i < matches.length; i++) {
        const { expr } = matches[i];
        if (expr.kind === 'ref') onReference(path, expr.address, expr.field);
      }
    }
    return s;
  }
  let out: unknown;
  if (matches.length === 1 && matches[0].start === 0 && matches[0].end === s.length) out = values[0];
  else {
    let text = '';
    let last = 0;
    matches.forEach((m, i) => {
      text += s.slice(last, m.start) + stringify(values[i]);
      last = m.end;
    });
    out = text + s.slice(last);
  }
  // A variable's value may hold references of its own.
  if (onReference) visitReferences(out, onReference, path);
  return out;
}

export function stringify(v: unknown): string {
  return typeof v === 'string' ? v : v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v);
}
