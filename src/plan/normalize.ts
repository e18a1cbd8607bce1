import type { FieldInfo } from '../schema/registry.js';
import { sameResourceName as sameFullName } from '../kinds/names.js';
import { canonicalDuration, canonicalTimestamp } from '../schema/formats.js';

/**
 * Canonical forms for comparing a value the user wrote with the value Google returns. Google's
 * JSON mapping writes int64 as strings, durations as `"3600s"` (or `"3600.000s"`), timestamps
 * with any offset and up to nanosecond precision, bytes in either base64 alphabet, and omits
 * fields holding their zero value.
 */

const INTEGER_FORMATS = new Set(['int64', 'uint64', 'int32', 'uint32', 'fixed64', 'fixed32', 'sfixed64', 'sfixed32']);
const FLOAT_FORMATS = new Set(['double', 'float']);

function canonicalInteger(value: unknown): unknown {
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value).toString();
  if (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)) return BigInt(value.trim()).toString();
  return value;
}

function canonicalFloat(value: unknown): unknown {
  // Google writes NaN and the infinities as strings; everything else as a JSON number.
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  return value;
}

function canonicalBytes(value: string): string {
  return value.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
}

/** The canonical form of a scalar, by its schema format. */
export function normalizeScalar(value: unknown, info: FieldInfo | undefined): unknown {
  const format = info?.format;
  if (format && INTEGER_FORMATS.has(format)) return canonicalInteger(value);
  if (format && FLOAT_FORMATS.has(format)) return canonicalFloat(value);
  if (typeof value === 'number' && format === 'google-duration') return `${value}s`;
  if (typeof value !== 'string') return value;
  if (format === 'google-duration') return canonicalDuration(value);
  if (format === 'google-datetime') return canonicalTimestamp(value);
  if (format === 'byte') return canonicalBytes(value);
  return value;
}

/**
 * Whether a value is what proto3 JSON leaves out: false, 0, "", an empty list or object. A field
 * the user set to its zero value comes back absent, which is no change.
 */
export function isZeroValue(value: unknown, info?: FieldInfo): boolean {
  if (value === undefined || value === null || value === false || value === '' || value === 0) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.values(value as object).every((v) => v === undefined);
  if (typeof value === 'string' && info?.format) {
    const canonical = normalizeScalar(value, info);
    return canonical === '0' || canonical === 0 || canonical === '0s';
  }
  return false;
}

const RESOURCE_NAME = /^projects\/[^/]+\/locations\/[^/]+(\/[^/]+\/[^/]+)+$/;

/**
 * Whether a field holds a resource name: its schema description documents the
 * `projects/{...}` format, or the API's own value is a full resource name (schema descriptions
 * may be shortened to their first sentence, which drops the format).
 */
export function isResourceNameField(info: FieldInfo | undefined, apiValue: unknown): boolean {
  if (info?.description && /`projects\/\{[^}]+\}\//.test(info.description)) return true;
  return typeof apiValue === 'string' && RESOURCE_NAME.test(apiValue);
}

const FULL_NAME = /^projects\/([^/]+)\/(.+)$/;

/**
 * Whether two values of a resource-name field name the same resource: equal; or the same but for
 * the project segment spelled as id on one side and number on the other (src/kinds/names.ts); or
 * one side is the bare id that ends the other's full name.
 */
export function sameResourceName(a: string, b: string): boolean {
  if (a === b) return true;
  const ma = FULL_NAME.exec(a);
  const mb = FULL_NAME.exec(b);
  if (ma && mb) return sameFullName(a, b);
  const [full, short] = ma ? [a, b] : mb ? [b, a] : [undefined, undefined];
  return full !== undefined && short !== undefined && !short.includes('/') && full.slice(full.lastIndexOf('/') + 1) === short;
}

/**
 * JSON with object keys sorted, for hashing and order-insensitive equality: the text
 * `JSON.stringify` gives a copy with sorted keys, written in one pass without the copy (a plan
 * hashes every live resource). Own keys only, so a `__proto__` key is kept as data. As in any
 * object JavaScript builds, integer keys ("2", "10") come first, in numeric order.
 */
export function canonicalJson(value: unknown): string {
  return canonical(value) as string;
}

function canonical(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += `${i ? ',' : ''}${canonical(value[i]) ?? 'null'}`;
    return `${out}]`;
  }
  const keys = sortedKeys(value);
  let out = '{';
  for (const k of keys) {
    const text = canonical((value as Record<string, unknown>)[k]);
    if (text === undefined) continue;
    out += `${out.length > 1 ? ',' : ''}${keyJson(k)}:${text}`;
  }
  return `${out}}`;
}

const INTEGER_KEY = /^(0|[1-9]\d{0,9})$/;

/** Object.keys lists integer keys first, ascending; the string keys after them are sorted here. */
function sortedKeys(value: object): string[] {
  const keys = Object.keys(value);
  let ints = 0;
  while (ints < keys.length && INTEGER_KEY.test(keys[ints]) && Number(keys[ints]) < 2 ** 32 - 1) ints++;
  sortFrom(keys, ints);
  return keys;
}

/**
 * Sorts keys[from..] in place as `Array.prototype.sort` would (UTF-16 code unit order). An
 * object has a handful of keys: insertion sort allocates nothing, where sort() allocates a work
 * array on every call (a plan sorts the keys of every object of every live resource).
 */
function sortFrom(keys: string[], from: number): void {
  if (keys.length - from > 32) {
    const tail = keys.slice(from).sort();
    for (let i = 0; i < tail.length; i++) keys[from + i] = tail[i];
    return;
  }
  for (let i = from + 1; i < keys.length; i++) {
    const k = keys[i];
    let j = i - 1;
    while (j >= from && keys[j] > k) {
      keys[j + 1] = keys[j];
      j--;
    }
    keys[j + 1] = k;
  }
}

// Field names repeat across every resource of a plan: each is quoted once. Bounded, for long-lived processes.
const quotedKeys = new Map<string, string>();

function keyJson(k: string): string {
  let quoted = quotedKeys.get(k);
  if (quoted === undefined) {
    if (quotedKeys.size >= 10_000) quotedKeys.clear();
    quotedKeys.set(k, (quoted = JSON.stringify(k)));
  }
  return quoted;
}
