import type { KindDef } from './types.js';

/**
 * Resource names. A kind's parent is `projects/{projectsId}/locations/{locationsId}/...`, built
 * from its parentProps; its full name appends `{collection}/{id}`.
 */
export function parentName(kind: KindDef, props: Record<string, unknown>): string {
  // Joined at once: a string grown piece by piece is a chain of pieces, copied again when first hashed.
  const parts: string[] = [];
  for (let i = 0; i < kind.parentProps.length; i++) parts.push(kind.parentCollections[i], String(props[kind.parentProps[i]]));
  return parts.join('/');
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

/**
 * The parent of a full resource name as the kind spells it (undefined when the name is not of
 * the kind): each `collection/id` pair is checked in place, without splitting the name (refresh
 * and the planner ask this for every resource of a plan).
 */
export function parentOfName(kind: KindDef, name: string): string | undefined {
  const parents = kind.parentCollections;
  let at = 0; // where the next `collection/id` pair starts
  for (let i = 0; i <= parents.length; i++) {
    const collection = i < parents.length ? parents[i] : kind.collection;
    const id = at + collection.length + 1;
    if (!name.startsWith(collection, at) || name[id - 1] !== '/') return undefined;
    const end = name.indexOf('/', id);
    // The kind's own pair: a non-empty id that ends the name.
    if (i === parents.length) return end === -1 && id < name.length ? name.slice(0, Math.max(0, at - 1)) : undefined;
    if (end === -1 || end === id) return undefined;
    at = end + 1;
  }
  return undefined;
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

// ---- project ids and numbers ----
//
// Google names Vertex AI resources with the project's number (`projects/123456789012/…`) even
// when asked with the project id. Manifests, state, plans and labels use what the user wrote, so
// answers are read in the asker's spelling: a name under the number of the project the request
// named is rewritten to that project's spelling, and the pair is remembered, making id and number
// one project for every later comparison (sameProject, sameResourceName).

const numberOfProject = new Map<string, string>();

const isProjectNumber = (p: string) => /^\d+$/.test(p);

/** Records that a project id and a project number are the same project. */
export function rememberProjectNumber(projectId: string, projectNumber: string): void {
  if (isProjectNumber(projectId) || !isProjectNumber(projectNumber)) return;
  numberOfProject.set(projectId, projectNumber);
}

/**
 * Whether two project segments (id or number) name the same project, as far as we know: equal,
 * or an id and the number learned for it; an id and a number with nothing learned about either
 * are taken to be the same (Google answers only with the number of the project asked about).
 */
export function sameProject(a: string, b: string): boolean {
  if (a === b) return true;
  const [id, number] = isProjectNumber(a) ? [b, a] : [a, b];
  if (isProjectNumber(id) || !isProjectNumber(number)) return false;
  const known = numberOfProject.get(id);
  if (known !== undefined) return known === number;
  return ![...numberOfProject.values()].includes(number);
}

/** The project segment of `projects/{p}/…`, or undefined. */
export function projectOf(name: string): string | undefined {
  // A full resource name, as answers spell them: no pattern needed.
  if (name.startsWith('projects/')) {
    const end = name.indexOf('/', 9);
    if (end > 9) return name.slice(9, end);
  }
  const m = /^projects\/([^/]+)/.exec(name.replace(/^\/*(?:v1\/)?/, ''));
  return m?.[1];
}

/** Whether two resource names are the same resource, the project spelled as id or as number. */
export function sameResourceName(a: string, b: string): boolean {
  if (a === b) return true;
  const pa = projectOf(a);
  const pb = projectOf(b);
  if (pa === undefined || pb === undefined || !sameProject(pa, pb)) return false;
  return a.slice(9 + pa.length) === b.slice(9 + pb.length);
}

/**
 * An API answer with each `name` (at any depth) that starts `projects/{number}/` spelled with the
 * project the request path named, when that is an id; learns id ≡ number on the way. Error
 * messages (`message`) that name resources of that project are spelled alike.
 */
export function inAskedProjectSpelling<T>(requestPath: string, answer: T): T {
  const asked = projectOf(requestPath);
  if (asked === undefined || isProjectNumber(asked)) return answer;
  const rewrite = (value: unknown, depth: number): void => {
    if (depth > 32 || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const v of value) rewrite(v, depth + 1);
      return;
    }
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      const v = obj[key];
      if (key === 'name' && typeof v === 'string') {
        const p = projectOf(v);
        if (p !== undefined && p !== asked && isProjectNumber(p) && (numberOfProject.get(asked) ?? p) === p) {
          rememberProjectNumber(asked, p);
          obj[key] = `projects/${asked}${v.slice(9 + p.length)}`;
        }
      } else if (key === 'message' && typeof v === 'string') {
        obj[key] = v.replace(/projects\/(\d+)\//g, (whole, p: string) => ((numberOfProject.get(asked) ?? p) === p ? `projects/${asked}/` : whole));
      } else rewrite(v, depth + 1);
    }
  };
  rewrite(answer, 0);
  return answer;
}

/** One spelling per resource, for sets and maps of names: the project as its number where known. */
export function projectKeyOf(name: string): string {
  const p = projectOf(name);
  const n = p === undefined ? undefined : numberOfProject.get(p);
  return n === undefined ? name : `projects/${n}${name.slice(9 + p!.length)}`;
}
