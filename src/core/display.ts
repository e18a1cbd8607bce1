/**
 * Text from manifests or the API shown to people (plans in a terminal, Markdown posted on a pull
 * request): control characters and the invisible or direction-changing ones (bidi overrides and
 * isolates, zero-width characters, line and paragraph separators) are shown as `\u202e`-style
 * escapes, so what a reviewer reads is what will be applied ("Trojan Source").
 */
const INVISIBLE_OR_BREAK = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

const escape = (c: string): string => {
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
};

const INVISIBLE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/**
 * Text for display: every control character escaped, line breaks included (one line), or all
 * but `\n` with keepLineBreaks (a block of lines, e.g. a fenced diff).
 */
export function escapeForDisplay(text: string, { keepLineBreaks = false } = {}): string {
  return text.replace(keepLineBreaks ? INVISIBLE : INVISIBLE_OR_BREAK, escape);
}
