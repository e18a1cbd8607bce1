import type { KindDef } from '../kinds/types.js';
import { OWNERSHIP_LABEL_KEYS, getPath, labelsOf } from '../kinds/labels.js';
import { formatPath, parsePath, type PathSegment } from '../core/paths.js';
import { hasReferences } from '../manifest/references.js';
import { SENSITIVE_MASK } from '../manifest/sensitive.js';
import { fieldInfo, type FieldInfo } from '../schema/registry.js';
import { canonicalJson, isResourceNameField, isZeroValue, normalizeScalar, sameResourceName } from './normalize.js';
import type { FieldChange } from './types.js';

/**
 * Three-way diff of one resource: what the manifest sets (desired), what vertexctl last applied
 * (prior, from state) and what is there (base: the live body, or the prior itself for kinds whose
 * live body is not compared). Only fields the user set are compared; a field in prior but no
 * longer in desired is cleared; Output-only fields never count.
 */

type InfoAt = (path: readonly PathSegment[]) => FieldInfo | undefined;

export interface BodyDiffInput {
  kind: KindDef;
  /** Desired body: props without identity and virtual props; may hold unresolved references. */
  desired: Record<string, unknown>;
  /** Last-applied body, when state has one. */
  prior?: Record<string, unknown>;
  /** What desired is compared with. */
  base: Record<string, unknown>;
  ignoreChanges: readonly string[];
  /** Top-level props whose values are never shown. */
  sensitive: readonly string[];
}

/** Label keys Google reserves (`aiplatform.googleapis.com/...`): set by the system, never ours to clear. */
const SYSTEM_LABEL_KEY = /^[a-z0-9.-]*googleapis\.com\//;

function kindCtx(kind: KindDef, ignoreChanges: readonly string[]): Ctx {
  const ignored = ignoreChanges.map((p) => (parsePath(p) ?? [p]).map(String));
  const labelsPath = kind.labelsPath?.split('.');
  return {
    infoAt: (path) => fieldInfo(kind.type, path.map(String)),
    ignored: (path) => ignored.some((ig) => ig.length <= path.length && ig.every((s, i) => s === String(path[i]))),
    ownKeys: (path) => !!labelsPath && labelsPath.length === path.length && labelsPath.every((s, i) => s === path[i]),
    serverDefault: (path) => kind.serverDefaults?.[formatPath(path)],
  };
}

// Most resources ignore nothing: their kind's context is built once.
const plainCtx = new WeakMap<KindDef, Ctx>();

export function diffBody(input: BodyDiffInput): FieldChange[] {
  let ctx = input.ignoreChanges.length ? undefined : plainCtx.get(input.kind);
  if (!ctx) {
    ctx = kindCtx(input.kind, input.ignoreChanges);
    if (!input.ignoreChanges.length) plainCtx.set(input.kind, ctx);
  }
  const changes: FieldChange[] = [];
  for (const [key, value] of Object.entries(input.desired)) {
    changes.push(...diffNode(ctx, [key], value, own(input.prior, key), own(input.base, key)));
  }
  for (const key of Object.keys(input.prior ?? {})) {
    if (!Object.hasOwn(input.desired, key)) changes.push(...cleared(ctx, [key], own(input.base, key)));
  }
  if (!changes.length || !input.sensitive.length) return changes;
  const sensitive = new Set(input.sensitive);
  return changes.map((c) => (sensitive.has(c.path.split(/[.[]/)[0]) ? mask(c) : c));
}

interface Ctx {
  infoAt: InfoAt;
  ignored(path: readonly PathSegment[]): boolean;
  /** Whether the map at this path holds our ownership labels (never compared). */
  ownKeys(path: readonly PathSegment[]): boolean;
  serverDefault(path: readonly PathSegment[]): unknown;
}

function change(path: readonly PathSegment[], before: unknown, after: unknown): FieldChange {
  return { path: formatPath(path), ...(before !== undefined && { before }), ...(after !== undefined && { after }) };
}

function diffNode(ctx: Ctx, path: PathSegment[], desired: unknown, prior: unknown, base: unknown): FieldChange[] {
  if (ctx.ignored(path)) return [];
  const info = ctx.infoAt(path);
  if (info?.readOnly) return [];
  if (typeof desired === 'string' && hasReferences(desired)) {
    return [{ ...change(path, base, undefined), unknown: true }];
  }
  if (desired === undefined || desired === null) return cleared(ctx, path, base);

  const shape = info?.shape ?? (Array.isArray(desired) ? 'array' : isObject(desired) ? 'message' : 'scalar');
  if (shape === 'message' && isObject(desired)) {
    const b = isObject(base) ? base : {};
    const p = isObject(prior) ? prior : {};
    const out: FieldChange[] = [];
    for (const [k, v] of Object.entries(desired)) out.push(...diffNode(ctx, [...path, k], v, own(p, k), own(b, k)));
    for (const k of Object.keys(p)) if (!Object.hasOwn(desired, k)) out.push(...cleared(ctx, [...path, k], own(b, k)));
    return out;
  }
  if (shape === 'map' && isObject(desired)) {
    // A map the user sets is theirs as a whole (apply writes it whole): keys only the live side
    // has are removed, except ours and the system's.
    const b = isObject(base) ? base : {};
    const p = isObject(prior) ? prior : {};
    const out: FieldChange[] = [];
    for (const [k, v] of Object.entries(desired)) out.push(...diffNode(ctx, [...path, k], v, own(p, k), own(b, k)));
    for (const [k, v] of Object.entries(b)) {
      if (!Object.hasOwn(desired, k) && !skippedKey(ctx, path, k) && !ctx.ignored([...path, k])) out.push(change([...path, k], v, undefined));
    }
    return out;
  }
  if (shape === 'array' && Array.isArray(desired)) {
    if (base === undefined && desired.length === 0) return [];
    if (Array.isArray(base) && base.length === desired.length) {
      const p = Array.isArray(prior) ? prior : [];
      return desired.flatMap((v, i) => diffNode(ctx, [...path, i], v, p[i], base[i]));
    }
    return hasReferences(desired) ? [{ ...change(path, base, undefined), unknown: true }] : [change(path, base, desired)];
  }
  return sameScalar(desired, base, info) ? [] : [change(path, base, desired)];
}

function sameScalar(desired: unknown, base: unknown, info: FieldInfo | undefined): boolean {
  if (base === undefined || base === null) return isZeroValue(desired, info);
  if (info?.shape === 'any' || info === undefined) return canonicalJson(desired) === canonicalJson(base);
  const d = normalizeScalar(desired, info);
  const b = normalizeScalar(base, info);
  if (d === b) return true;
  if (typeof d === 'string' && typeof b === 'string' && isResourceNameField(info, b)) return sameResourceName(d, b);
  return canonicalJson(d) === canonicalJson(b);
}

/** A field the user no longer sets: a change only if something other than the zero value or the server's default is there. */
function cleared(ctx: Ctx, path: PathSegment[], base: unknown): FieldChange[] {
  if (ctx.ignored(path)) return [];
  const info = ctx.infoAt(path);
  if (info?.readOnly || base === undefined || isZeroValue(base, info)) return [];
  const fallback = ctx.serverDefault(path);
  if (fallback !== undefined && sameScalar(fallback, base, info)) return [];
  if (info?.shape === 'map' && isObject(base)) {
    return Object.entries(base)
      .filter(([k]) => !skippedKey(ctx, path, k) && !ctx.ignored([...path, k]))
      .map(([k, v]) => change([...path, k], v, undefined));
  }
  return [change(path, base, undefined)];
}

/**
 * The live labels a patch of the labels map must carry over, being keys the diff leaves alone:
 * the system's, ignored ones, and all of them when the manifest neither sets labels nor did
 * when last applied (the patch then only adds our ownership labels, which the caller writes).
 */
export function untouchedLabels(
  kind: KindDef,
  live: Record<string, unknown>,
  desired: { body: Record<string, unknown>; prior?: Record<string, unknown>; ignoreChanges: readonly string[] },
): Record<string, string> {
  if (!kind.labelsPath) return {};
  const labels = Object.entries(labelsOf(kind, live) ?? {}).filter(([k]) => !OWNERSHIP_LABEL_KEYS.includes(k));
  if (getPath(desired.body, kind.labelsPath) === undefined && getPath(desired.prior, kind.labelsPath) === undefined) return Object.fromEntries(labels);
  const ctx = kindCtx(kind, desired.ignoreChanges);
  const path = kind.labelsPath.split('.');
  return Object.fromEntries(labels.filter(([k]) => skippedKey(ctx, path, k) || ctx.ignored([...path, k])));
}

function skippedKey(ctx: Ctx, path: PathSegment[], key: string): boolean {
  return (ctx.ownKeys(path) && OWNERSHIP_LABEL_KEYS.includes(key)) || SYSTEM_LABEL_KEY.test(key);
}

/** A change of a sensitive field: that it changed shows, never the values. */
export function mask(c: FieldChange): FieldChange {
  const { before, after, ...rest } = c;
  return {
    ...rest,
    ...(before !== undefined && { before: SENSITIVE_MASK }),
    ...(after !== undefined && { after: SENSITIVE_MASK }),
    sensitive: true,
  };
}

/** A key's value as data: map keys are user text, and `constructor` is a valid label key. */
function own(obj: Record<string, unknown> | undefined, key: string): unknown {
  return obj !== undefined && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export interface Classified {
  action: 'no-op' | 'update' | 'replace';
  updateMask: string[];
  reason?: string;
  reasonCode?: 'immutable_field' | 'field_not_updatable' | 'kind_has_no_update';
  fields: FieldChange[];
}

/**
 * What the changes of an existing resource call for: nothing, a patch of the changed top-level
 * fields (within the kind's updatable fields), or a replace naming why.
 */
export function classifyChanges(kind: KindDef, changes: FieldChange[]): Classified {
  if (changes.length === 0) return { action: 'no-op', updateMask: [], fields: [] };
  if (kind.patch === 'none') {
    const paths = unique(changes.map((c) => c.path));
    return {
      action: 'replace',
      updateMask: [],
      reason: `${kind.type} cannot be updated in place; changed: ${paths.join(', ')}`,
      reasonCode: 'kind_has_no_update',
      fields: changes.map((c) => ({ ...c, forcesReplace: true })),
    };
  }
  const immutable: string[] = [];
  const fixed: string[] = [];
  const mask: string[] = [];
  const fields = changes.map((c) => {
    const segs = parsePath(c.path) ?? [c.path];
    const top = String(segs[0]);
    if (kind.immutable.includes(top) || fieldInfo(kind.type, segs.map(String))?.immutable) {
      immutable.push(c.path);
      return { ...c, forcesReplace: true };
    }
    if (!kind.updatable.includes(top)) {
      fixed.push(c.path);
      return { ...c, forcesReplace: true };
    }
    mask.push(top);
    return c;
  });
  if (immutable.length || fixed.length) {
    const reasons = [];
    if (immutable.length) reasons.push(`${listOf(immutable)} ${immutable.length > 1 ? 'are' : 'is'} immutable`);
    if (fixed.length) reasons.push(`${listOf(fixed)} cannot be updated in place`);
    return { action: 'replace', updateMask: [], reason: reasons.join('; '), reasonCode: immutable.length ? 'immutable_field' : 'field_not_updatable', fields };
  }
  return { action: 'update', updateMask: unique(mask), fields };
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

function listOf(paths: string[]): string {
  return unique(paths).join(', ');
}
