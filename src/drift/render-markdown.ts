import { cell, codeCell, details, escapeHtml, fence, fitDocument, row, code, DEFAULT_MARKDOWN_LIMIT, type Section } from '../core/markdown.js';
import { countsPhrase, qualifiedAddress, showValue } from './render-text.js';
import type { DriftReport, DriftResource, DriftStatus } from './types.js';

/**
 * The drift report for a PR comment or `$GITHUB_STEP_SUMMARY`: the summary line, a table per
 * status, each modified resource's field differences in a collapsible diff; sensitive values
 * masked; below GitHub's comment limit, leaving out the last rows with a note when it must.
 */

const TITLE: Record<DriftStatus, string> = {
  modified: 'Modified',
  missing: 'Missing',
  failed: 'Failed',
  unmanaged: 'Unmanaged',
  'in-sync': 'In sync',
};
const ICON: Record<DriftStatus, string> = { modified: '🟡', missing: '🔴', failed: '🔴', unmanaged: '🟣', 'in-sync': '🟢' };

/** Longest value shown in a diff line; the JSON report has them whole. */
const MAX_VALUE = 2_000;

export interface MarkdownOptions {
  /** Characters the document stays within (default below GitHub's 65,536). */
  limit?: number;
  title?: string;
}

export function renderDriftMarkdown(report: DriftReport, opts: MarkdownOptions = {}): string {
  const s = report.summary;
  const multiStack = new Set(report.resources.map((r) => r.stack).filter((x) => x !== null)).size > 1;
  const address = (r: DriftResource) => (multiStack ? qualifiedAddress(r) : String(r.address));
  const headline = report.drifted ? '**Drift detected:**' : '**No drift:**';
  const intro = [`## ${escapeHtml(opts.title ?? 'vertexctl drift')}`, `${headline} ${escapeHtml(countsPhrase(report))}.`, countsTable(report)].join('\n\n');

  const sections: Section[] = [];
  for (const status of ['modified', 'missing', 'failed', 'unmanaged'] as const) {
    const rows = report.resources.filter((r) => r.status === status);
    const unmanaged = status === 'unmanaged';
    const header = unmanaged ? ['Type', 'Name'] : ['Address', 'Type', 'Name', status === 'modified' ? 'Fields' : 'Reason'];
    sections.push({
      head: `### ${ICON[status]} ${TITLE[status]} (${s[status]})\n\n${row(header)}\n${row(header.map(() => '---'))}`,
      items: rows.map((r) =>
        row(
          unmanaged
            ? [codeCell(r.type), codeCell(String(r.name))]
            : [codeCell(address(r)), codeCell(r.type), r.name ? codeCell(r.name) : '', cell(status === 'modified' ? fieldList(r) : (r.reason ?? ''))],
        ),
      ),
      counts: 'resources',
      joiner: '\n',
    });
    if (status === 'modified' || status === 'failed') {
      const withFields = rows.filter((r) => r.fields?.length);
      sections.push({
        head: `#### Field differences${status === 'failed' ? ' of failed jobs' : ''}`,
        items: withFields.map((r) => details(`<code>${escapeHtml(address(r))}</code>: ${r.fields!.length} ${r.fields!.length === 1 ? 'field' : 'fields'}`, fence(diffOf(r), 'diff'))),
        counts: 'field differences',
      });
    }
  }
  const inSync = report.resources.filter((r) => r.status === 'in-sync');
  sections.push({
    head: `<details><summary>${ICON['in-sync']} In sync (${s['in-sync']})</summary>\n\n${row(['Address', 'Type', 'Name'])}\n${row(['---', '---', '---'])}`,
    items: inSync.map((r) => row([codeCell(address(r)), codeCell(r.type), r.name ? codeCell(r.name) : ''])),
    tail: '\n</details>',
    counts: 'in-sync resources',
    joiner: '\n',
  });
  return fitDocument(intro, sections, opts.limit ?? DEFAULT_MARKDOWN_LIMIT, `The ${code('--format json')} and ${code('--format html')} reports have everything.`);
}

function countsTable(report: DriftReport): string {
  const s = report.summary;
  const statuses = ['modified', 'missing', 'failed', 'unmanaged', 'in-sync'] as const;
  return [row([...statuses.map((k) => TITLE[k]), 'Coverage']), row([...statuses.map(() => '---:'), '---:']), row([...statuses.map((k) => String(s[k])), `${s.coverage}%`])].join('\n');
}

function fieldList(r: DriftResource): string {
  const paths = (r.fields ?? []).map((f) => f.path);
  if (!paths.length) return r.reason ?? '';
  return paths.length > 5 ? `${paths.slice(0, 5).join(', ')} and ${paths.length - 5} more` : paths.join(', ');
}

/** Live value as removed, manifest value as added: what apply would do. */
function diffOf(r: DriftResource): string {
  const lines: string[] = [];
  for (const f of r.fields ?? []) {
    lines.push(`- ${f.path}: ${showValue(f, 'actual', MAX_VALUE)}`, `+ ${f.path}: ${showValue(f, 'expected', MAX_VALUE)}`);
  }
  return lines.join('\n');
}
