const REDACTED = '[REDACTED]';

const RULES: [RegExp, string][] = [
  // Authorization: Bearer ya29....  (header dumps, curl-style lines)
  [/\b(Bearer|Basic)\s+[^\s"',;]+/gi, `$1 ${REDACTED}`],
  // ?access_token=...&token=... in URLs and form bodies
  [/\b((?:access_|id_|refresh_)?token)=[^&\s"']+/gi, `$1=${REDACTED}`],
  // "access_token": "..." in JSON
  [/("(?:access_|id_|refresh_)?token"\s*:\s*")[^"]*"/gi, `$1${REDACTED}"`],
  // bare Google OAuth access tokens, wherever they appear
  [/\bya29\.[\w.-]+/g, REDACTED],
];

/** Removes credentials from a log line. Applied to every --debug line before it is written. */
export function redact(text: string): string {
  return RULES.reduce((acc, [pattern, replacement]) => acc.replace(pattern, replacement), text);
}
