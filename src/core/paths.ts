/**
 * Prop paths as users read them: `jobSpec.workerPoolSpecs[0].machineSpec`. Keys that are not
 * plain identifiers (label keys like `aiplatform.googleapis.com/x`) are written `["…"]`.
 */
export type PathSegment = string | number;

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENT.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Appends one segment to a formatted path. */
export function childPath(parent: string, seg: PathSegment): string {
  if (typeof seg === 'number') return `${parent}[${seg}]`;
  if (IDENT.test(seg)) return parent === '' ? seg : `${parent}.${seg}`;
  return `${parent}[${JSON.stringify(seg)}]`;
}

/** A path below another: joinPath('jobSpec', 'scheduling.timeout'), joinPath('args', '[0]'). */
export function joinPath(parent: string, relative: string): string {
  return relative === '' ? parent : parent === '' || relative.startsWith('[') ? `${parent}${relative}` : `${parent}.${relative}`;
}

/** The inverse of formatPath, for paths the user writes (ignoreChanges, reference fields). */
export function parsePath(path: string): PathSegment[] | undefined {
  const segs: PathSegment[] = [];
  const re = /\.?([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;
  let i = 0;
  while (i < path.length) {
    re.lastIndex = i;
    const m = re.exec(path);
    if (!m || (m[1] !== undefined && m[0].startsWith('.') === (i === 0))) return undefined;
    if (m[1] !== undefined) segs.push(m[1]);
    else if (m[2] !== undefined) segs.push(Number(m[2]));
    else segs.push(JSON.parse(m[3]) as string);
    i = re.lastIndex;
  }
  return segs.length ? segs : undefined;
}

/** The value at a path, or undefined. */
export function valueAt(root: unknown, segments: readonly PathSegment[]): unknown {
  let cur = root;
  for (const seg of segments) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/** A key as a JSON pointer segment (`a/b` → `a~1b`). */
export function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
