import { formatPath, joinPath, type PathSegment } from './paths.js';
import { scanTemplates, setOwn, stringify } from './template.js';
import type { Reference } from './types.js';

/**
 * `{{ address.field }}` references. The loader leaves them in prop strings; the planner and
 * applier substitute them once the referenced resource exists (server-chosen ids and full
 * names are "known after apply").
 */

/** Every reference in a value, with the prop path of the string that holds it. */
export function findReferences(value: unknown, path = ''): Reference[] {
  const out: Reference[] = [];
  walkStrings(value, path, (s, p) => {
    for (const m of scanTemplates(s)) {
      if (m.expr.kind === 'ref') out.push({ path: p, address: m.expr.address, field: m.expr.field });
    }
  });
  return out;
}

export function hasReferences(value: unknown): boolean {
  let found = false;
  walkStrings(value, '', (s) => {
    if (!found && scanTemplates(s).some((m) => m.expr.kind === 'ref')) found = true;
  });
  return found;
}

/**
 * Substitutes references the lookup can answer. A string that is exactly one reference takes
 * the raw value (a number or a map stays one); others are spliced in as text. References the
 * lookup cannot answer stay as their `{{ a.f }}` text and are listed in `unknown`.
 */
export function resolveReferences(
  value: unknown,
  lookup: (address: string, field: string) => unknown | undefined,
): { value: unknown; unknown: { address: string; field: string }[] } {
  const unknown: { address: string; field: string }[] = [];
  const resolveString = (s: string): unknown => {
    const refs = scanTemplates(s).filter((m) => m.expr.kind === 'ref');
    if (refs.length === 0) return s;
    const answers = refs.map((m) => {
      const { address, field } = m.expr as { address: string; field: string };
      const answer = lookup(address, field);
      if (answer === undefined) unknown.push({ address, field });
      return answer;
    });
    if (refs.length === 1 && refs[0].text === s) return answers[0] === undefined ? s : answers[0];
    let out = '';
    let last = 0;
    refs.forEach((m, i) => {
      out += s.slice(last, m.start) + (answers[i] === undefined ? m.text : stringify(answers[i]));
      last = m.end;
    });
    return out + s.slice(last);
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return resolveString(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, child] of Object.entries(v)) setOwn(out, k, walk(child));
      return out;
    }
    return v;
  };
  return { value: walk(value), unknown };
}

/** Calls visit for every string holding `{{`, with its path; the path is spelled out only then. */
function walkStrings(value: unknown, base: string, visit: (s: string, path: string) => void, path: PathSegment[] = []): void {
  if (typeof value === 'string') {
    if (value.includes('{{')) visit(value, joinPath(base, formatPath(path)));
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      walkStrings(value[i], base, visit, path);
      path.pop();
    }
  } else if (value !== null && typeof value === 'object') {
    for (const k in value) {
      path.push(k);
      walkStrings((value as Record<string, unknown>)[k], base, visit, path);
      path.pop();
    }
  }
}
