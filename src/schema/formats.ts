import type { FormatDefinition } from 'ajv';

/**
 * Formats of Google's JSON mapping (discovery `format` values) that ajv-formats does not know
 * or knows differently. The generator keeps discovery's format names in the schemas; these
 * definitions give them meaning. int32/float/double/date come from ajv-formats.
 */

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Range check only: the schemas' `pattern` reports malformed numbers, so they are not reported twice. */
function bigIntIn(min: bigint, max: bigint): (s: string) => boolean {
  return (s) => {
    if (!/^-?[0-9]+$/.test(s)) return true;
    const n = BigInt(s);
    return n >= min && n <= max;
  };
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/;

/** RFC 3339 with a mandatory offset, as google-datetime requires; checks the calendar too. */
export function isGoogleDatetime(s: string): boolean {
  const m = RFC3339.exec(s);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (daysInMonth === undefined || day < 1 || day > daysInMonth) return false;
  if (hour > 23 || minute > 59 || second > 60) return false;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return false;
  return true;
}

/** Seconds with up to nanosecond precision and an `s` suffix: `86400s`, `1.5s`, `-0.000000001s`. */
export const GOOGLE_DURATION = /^-?\d+(\.\d{1,9})?s$/;

/** Comma-separated lowerCamelCase field paths (the JSON form of google.protobuf.FieldMask). */
const FIELD_MASK = /^([a-zA-Z_][a-zA-Z0-9_]*(\.[a-zA-Z_][a-zA-Z0-9_]*)*(,[a-zA-Z_][a-zA-Z0-9_]*(\.[a-zA-Z_][a-zA-Z0-9_]*)*)*)?$/;

/** Standard or URL-safe base64, padding optional (Google accepts both alphabets). */
const BASE64 = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/;

export const googleFormats: Record<string, FormatDefinition<string> | FormatDefinition<number>> = {
  'google-datetime': { type: 'string', validate: isGoogleDatetime },
  'google-duration': { type: 'string', validate: GOOGLE_DURATION },
  'google-fieldmask': { type: 'string', validate: FIELD_MASK },
  byte: { type: 'string', validate: BASE64 },
  // 64-bit integers travel as JSON strings; numbers are accepted too (type integer in the schema).
  int64: { type: 'string', validate: bigIntIn(INT64_MIN, INT64_MAX) },
  uint64: { type: 'string', validate: bigIntIn(0n, UINT64_MAX) },
};

/** Fractional seconds as proto3 JSON writes them: none, or 3, 6 or 9 digits. */
function protoFraction(digits: string | undefined): string {
  const nanos = (digits ?? '').padEnd(9, '0');
  if (/^0*$/.test(nanos)) return '';
  const keep = nanos.endsWith('000000') ? 3 : nanos.endsWith('000') ? 6 : 9;
  return `.${nanos.slice(0, keep)}`;
}

/**
 * A google.protobuf.Duration as Google returns it (`86400s`, `1.500s`): the emulator answers in
 * this form and the planner compares in it. Anything else is returned as it is.
 */
export function canonicalDuration(text: string): string {
  const m = /^(-?)(\d+)(?:\.(\d{1,9}))?s$/.exec(text.trim());
  if (!m) return text;
  const seconds = BigInt(m[2]).toString();
  const fraction = protoFraction(m[3]);
  const sign = m[1] && (seconds !== '0' || fraction) ? '-' : '';
  return `${sign}${seconds}${fraction}s`;
}

/** A google.protobuf.Timestamp as Google returns it: UTC, `Z`, fractional digits in groups of 3. */
export function canonicalTimestamp(text: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/.exec(text.trim());
  if (!m) return text;
  const whole = Date.parse(`${m[1]}T${m[2]}${m[4].toUpperCase()}`);
  if (Number.isNaN(whole)) return text;
  return `${new Date(whole).toISOString().slice(0, 19)}${protoFraction(m[3])}Z`;
}
