import type { KindDef } from '../kinds/types.js';
import { parentName, resourceName } from '../kinds/names.js';
import { hasReferences, resolveReferences } from '../manifest/references.js';
import { parsePath, valueAt } from '../core/paths.js';

/** Answers `{{ address.field }}`, or undefined while the value is not known. */
export type Lookup = (address: string, field: string) => unknown | undefined;

/** Props with every reference the lookup can answer substituted; unanswered ones keep their text. */
export function resolveProps(props: Record<string, unknown>, lookup: Lookup): Record<string, unknown> {
  return resolveReferences(props, lookup).value as Record<string, unknown>;
}

/** A string value that holds no unresolved reference. */
export function knownString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' && !hasReferences(value) ? value : undefined;
}

/** A value with no unresolved reference in it (undefined stays undefined). */
export function knownValue(value: unknown): unknown {
  return value === undefined || hasReferences(value) ? undefined : value;
}

/** A (possibly dotted) field of a value: `jobSpec.baseOutputDirectory.outputUriPrefix`. */
export function fieldOf(value: unknown, field: string): unknown {
  const segs = parsePath(field);
  return segs ? valueAt(value, segs) : undefined;
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
