import { createHash } from 'node:crypto';
import type { KindDef } from './types.js';

/**
 * Ownership labels: stack and address, so a rerun after a crash can find and adopt a resource
 * whose id the server chose. Label values allow only [a-z0-9_-], at most 63 characters.
 */
export const STACK_LABEL = 'vertexctl-stack';
export const ADDRESS_LABEL = 'vertexctl-address';

/**
 * Whose resources these are: the stack, and its environment when there is one (the same key as
 * the state file's name), so two environments of a stack in one project never adopt or prune
 * each other's resources.
 */
export function ownerKey(stack: string, env?: string): string {
  return env ? `${stack}-${env}` : stack;
}

export function labelValue(raw: string): string {
  const clean = raw.toLowerCase().replace(/[^a-z0-9_-]/g, '_');
  if (clean === raw && clean.length <= 63) return clean;
  // Not representable as-is: keep a readable prefix and a hash so distinct inputs stay distinct.
  const hash = createHash('sha256').update(raw).digest('hex').slice(0, 10);
  return `${clean.slice(0, 52)}-${hash}`;
}

export function ownershipLabels(stack: string, address: string): Record<string, string> {
  return { [STACK_LABEL]: labelValue(stack), [ADDRESS_LABEL]: labelValue(address) };
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

/** Whether a live resource carries the ownership labels of this stack (and address, when given). */
export function isOwnedBy(kind: KindDef, body: unknown, stack: string, address?: string): boolean {
  const labels = labelsOf(kind, body);
  if (!labels || labels[STACK_LABEL] !== labelValue(stack)) return false;
  return address === undefined || labels[ADDRESS_LABEL] === labelValue(address);
}
