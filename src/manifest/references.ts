import { formatPath, joinPath } from '../core/paths.js';
import { scanTemplates, setOwn, stringify, visitReferences, type TemplateMatch } from './template.js';
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
  return { value: resolveValue(value, lookup, unknown), unknown };
}

type ReferenceLookup = (address: string, field: string) => unknown | undefined;

// Module functions with indexed loops, not closures and filter/map per call: the applier
// resolves every step's props (10,000 runs, two references each) as the step becomes ready.
function resolveValue(v: unknown, lookup: ReferenceLookup, unknown: { address: string; field: string }[]): unknown {
  if (typeof v === 'string') return v.includes('{{') ? resolveString(v, lookup, unknown) : v;
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = resolveValue(v[i], lookup, unknown);
    return out;
  }
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) setOwn(out, k, resolveValue((v as Record<string, unknown>)[k], lookup, unknown));
    return out;
  }
  return v;
}

function resolveString(s: string, lookup: ReferenceLookup, unknown: { address: string; field: string }[]): unknown {
  const matches = scanTemplates(s);
  let refs = 0;
  let only: TemplateMatch | undefined;
  for (let i = 0; i < matches.length; i++) {
    if (matches[i].expr.kind === 'ref') {
      refs++;
      only = matches[i];
    }
  }
  if (refs === 0) return s;
  if (refs === 1 && only!.text === s) {
    const { address, field } = only!.expr as { address: string; field: string };
    const answer = lookup(address, field);
    if (answer === undefined) unknown.push({ address, field });
    return answer === undefined ? s : answer;
  }
  let out = '';
  let last = 0;
  for (let i = 0; i < matches.length; i++) {
    const m = matches[i];
    if (m.expr.kind !== 'ref') continue;
    const { address, field } = m.expr;
    const answer = lookup(address, field);
    if (answer === undefined) unknown.push({ address, field });
    out += s.slice(last, m.start) + (answer === undefined ? m.text : stringify(answer));
    last = m.end;
  }
  return out + s.slice(last);
}
