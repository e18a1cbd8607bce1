import { createHash } from 'node:crypto';
import type { KindDef } from './types.js';

/**
 * Ownership labels: stack, environment and address, so a rerun after a crash can find and adopt a
 * resource whose id the server chose, and so nothing of another stack or environment is ever
 * taken for ours. Stack and environment are separate labels: one `<stack>-<env>` value could not
 * tell stack `team` in environment `x` from stack `team-x`. A resource of a stack without
 * environment carries an empty `vertexctl-env` (Google allows empty label values), so a label
 * set without the key at all is recognisably one written by vertexctl before 0.2.
 * Label values allow only [a-z0-9_-], at most 63 characters.
 */
export const STACK_LABEL = 'vertexctl-stack';
export const ENV_LABEL = 'vertexctl-env';
export const ADDRESS_LABEL = 'vertexctl-address';
export const OWNERSHIP_LABEL_KEYS: readonly string[] = [STACK_LABEL, ENV_LABEL, ADDRESS_LABEL];

/** Whose resources these are: a stack, in one environment (or none). */
export interface Owner {
  stack: string;
  env?: string;
}

/** What a resource's ownership labels say about who owns it. */
export interface LabelledOwner {
  /** The label values as written (label-safe forms of stack and environment). */
  stack: string;
  env: string;
  /** Written by vertexctl before stack and environment were separate labels: `stack` is `<stack>-<env>`. */
  legacy: boolean;
}

/** The `<stack>-<env>` value earlier versions wrote into vertexctl-stack. */
export function legacyOwnerKey(owner: Owner): string {
  return owner.env ? `${owner.stack}-${owner.env}` : owner.stack;
}

const LABEL_SAFE = /^[a-z0-9_-]{0,63}$/;

export function labelValue(raw: string): string {
  if (LABEL_SAFE.test(raw)) return raw;
  const clean = raw.toLowerCase().replace(/[^a-z0-9_-]/g, '_');
  if (clean === raw && clean.length <= 63) return clean;
  // Not representable as-is: keep a readable prefix and a hash so distinct inputs stay distinct.
  const hash = createHash('sha256').update(raw).digest('hex').slice(0, 10);
  return `${clean.slice(0, 52)}-${hash}`;
}

export function ownershipLabels(owner: Owner, address: string): Record<string, string> {
  return { [STACK_LABEL]: labelValue(owner.stack), [ENV_LABEL]: labelValue(owner.env ?? ''), [ADDRESS_LABEL]: labelValue(address) };
}

/** The owner a label map names, or undefined when it carries no vertexctl-stack label. */
export function labelledOwner(labels: Record<string, string> | undefined): LabelledOwner | undefined {
  const stack = labels?.[STACK_LABEL];
  if (stack === undefined) return undefined;
  const env = labels![ENV_LABEL];
  return { stack, env: env ?? '', legacy: env === undefined };
}

/** Whether labels name exactly this stack and environment (labels of earlier versions never do: they are ambiguous). */
export function sameOwner(labelled: LabelledOwner | undefined, owner: Owner): boolean {
  return !!labelled && !labelled.legacy && labelled.stack === labelValue(owner.stack) && labelled.env === labelValue(owner.env ?? '');
}

/** Whether labels are the earlier versions' `<stack>-<env>` form of this owner (ours, if state says so). */
export function isLegacyOf(labelled: LabelledOwner | undefined, owner: Owner): boolean {
  return !!labelled && labelled.legacy && labelled.stack === labelValue(legacyOwnerKey(owner));
}

/** The owner as people read it: `stack "team", environment "x"`. */
export function describeOwner(labelled: LabelledOwner): string {
  if (labelled.legacy) return `stack-and-environment "${labelled.stack}" (labelled by an earlier vertexctl)`;
  return `stack "${labelled.stack}"${labelled.env ? `, environment "${labelled.env}"` : ', no environment'}`;
}

export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

export function labelsOf(kind: KindDef, body: unknown): Record<string, string> | undefined {
  if (!kind.labelsPath) return undefined;
  return getPath(body, kind.labelsPath) as Record<string, string> | undefined;
}

/** Whether a live resource carries the ownership labels of this owner (and address, when given). */
export function isOwnedBy(kind: KindDef, body: unknown, owner: Owner, address?: string): boolean {
  const labels = labelsOf(kind, body);
  if (!sameOwner(labelledOwner(labels), owner)) return false;
  return address === undefined || labels![ADDRESS_LABEL] === labelValue(address);
}
