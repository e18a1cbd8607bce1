import { idOf, parseResourceName } from '../kinds/names.js';
import type { KindDef } from '../kinds/types.js';
import { recordedProps } from '../kinds/virtual-props.js';
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
    // Virtual data is kept as its digest (metric points: count, last step, hash).
    props: recordedProps(kind, props),
    outputs: outputsOf(kind, props, live),
  };
  if (typeof live.etag === 'string') entry.etag = live.etag;
  return withOptions(entry, desired);
}

/** The entry with the manifest's protected / deletionPolicy / dependsOn. */
export function withOptions(entry: StateEntry, desired: DesiredRecord | undefined): StateEntry {
  if (!desired) return entry;
  const out = { ...entry };
  delete out.dependsOn;
  delete out.deletionPolicy;
  delete out.protected;
  return { ...out, ...recordedOptions(desired) };
}

/** The per-resource options state keeps, since deletes are decided from state once the manifest entry is gone. */
function recordedOptions(desired: DesiredRecord): Pick<StateEntry, 'dependsOn' | 'deletionPolicy' | 'protected'> {
  return {
    ...(desired.dependsOn.length && { dependsOn: [...desired.dependsOn] }),
    ...(desired.deletionPolicy !== 'delete' && { deletionPolicy: desired.deletionPolicy }),
    ...(desired.protected && { protected: true }),
  };
}

/** Whether the manifest's protected / deletionPolicy / dependsOn differ from what the entry records. */
export function optionsChanged(entry: StateEntry, desired: DesiredRecord | undefined): boolean {
  if (!desired) return false;
  const want = recordedOptions(desired);
  return (
    (want.dependsOn ?? []).join('\n') !== (entry.dependsOn ?? []).join('\n') ||
    want.deletionPolicy !== entry.deletionPolicy ||
    want.protected !== entry.protected
  );
}
