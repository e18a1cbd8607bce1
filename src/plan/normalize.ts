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

/** JSON with object keys sorted, for hashing and order-insensitive equality. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    // fromEntries defines own properties: a `__proto__` key is kept as data.
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}
