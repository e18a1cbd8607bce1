import { SENSITIVE_MASK } from '../core/secrets.js';
import { setOwn } from './template.js';

/** What every output shows instead of the value of a prop marked `sensitive: true`. */
export { SENSITIVE_MASK };

/** A copy of props with each sensitive prop's value replaced by SENSITIVE_MASK. */
export function maskSensitive(props: Record<string, unknown>, sensitive: readonly string[]): Record<string, unknown> {
  if (sensitive.length === 0) return props;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props)) {
    setOwn(out, k, sensitive.includes(k) ? SENSITIVE_MASK : v);
  }
  return out;
}
