import { identityProps } from './names.js';
import { ownershipLabels, type Owner } from './labels.js';
import type { KindDef } from './types.js';

/**
 * The API request body for a resource: its props minus the identity props (parent ids, own
 * id) and the kind's virtual props, with ownership labels merged in where the kind has labels.
 */
export function bodyFromProps(
  kind: KindDef,
  props: Record<string, unknown>,
  owner?: Owner & { address: string },
): Record<string, unknown> {
  const skip = notInBody(kind);
  const body: Record<string, unknown> = {};
  for (const k of Object.keys(props)) {
    if (skip.has(k)) continue;
    // Defined, not assigned: a `__proto__` key stays data.
    if (k === '__proto__') Object.defineProperty(body, k, { value: props[k], enumerable: true, writable: true, configurable: true });
    else body[k] = props[k];
  }
  if (owner && kind.labelsPath) {
    const segs = kind.labelsPath.split('.');
    let cur = body;
    for (const seg of segs.slice(0, -1)) {
      const next = cur[seg];
      cur[seg] = next && typeof next === 'object' ? { ...(next as object) } : {};
      cur = cur[seg] as Record<string, unknown>;
    }
    const last = segs[segs.length - 1];
    cur[last] = { ...((cur[last] as Record<string, string>) ?? {}), ...ownershipLabels(owner, owner.address) };
  }
  return body;
}

const skipped = new WeakMap<KindDef, Set<string>>();

/** The props a kind's body leaves out (identity and virtual props), worked out once per kind. */
function notInBody(kind: KindDef): Set<string> {
  let skip = skipped.get(kind);
  if (!skip) skipped.set(kind, (skip = new Set([...identityProps(kind), ...kind.virtualProps])));
  return skip;
}
