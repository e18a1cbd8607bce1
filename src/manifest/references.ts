import { formatPath, joinPath } from '../core/paths.js';
import { scanTemplates, setOwn, stringify, visitReferences } from './template.js';
import type { Reference } from './types.js';

/**
 * `{{ address.field }}` references. The loader leaves them in prop strings; the planner and
 * applier substitute them once the referenced resource exists (server-chosen ids and full
 * names are "known after apply").
 */

/** Every reference in a value, with the prop path of the string that holds it. */
export function findReferences(value: unknown, path = ''): Reference[] {
  const out: Reference[] = [];
  visitReferences(value, (segments, address, field) => out.push({ path: joinPath(path, formatPath(segments)), address, field }));
  return out;
}

export function hasReferences(value: unknown): boolean {
  let found = false;
  visitReferences(value, () => (found = true));
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
    if (!s.includes('{{')) return s;
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
      for (const k of Object.keys(v)) setOwn(out, k, walk((v as Record<string, unknown>)[k]));
      return out;
    }
    return v;
  };
  return { value: walk(value), unknown };
}
