import { invalidArgument } from './errors.js';

/**
 * Google's system parameters (https://cloud.google.com/apis/docs/system-parameters), each also
 * accepted with a `$` prefix as Google's generated REST clients send them (`$alt`, `$prettyPrint`):
 * `alt=json` with the `enum-encoding=int` option, `prettyPrint`, and `fields` (partial responses).
 */

export const SYSTEM_PARAMS: ReadonlySet<string> = new Set([
  '.xgafv', 'access_token', 'alt', 'callback', 'fields', 'key', 'oauth_token', 'prettyPrint',
  'quotaUser', 'upload_protocol', 'uploadType', 'userIp', 'userProject',
]);

export interface SystemParams {
  /** Answer enums as numbers (`alt=json;enum-encoding=int`). */
  enumsAsNumbers: boolean;
  /** Indent the answer (`prettyPrint=true`); compact when absent or false. */
  pretty: boolean;
  /** Partial response selector (`fields=name,tensorboards(name,displayName)`). */
  fields?: FieldSelector;
}

/** A system parameter's name without its `$` prefix, or undefined when `name` is no system parameter. */
export function systemParamName(name: string): string | undefined {
  const bare = name.startsWith('$') ? name.slice(1) : name;
  return SYSTEM_PARAMS.has(bare) ? bare : undefined;
}

export function readSystemParams(query: URLSearchParams): SystemParams {
  const out: SystemParams = { enumsAsNumbers: false, pretty: false };
  for (const [name, value] of query) {
    const param = systemParamName(name);
    if (param === 'alt') {
      const [format, ...options] = value.split(';').map((s) => s.trim());
      if (format !== 'json') throw invalidArgument(`Invalid value for alt: "${value}". This emulator answers only alt=json.`);
      for (const option of options) {
        if (option === 'enum-encoding=int') out.enumsAsNumbers = true;
        else if (option !== '' && option !== 'enum-encoding=string') throw invalidArgument(`Invalid alt option "${option}" in "${value}".`);
      }
    } else if (param === 'prettyPrint') {
      if (!/^(true|false|1|0)$/.test(value)) throw invalidArgument(`Invalid value for prettyPrint: "${value}".`);
      out.pretty = value === 'true' || value === '1';
    } else if (param === 'fields' && value.trim() !== '') {
      out.fields = parseFields(value);
    }
  }
  return out;
}

/** field name → selector of its sub-fields (`true`: the whole field). */
export type FieldSelector = Map<string, FieldSelector | true>;

/**
 * Parses the partial-response syntax: `a,b/c,d(e,f)`; `*` selects every field at its level.
 * `b/c` is `b(c)`.
 */
export function parseFields(text: string): FieldSelector {
  let pos = 0;
  const bad = (why: string) => invalidArgument(`Invalid field selection "${text}": ${why}.`);
  const list = (): FieldSelector => {
    const sel: FieldSelector = new Map();
    for (;;) {
      item(sel);
      if (text[pos] === ',') {
        pos++;
        continue;
      }
      return sel;
    }
  };
  const item = (into: FieldSelector) => {
    const m = /^\s*([A-Za-z_*][\w*]*|@type)\s*/.exec(text.slice(pos));
    if (!m) throw bad(`a field name is expected at ${pos + 1}`);
    pos += m[0].length;
    const name = m[1];
    let sub: FieldSelector | true = true;
    if (text[pos] === '/') {
      pos++;
      sub = new Map();
      item(sub);
    } else if (text[pos] === '(') {
      pos++;
      sub = list();
      if (text[pos] !== ')') throw bad(`")" is expected at ${pos + 1}`);
      pos++;
    }
    const had = into.get(name);
    if (had instanceof Map && sub instanceof Map) for (const [k, v] of sub) had.set(k, v);
    else into.set(name, had === true ? true : sub);
  };
  const sel = list();
  if (pos < text.length) throw bad(`unexpected "${text[pos]}" at ${pos + 1}`);
  return sel;
}

/** The parts of a JSON answer the selector names (lists are filtered item by item). */
export function selectFields(value: unknown, sel: FieldSelector): unknown {
  if (Array.isArray(value)) return value.map((v) => selectFields(v, sel));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const s = sel.get(k) ?? sel.get('*');
    if (s === undefined) continue;
    out[k] = s === true ? v : selectFields(v, s);
  }
  return out;
}
