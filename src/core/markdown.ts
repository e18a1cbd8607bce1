/**
 * GitHub-flavoured Markdown for PR comments and `$GITHUB_STEP_SUMMARY`: escaping for table
 * cells and HTML, code spans and fences that the content cannot close, collapsible details, and
 * documents that stay below GitHub's comment limit by leaving out their last parts, with a note.
 * Control, bidi and invisible characters are shown escaped (core/display): what a reviewer
 * reads in the comment is what will be applied.
 */

import { escapeForDisplay } from './display.js';

/** GitHub refuses comments longer than this many characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;
/** What our documents stay within: room left for a header or marker a workflow adds. */
export const DEFAULT_MARKDOWN_LIMIT = 64_000;

export function escapeHtml(text: string): string {
  return escapeForDisplay(text, { keepLineBreaks: true }).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Text for a table cell: no line breaks, pipes escaped (also inside code spans), no raw HTML. */
export function cell(text: string): string {
  return escapeHtml(text).replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

/** An inline code span for a table cell (pipes escaped, which GitHub honours inside code spans too). */
export function codeCell(text: string): string {
  return code(text.replace(/\r?\n/g, ' ')).replace(/\|/g, '\\|');
}

/** An inline code span the text cannot end early. */
export function code(raw: string): string {
  const text = escapeForDisplay(raw);
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || text === '' ? ' ' : '';
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

/** A fenced code block the text cannot end early. */
export function fence(raw: string, lang = ''): string {
  const text = escapeForDisplay(raw, { keepLineBreaks: true });
  const longest = Math.max(2, ...[...text.matchAll(/^\s*(`{3,})/gm)].map((m) => m[1].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${lang}\n${text}\n${ticks}`;
}

/** A collapsible block; `summary` is HTML (escape what it quotes). */
export function details(summary: string, body: string): string {
  return `<details><summary>${summary}</summary>\n\n${body}\n\n</details>`;
}

export function table(header: string[], rows: string[][]): string {
  return [row(header), row(header.map(() => '---')), ...rows.map(row)].join('\n');
}

export function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** A part of a document: a heading and the table header go with its first item, never alone. */
export interface Section {
  head: string;
  items: string[];
  /** What its items are, for the note when some are left out ("resources", "field differences"). */
  counts: string;
  /** Closes the section (e.g. `</details>`); always kept when any item is. */
  tail?: string;
  /** Items of a table are joined by newlines, other items by blank lines. */
  joiner?: '\n' | '\n\n';
}

/**
 * The document: `intro`, then as many sections and items as fit within `limit` characters; what
 * does not fit is left out, from the end, and a note says how much. Nothing is cut mid-item.
 */
export function fitDocument(intro: string, sections: Section[], limit = DEFAULT_MARKDOWN_LIMIT, hint = ''): string {
  const full = [intro, ...sections.filter((s) => s.items.length).map(renderSection)].join('\n\n');
  if (full.length <= limit) return `${full}\n`;

  const omitted = new Map<string, number>();
  for (const s of sections) omitted.set(s.counts, (omitted.get(s.counts) ?? 0) + s.items.length);
  const note = () => {
    const parts = [...omitted].filter(([, n]) => n > 0).map(([what, n]) => `${n} ${what}`);
    return `> [!NOTE]\n> Truncated to stay below GitHub's ${GITHUB_COMMENT_LIMIT.toLocaleString('en-US')}-character limit: ${parts.join(', ')} not shown.${hint ? ` ${hint}` : ''}`;
  };
  const reserve = note().length + 2;
  const out: string[] = [intro];
  let used = intro.length;
  let full_ = true;
  for (const s of sections) {
    if (!full_ || !s.items.length) continue;
    const kept: string[] = [];
    const fixed = s.head.length + 2 + (s.tail ? s.tail.length + 2 : 0);
    for (const item of s.items) {
      const cost = item.length + 2 + (kept.length === 0 ? fixed : 0);
      if (used + cost + reserve > limit) {
        full_ = false;
        break;
      }
      used += cost;
      kept.push(item);
    }
    if (kept.length) {
      out.push(renderSection({ ...s, items: kept }));
      omitted.set(s.counts, omitted.get(s.counts)! - kept.length);
    }
  }
  out.push(note());
  return `${out.join('\n\n')}\n`;
}

function renderSection(s: Section): string {
  return [s.head, s.items.join(s.joiner ?? '\n\n'), ...(s.tail ? [s.tail] : [])].join(s.joiner === '\n' ? '\n' : '\n\n');
}
