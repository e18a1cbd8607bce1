import type { KindDef } from './types.js';

/**
 * Resource names. A kind's parent is `projects/{projectsId}/locations/{locationsId}/...`, built
 * from its parentProps; its full name appends `{collection}/{id}`.
 */
export function parentName(kind: KindDef, props: Record<string, unknown>): string {
  return kind.parentProps
    .map((p, i) => `${kind.parentCollections[i]}/${String(props[p])}`)
    .join('/');
}

export function resourceName(kind: KindDef, props: Record<string, unknown>, id: string): string {
  return `${parentName(kind, props)}/${kind.collection}/${id}`;
}

/** The last segment of a full resource name. */
export function idOf(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

/** Splits a full resource name into the kind's parent props and own id prop, or null if it does not match. */
export function parseResourceName(kind: KindDef, name: string): Record<string, string> | null {
  const parts = name.split('/');
  const expected = kind.parentCollections.length * 2 + 2;
  if (parts.length !== expected) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < kind.parentCollections.length; i++) {
    if (parts[i * 2] !== kind.parentCollections[i] || !parts[i * 2 + 1]) return null;
    out[kind.parentProps[i]] = parts[i * 2 + 1];
  }
  if (parts[expected - 2] !== kind.collection || !parts[expected - 1]) return null;
  out[kind.idProp] = parts[expected - 1];
  return out;
}

/** The location a resource lives in (selects the regional endpoint). */
export function locationOf(name: string): string | undefined {
  const m = /(?:^|\/)locations\/([^/]+)/.exec(name);
  return m?.[1];
}

/** Props that address the resource rather than describe it (parent ids and own id). */
export function identityProps(kind: KindDef): string[] {
  return [...kind.parentProps, kind.idProp];
}
