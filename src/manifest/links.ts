import type { Problem } from '../core/errors.js';
import { joinPath, parsePath } from '../core/paths.js';
import { registerSecret } from '../core/secrets.js';
import { didYouMean } from '../core/suggest.js';
import { findCycles } from './dag.js';
import { posAt, type Origin } from './shape.js';
import type { DesiredResource, Reference } from './types.js';

// References and dependsOn between resources: checked, turned into DAG edges, sensitivity carried along.

/** `unbuilt`: addresses of resources left out for their shape problems; references to them are not checked. */
export function linkReferences(origins: Map<DesiredResource, Origin>, unbuilt: ReadonlySet<string>, problems: Problem[]): void {
  const resources = [...origins.keys()];
  const byAddress = new Map<string, DesiredResource>();
  for (let i = 0; i < resources.length; i++) byAddress.set(resources[i].address, resources[i]);
  // Indexed loops: these run per resource and per reference, often before V8 has optimised them.
  for (let i = 0; i < resources.length; i++) {
    const r = resources[i];
    for (let j = 0; j < r.refs.length; j++) {
      const ref = r.refs[j];
      if (unbuilt.has(ref.address)) continue;
      const target = byAddress.get(ref.address);
      const problem = target
        ? missingField(target, ref.field)
        : `unknown resource address "${ref.address}"${didYouMean(ref.address, byAddress.keys())}`;
      if (problem) {
        problems.push({ pos: r.positions[ref.path] ?? r.pos, address: r.address, message: `${joinPath('props', ref.path)}: ${problem}` });
      }
    }
    const explicit = r.dependsOn;
    for (let k = 0; k < explicit.length; k++) {
      const dep = explicit[k];
      if (byAddress.has(dep) || unbuilt.has(dep)) continue;
      const { file, pointer } = origins.get(r)!;
      problems.push({
        pos: posAt(file, `${pointer}/dependsOn/${k}`),
        address: r.address,
        message: `dependsOn: unknown resource address "${dep}"${didYouMean(dep, byAddress.keys())}`,
      });
    }
    r.dependsOn = dependencies(explicit, r.refs);
  }
  propagateSensitive(resources, byAddress);
  // Every output masks these values wherever they show up, in whatever text.
  for (const r of resources) for (const prop of r.sensitive) registerSecret(withoutReferences(r.props[prop]));
  problems.push(...findCycles(resources));
}

/** Explicit dependsOn, then every referenced address, each once, in that order. */
function dependencies(explicit: readonly string[], refs: readonly Reference[]): string[] {
  // Most resources have a few: a list is cheaper than a Set until there are many.
  if (explicit.length + refs.length > 16) {
    const all = new Set(explicit);
    for (const ref of refs) all.add(ref.address);
    return [...all];
  }
  const out: string[] = [];
  for (let i = 0; i < explicit.length; i++) if (!out.includes(explicit[i])) out.push(explicit[i]);
  for (let i = 0; i < refs.length; i++) if (!out.includes(refs[i].address)) out.push(refs[i].address);
  return out;
}

/** A value without the strings that are still references (their values are registered where they come from). */
function withoutReferences(value: unknown): unknown {
  if (typeof value === 'string') return value.includes('{{') ? undefined : value;
  if (Array.isArray(value)) return value.map(withoutReferences);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutReferences(v)]));
  return value;
}

/** A prop that references a sensitive prop holds the secret once resolved: it is sensitive too. */
function propagateSensitive(resources: readonly DesiredResource[], byAddress: Map<string, DesiredResource>): void {
  if (!resources.some((r) => r.sensitive.length > 0)) return;
  const topOf = (path: string): string => String(parsePath(path)?.[0] ?? path);
  for (let changed = true; changed; ) {
    changed = false;
    for (const r of resources) {
      for (const ref of r.refs) {
        if (!byAddress.get(ref.address)?.sensitive.includes(topOf(ref.field))) continue;
        const prop = topOf(ref.path);
        if (!r.sensitive.includes(prop)) {
          r.sensitive.push(prop);
          changed = true;
        }
      }
    }
  }
}

/**
 * Why `{{ target.field }}` cannot be answered, or undefined if it can: `name` (the full
 * resource name), the kind's id prop, and any prop the target sets (nested paths too).
 */
function missingField(target: DesiredResource, field: string): string | undefined {
  // Fields come from the template grammar, so a one-segment path is written as the bare name.
  if (field === 'name' || field === target.kind.idProp) return undefined;
  const segments = parsePath(field);
  if (!segments) return `invalid field "${field}" in a reference to "${target.address}"`;
  let cur: unknown = target.props;
  for (let i = 0; i < segments.length; i++) {
    // Past a value that is itself a reference, the shape is only known after apply.
    if (typeof cur === 'string' && cur.includes('{{')) return undefined;
    const seg = segments[i];
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, seg)) {
      const candidates = cur !== null && typeof cur === 'object' ? Object.keys(cur) : [];
      if (i === 0) candidates.push('name', target.kind.idProp);
      const hint = typeof seg === 'string' ? didYouMean(seg, candidates) : '';
      return `resource "${target.address}" has no field "${field}"${hint}`;
    }
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return undefined;
}
