import { createHash } from 'node:crypto';
import { invalidArgument } from './errors.js';

/**
 * Page sizes and opaque page tokens. A token carries where the previous page stopped and a
 * fingerprint of the request, because the APIs require the other parameters to stay the same.
 */

export function pageSize(raw: string | null, opts: { default: number; max: number }): number {
  if (raw === null || raw === '') return opts.default;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw invalidArgument(`Invalid value at 'page_size' (TYPE_INT32), "${raw}"`);
  if (n < 0) throw invalidArgument('page_size must not be negative.');
  if (n === 0) return opts.default;
  return Math.min(n, opts.max);
}

export function fingerprint(...parts: (string | null | undefined)[]): string {
  return createHash('sha1').update(parts.map((p) => p ?? '').join('\u0000')).digest('base64url').slice(0, 10);
}

export interface Cursor {
  /** Sequence number of the last item returned (lists in creation order). */
  after?: number;
  /** Items already returned (sorted lists). */
  offset?: number;
}

export function encodePageToken(cursor: Cursor, print: string): string {
  return Buffer.from(JSON.stringify({ ...cursor, f: print })).toString('base64url');
}

export function decodePageToken(token: string | null, print: string): Cursor | undefined {
  if (!token) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidArgument('Invalid page token.');
  }
  const c = parsed as { after?: unknown; offset?: unknown; f?: unknown };
  const valid =
    typeof parsed === 'object' && parsed !== null && c.f === print &&
    (Number.isInteger(c.after) || Number.isInteger(c.offset));
  if (!valid) throw invalidArgument('Invalid page token.');
  return { after: c.after as number | undefined, offset: c.offset as number | undefined };
}
