/**
 * Values of props marked `sensitive: true`, as this process has seen them (in manifests and in
 * state), and the one function that masks them in any text. Structured outputs mask by field
 * (plan fields, `state show`); this is the net under everything else: API error messages that
 * quote a value, job errors, logs and --debug lines, whatever their path to the terminal.
 */

export const SENSITIVE_MASK = '(sensitive)';

/** Shorter values are not masked inside text: they would turn ordinary words into masks. */
const MIN_LENGTH = 4;

const secrets = new Set<string>();
let pattern: RegExp | undefined;

/** Registers the string leaves of a sensitive value (a string, or an object or list of them). */
export function registerSecret(value: unknown): void {
  const before = secrets.size;
  collect(value, (s) => {
    if (s.length < MIN_LENGTH) return;
    secrets.add(s);
    // As it appears inside JSON strings (quotes and backslashes escaped).
    const escaped = JSON.stringify(s).slice(1, -1);
    if (escaped !== s) secrets.add(escaped);
  });
  if (secrets.size !== before) pattern = undefined;
}

export function hasSecrets(): boolean {
  return secrets.size > 0;
}

/** The text with every registered secret replaced by SENSITIVE_MASK. */
export function maskSecrets(text: string): string {
  if (secrets.size === 0) return text;
  pattern ??= new RegExp(
    [...secrets]
      .sort((a, b) => b.length - a.length)
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('|'),
    'g',
  );
  return text.replace(pattern, SENSITIVE_MASK);
}

/** Forgets every registered secret (tests). */
export function clearSecrets(): void {
  secrets.clear();
  pattern = undefined;
}

function collect(value: unknown, add: (s: string) => void): void {
  if (typeof value === 'string') add(value);
  else if (typeof value === 'number' || typeof value === 'bigint') add(String(value));
  else if (Array.isArray(value)) for (const v of value) collect(v, add);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) collect(v, add);
}
