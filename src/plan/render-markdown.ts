import { cell, code, codeCell, details, escapeHtml, fence, fitDocument, row, DEFAULT_MARKDOWN_LIMIT, type Section } from '../core/markdown.js';
import { SENSITIVE_MASK } from '../manifest/sensitive.js';
import { summarize } from './planner.js';
import type { FieldChange, Plan, PlannedStep } from './types.js';

/**
 * The plan for a pull-request comment: the summary line, a table of the changes, and each
 * change's fields as a collapsible diff; sensitive values masked; below GitHub's comment limit,
 * leaving out the last rows with a note when it must.
 */

const ICON: Record<string, string> = { create: '🟢', update: '🟡', replace: '🟣', delete: '🔴', record: '⚪', adopt: '⚪', 'no-op': '⚪' };
const KNOWN_AFTER_APPLY = '(known after apply)';
/** Longest value shown in a diff line; the plan file has them whole. */
const MAX_VALUE = 2_000;

export interface PlanMarkdownOptions {
  limit?: number;
  title?: string;
}

export function renderPlanMarkdown(plan: Pick<Plan, 'steps' | 'stack' | 'env' | 'mode'>, opts: PlanMarkdownOptions = {}): string {
  const changed = plan.steps.filter((s) => s.action !== 'no-op');
  const sum = summarize(plan.steps);
  const where = `${code(plan.stack)}${plan.env ? ` (env ${code(plan.env)})` : ''}`;
  const refreshOnly = plan.mode === 'refresh-only';
  const stateOnly = [sum.adopt ? `, ${sum.adopt} to adopt` : '', sum.record ? `, ${sum.record} to record` : ''].join('');
  const verdict = refreshOnly
    ? changed.length
      ? `**Refresh-only plan:** ${sum.record} to record in state. Applying it changes nothing in the cloud.`
      : '**No changes.** Nothing changed outside vertexctl since the last apply; nothing to record.'
    : changed.length
      ? `**Plan:** ${sum.create} to create, ${sum.update} to update, ${sum.replace} to replace, ${sum.delete} to destroy${stateOnly}.`
      : '**No changes.** Live resources match the manifests.';
  const unchanged = plan.steps.length - changed.length;
  const title = opts.title ?? (refreshOnly ? 'vertexctl plan (refresh-only)' : 'vertexctl plan');
  const intro = [`## ${escapeHtml(title)}: ${where}`, `${verdict}${unchanged ? ` ${unchanged} unchanged.` : ''}`].join('\n\n');
  const header = ['Action', 'Address', 'Type', 'Name', 'Why'];
  const sections: Section[] = [
    {
      head: `${row(header)}\n${row(header.map(() => '---'))}`,
      items: changed.map((s) => row([`${ICON[s.action] ?? ''} ${actionLabel(s)}`, codeCell(s.address), codeCell(s.type), s.name ? codeCell(s.name) : cell(KNOWN_AFTER_APPLY), cell(s.reason ?? '')])),
      counts: 'changes',
      joiner: '\n',
    },
    {
      head: '#### Fields',
      items: changed
        .filter((s) => s.fields?.length)
        .map((s) => details(`${ICON[s.action] ?? ''} ${escapeHtml(actionLabel(s))} <code>${escapeHtml(s.address)}</code>: ${countOf(s)}`, fence(diffOf(s), 'diff'))),
      counts: 'field lists',
    },
  ];
  return fitDocument(intro, sections, opts.limit ?? DEFAULT_MARKDOWN_LIMIT, `${code('vertexctl show PLANFILE')} prints the whole plan.`);
}

/** The action as the table shows it; a refresh-only record says what happened outside. */
function actionLabel(s: PlannedStep): string {
  if (s.reasonCode === 'changed_outside') return 'record (changed outside)';
  if (s.reasonCode === 'deleted_outside') return 'record (deleted outside)';
  return s.action;
}

function countOf(s: PlannedStep): string {
  const n = s.fields!.length;
  return `${n} ${n === 1 ? 'field' : 'fields'}`;
}

/** Old values as removed lines, new ones as added lines; replacements say which fields force them. */
function diffOf(s: PlannedStep): string {
  const lines: string[] = [];
  for (const f of s.fields ?? []) {
    const forces = f.forcesReplace && s.action === 'replace' ? '   # forces replacement' : '';
    if (f.before !== undefined) lines.push(`- ${f.path}: ${show(f, f.before)}${f.after === undefined && !f.unknown ? forces : ''}`);
    if (f.after !== undefined || f.unknown) lines.push(`+ ${f.path}: ${f.unknown ? KNOWN_AFTER_APPLY : show(f, f.after)}${forces}`);
  }
  return lines.join('\n');
}

function show(f: FieldChange, v: unknown): string {
  if (f.sensitive) return SENSITIVE_MASK;
  if (Array.isArray(v) && v.length > 3) return `[${v.length} items]`;
  const text = JSON.stringify(v);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 3)}...` : text;
}
