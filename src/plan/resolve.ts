import { parsePath, valueAt } from '../core/paths.js';
import { idOf, parentName, resourceName } from '../kinds/names.js';
import type { KindDef } from '../kinds/types.js';
import { hasReferences, resolveReferences } from '../manifest/references.js';
import type { StateEntry } from '../state/types.js';

/**
 * The one resolver of `{{ address.field }}` (nested fields too: `{{ trainer.jobSpec.tensorboard }}`),
 * used by refresh (as things are now), the planner (as they will be after apply) and the
 * applier (from state, as each step finishes). They differ only in what they know about the
 * target; how a field is answered from that is decided here, once.
 */

/** Answers `{{ address.field }}`, or undefined while the value is not known. */
export type Lookup = (address: string, field: string) => unknown | undefined;

/** A reference the lookup could not answer. */
export interface UnresolvedReference {
  address: string;
  field: string;
}

/** What is known about a referenced resource at one moment. */
export interface ReferenceTarget {
  kind: KindDef;
  /** Full resource name, when known. */
  name?: string;
  /** Props as written (resolved as far as known): the values the resource has after apply. */
  props?: Record<string, unknown>;
  /**
   * What the API says about the resource (its live body, or the outputs state recorded from it):
   * absent while it does not exist, or will be replaced. Answers fields the props do not set.
   */
  body?: Record<string, unknown>;
}

/** The value of one field of a target: `name`, its id prop, a prop (nested paths too), else the live body. */
export function referenceValue(target: ReferenceTarget | undefined, field: string): unknown {
  if (!target) return undefined;
  const { kind } = target;
  if (field === 'name') return target.name;
  if (field === kind.idProp) return target.name ? idOf(target.name) : clientId(kind, target.props ?? {});
  return knownValue(fieldOf(target.props, field)) ?? knownValue(fieldOf(target.body, field));
}

/** A recorded resource as a reference target: its last-applied props and the outputs read from the API. */
export function targetOfEntry(kind: KindDef, entry: StateEntry | undefined): ReferenceTarget | undefined {
  if (!entry) return undefined;
  return { kind, name: entry.name || undefined, props: entry.props, body: entry.outputs };
}

/** Props with every reference the lookup can answer substituted, and the references it could not. */
export function resolveProps(props: Record<string, unknown>, lookup: Lookup): { props: Record<string, unknown>; unresolved: UnresolvedReference[] } {
  const { value, unknown } = resolveReferences(props, lookup);
  return { props: value as Record<string, unknown>, unresolved: unknown };
}

/** A string value that holds no unresolved reference. */
function knownString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' && (!value.includes('{{') || !hasReferences(value)) ? value : undefined;
}

/** A value with no unresolved reference in it (undefined stays undefined). */
function knownValue(value: unknown): unknown {
  return value === undefined || hasReferences(value) ? undefined : value;
}

/** A (possibly nested) field of a value: `jobSpec.baseOutputDirectory.outputUriPrefix`, `args[0]`. */
function fieldOf(value: unknown, field: string): unknown {
  const segs = parsePath(field);
  return segs && value !== undefined ? valueAt(value, segs) : undefined;
}

/** The parent name of a resource, when every parent prop is known. */
export function knownParent(kind: KindDef, props: Record<string, unknown>): string | undefined {
  return kind.parentProps.every((p) => knownString(props[p]) !== undefined) ? parentName(kind, props) : undefined;
}

/** The full name of a resource with a client-chosen id, when the parent and the id are known. */
export function knownName(kind: KindDef, props: Record<string, unknown>, id: string | undefined): string | undefined {
  return id !== undefined && knownParent(kind, props) !== undefined ? resourceName(kind, props, id) : undefined;
}

/** The id of a resource: its id prop for client-chosen ids; server-chosen ids come from the API. */
export function clientId(kind: KindDef, props: Record<string, unknown>): string | undefined {
  return kind.idChosenBy === 'client' ? knownString(props[kind.idProp]) : undefined;
}
