import { idOf, parseResourceName } from '../kinds/names.js';
import type { KindDef } from '../kinds/types.js';
import { recordedProps } from '../kinds/virtual-props.js';
import { setOwn } from '../core/records.js';
import type { StateEntry } from './types.js';

/** The state entry of an address as apply leaves it: what other resources may reference, and the options deletes go by. */

/** The per-resource options of the manifest that state keeps (the plan's DesiredRecord has them). */
export interface ResourceOptions {
  protected: boolean;
  deletionPolicy: 'delete' | 'abandon';
  dependsOn: string[];
  ignoreChanges: string[];
  /** Props marked `sensitive: true`: kept so every output masks their values, even after the manifest entry is gone. */
  sensitive?: string[];
}

/** A live resource as the API returns it. */
type LiveBody = Record<string, unknown>;

/**
 * What other resources may reference: the live resource's fields, overridden by the props as
 * the user wrote them (resolved), plus the identity props parsed from the full name (including
 * a server-chosen id) and `name` itself. Virtual props (metric points) are not outputs.
 */
export function outputsOf(kind: KindDef, props: Record<string, unknown>, live: LiveBody): Record<string, unknown> {
  const name = String(live.name);
  // Built key by key on a new object: spreading objects whose keys overlap, or adding keys to a
  // spread copy, is ten times slower (a create of 10,000 runs).
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(live)) setOwn(out, k, live[k]);
  for (const k of Object.keys(props)) if (!kind.virtualProps.includes(k)) setOwn(out, k, props[k]);
  const identity = parseResourceName(kind, name);
  if (identity) for (const k of Object.keys(identity)) setOwn(out, k, identity[k]);
  out.name = name;
  return out;
}

/** The finished state entry of an address after a create, update, replace or adoption. */
export function appliedEntry(kind: KindDef, props: Record<string, unknown>, live: LiveBody, options?: ResourceOptions): StateEntry {
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
  // A new entry has no options yet: they are added, not replaced (withOptions).
  return options ? Object.assign(entry, recordedOptions(options)) : entry;
}

/**
 * The entry after a refresh-only record: the props with the live values accepted (as the plan
 * recorded them) and the outputs read again from the live resource; options stay as they are.
 */
export function refreshedEntry(kind: KindDef, entry: StateEntry, props: Record<string, unknown>, live: LiveBody): StateEntry {
  const out: StateEntry = { ...entry, props: structuredClone(props), outputs: outputsOf(kind, props, live) };
  if (typeof live.etag === 'string') out.etag = live.etag;
  return out;
}

/** The entry with the manifest's protected / deletionPolicy / dependsOn / ignoreChanges. */
export function withOptions(entry: StateEntry, options: ResourceOptions | undefined): StateEntry {
  if (!options) return entry;
  const out = { ...entry };
  delete out.dependsOn;
  delete out.deletionPolicy;
  delete out.protected;
  delete out.ignoreChanges;
  delete out.sensitive;
  return { ...out, ...recordedOptions(options) };
}

type Recorded = Pick<StateEntry, 'dependsOn' | 'deletionPolicy' | 'protected' | 'ignoreChanges' | 'sensitive'>;

/** The options as state keeps them (defaults left out), since deletes are decided from state once the manifest entry is gone. */
function recordedOptions(options: ResourceOptions): Recorded {
  // Set one by one, not spread from a conditional object each: every entry a create makes has them.
  const out: Recorded = {};
  if (options.dependsOn.length) out.dependsOn = [...options.dependsOn];
  if (options.deletionPolicy !== 'delete') out.deletionPolicy = options.deletionPolicy;
  if (options.protected) out.protected = true;
  if (options.ignoreChanges.length) out.ignoreChanges = [...options.ignoreChanges];
  if (options.sensitive?.length) out.sensitive = [...options.sensitive];
  return out;
}

const OPTION_PATHS = ['protected', 'deletionPolicy', 'dependsOn', 'ignoreChanges', 'sensitive'] as const;
const OPTION_DEFAULTS: Readonly<Required<Recorded>> = Object.freeze({ dependsOn: [], deletionPolicy: 'delete', protected: false, ignoreChanges: [], sensitive: [] });

/** The options that differ between the manifest and what the entry records, as before/after (defaults spelled out). */
export function optionChanges(entry: StateEntry, options: ResourceOptions): { path: keyof Recorded; before: unknown; after: unknown }[] {
  // The manifest's values as they are (asked for every resource of every plan: no copies to compare).
  const want: Required<Recorded> = {
    protected: !!options.protected,
    deletionPolicy: options.deletionPolicy,
    dependsOn: options.dependsOn,
    ignoreChanges: options.ignoreChanges,
    sensitive: options.sensitive ?? OPTION_DEFAULTS.sensitive,
  };
  const out: { path: keyof Recorded; before: unknown; after: unknown }[] = [];
  for (const path of OPTION_PATHS) {
    const before = entry[path] ?? OPTION_DEFAULTS[path];
    const after = want[path];
    if (!sameOption(before, after)) out.push({ path, before, after });
  }
  return out;
}

/** Each option is a scalar or a list of strings. */
function sameOption(a: unknown, b: unknown): boolean {
  return a === b || (Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => x === b[i]));
}
