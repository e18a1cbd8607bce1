import { readFile } from 'node:fs/promises';
import { UserError } from '../core/errors.js';
import type { Problem } from '../manifest/types.js';

/**
 * `.vertexctlignore`: what a team chooses not to track in drift reports. One glob per line, `#`
 * starts a comment, `!` un-ignores what an earlier line ignored (the last matching line wins):
 *
 *   run-scratch-*                                   an address (any stack)
 *   google.aiplatform.custom_jobs                   a type (has a dot)
 *   projects/*\/locations/*\/tensorboards/123       a full resource name (has a slash)
 *   ml-platform/training                            an address of one stack (stack/address)
 *   training:labels.owner                           a field of the resources the left side matches
 *   *:description                                   (a field path also covers the fields below it)
 *
 * In names `*` stays within one segment and `**` crosses `/`; in field paths `*` stays within
 * one segment and `**` crosses `.`. A stack directory's file applies to that stack's addresses
 * (and to the unmanaged resources beside it); the current directory's and --ignore-file's
 * apply to every stack of the run.
 */
export const IGNORE_FILE = '.vertexctlignore';

interface Rule {
  negate: boolean;
  target: { on: 'address' | 'stack-address' | 'type' | 'name'; re: RegExp };
  field?: RegExp;
  /** The stack whose directory holds the file: the rule applies to that stack alone. */
  stack?: string;
}

export interface Subject {
  address: string | null;
  type: string;
  name: string | null;
  /** The stack of the address; null for unmanaged resources. */
  stack: string | null;
}

/** An ignore file, and the stack it belongs to when it lives in a stack's directory. */
export interface IgnoreSource {
  file: string;
  stack?: string;
}

export class IgnoreRules {
  private constructor(private readonly rules: Rule[]) {}

  static readonly none = new IgnoreRules([]);

  static parse(text: string, file: string, stack?: string): IgnoreRules {
    const rules: Rule[] = [];
    const problems: Problem[] = [];
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.replace(/(^|\s)#.*$/, '').trim();
      if (!line) return;
      const col = raw.indexOf(line[0]) + 1;
      const rule = parseRule(line);
      if (typeof rule === 'string') problems.push({ pos: { file, line: i + 1, col }, message: rule });
      else rules.push(stack === undefined ? rule : { ...rule, stack });
    });
    if (problems.length) throw new UserError(problems);
    return new IgnoreRules(rules);
  }

  /** Reads the files that exist (missing ones are skipped); later files' lines come last. */
  static async read(sources: readonly IgnoreSource[]): Promise<IgnoreRules> {
    const rules: Rule[] = [];
    for (const { file, stack } of sources) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw new UserError(`${file}: cannot read: ${(err as Error).message}`);
      }
      rules.push(...IgnoreRules.parse(text, file, stack).rules);
    }
    return new IgnoreRules(rules);
  }

  /** Whether the whole resource is left out of the report. */
  ignoresResource(s: Subject): boolean {
    return this.decide((r) => !r.field && matchesTarget(r, s));
  }

  /** Whether one field difference of the resource is left out. */
  ignoresField(s: Subject, path: string): boolean {
    return this.decide((r) => !!r.field && matchesTarget(r, s) && r.field.test(path));
  }

  private decide(matches: (r: Rule) => boolean): boolean {
    let ignored = false;
    for (const r of this.rules) if (matches(r)) ignored = !r.negate;
    return ignored;
  }
}

function matchesTarget(r: Rule, s: Subject): boolean {
  if (r.stack !== undefined && s.stack !== null && s.stack !== r.stack) return false;
  const on = r.target.on;
  const value = on === 'address' ? s.address : on === 'type' ? s.type : on === 'name' ? s.name : s.address !== null && s.stack !== null ? `${s.stack}/${s.address}` : null;
  return value !== null && r.target.re.test(value);
}

/** What a pattern is matched against: a slash makes it a resource name, unless it reads `stack/address`. */
function targetOf(pattern: string): Rule['target']['on'] {
  const slash = pattern.indexOf('/');
  if (slash >= 0) {
    const first = pattern.slice(0, slash);
    // Resource names start with `projects/` (or a glob standing for it); a stack name is plain.
    return first === 'projects' || /[*?]/.test(first) || pattern.indexOf('/', slash + 1) >= 0 ? 'name' : 'stack-address';
  }
  return pattern.includes('.') ? 'type' : 'address';
}

function parseRule(line: string): Rule | string {
  const negate = line.startsWith('!');
  const body = negate ? line.slice(1).trim() : line;
  const colon = body.indexOf(':');
  const target = colon < 0 ? body : body.slice(0, colon).trim();
  const field = colon < 0 ? undefined : body.slice(colon + 1).trim();
  if (!target) return `"${line}": nothing before ":" (write "*:${field ?? ''}" for every resource)`;
  if (field === '') return `"${line}": no field path after ":"`;
  if (/\s/.test(target) || (field && /\s/.test(field))) return `"${line}": a pattern has no spaces (one pattern per line)`;
  const on = targetOf(target);
  return {
    negate,
    target: { on, re: new RegExp(`^${globToRegex(target, '/')}$`) },
    // A field path covers the fields below it, as ignoreChanges does.
    ...(field && { field: new RegExp(`^${globToRegex(field, '.[')}(?:[.[].*)?$`) }),
  };
}

/** `*` matches within one segment (never one of `separators`), `**` across them, `?` one character. */
export function globToRegex(glob: string, separators: string): string {
  const notSep = `[^${separators.replace(/[\]\\^-]/g, '\\$&').replace('[', '\\[')}]`;
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      out += '.*';
      i++;
    } else if (c === '*') out += `${notSep}*`;
    else if (c === '?') out += notSep;
    else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return out;
}
