import { idOf, parseResourceName } from '../kinds/names.js';
import type { KindDef } from '../kinds/types.js';
import type { DesiredRecord } from '../plan/types.js';
import type { StateEntry } from '../state/types.js';
import type { Live } from './operations.js';

/**
 * What other resources may reference: the live resource's fields, overridden by the props as
 * the user wrote them (resolved), plus the identity props parsed from the full name (including
 * a server-chosen id) and `name` itself. Virtual props (metric points) are not outputs.
 */
export function outputsOf(kind: KindDef, props: Record<string, unknown>, live: Live): Record<string, unknown> {
  const name = String(live.name);
  const written: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props)) if (!kind.virtualProps.includes(k)) written[k] = v;
  return { ...live, ...written, ...parseResourceName(kind, name), name };
}

/** The finished state entry of an address after a create, update, replace or adoption. */
export function appliedEntry(kind: KindDef, props: Record<string, unknown>, live: Live, desired?: DesiredRecord): StateEntry {
  const name = String(live.name);
  const entry: StateEntry = {
    type: kind.type,
    name,
    id: idOf(name),
    props,
    outputs: outputsOf(kind, props, live),
  };
  if (typeof live.etag === 'string') entry.etag = live.etag;
  if (desired) {
    if (desired.dependsOn.length) entry.dependsOn = [...desired.dependsOn];
    if (desired.deletionPolicy !== 'delete') entry.deletionPolicy = desired.deletionPolicy;
    if (desired.protected) entry.protected = true;
  }
  return entry;
}
