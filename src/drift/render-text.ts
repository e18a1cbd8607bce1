import { SENSITIVE_MASK } from '../manifest/sensitive.js';
import type { DriftReport, DriftResource, DriftStatus, FieldDrift } from './types.js';

/** The drift report for a terminal: what drifted, one block per resource, and a closing count line. */

const SYMBOL: Record<DriftStatus, string> = { modified: '~', missing: '-', failed: '!', unmanaged: '?', 'in-sync': '=' };
const HEADLINE: Record<DriftStatus, string> = {
  modified: 'has drifted',
  missing: 'is missing',
  failed: 'has failed',
  unmanaged: 'is not managed by any stack',
  'in-sync': 'is in sync',
};
const ANSI: Record<DriftStatus, number> = { modified: 33, missing: 31, failed: 31, unmanaged: 35, 'in-sync': 2 };

export function renderDriftText(report: DriftReport, opts: { color: boolean }): string {
  const paint = (code: number, s: string) => (opts.color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const lines: string[] = [];
  const showStack = new Set(report.resources.map((r) => r.stack).filter((s) => s !== null)).size > 1;
  for (const r of report.resources) {
    if (r.status === 'in-sync') continue;
    lines.push(`${paint(ANSI[r.status], SYMBOL[r.status])} ${headline(r, showStack)}`);
    if (r.address !== null && r.name) lines.push(`    name: ${r.name}`);
    if (r.reason) lines.push(`    ${r.reason}`);
    for (const f of r.fields ?? []) lines.push(`    ${f.path}: ${showValue(f, 'actual')} → ${showValue(f, 'expected')} (manifest)`);
    lines.push('');
  }
  lines.push(summaryLine(report));
  return `${lines.join('\n')}\n`;
}

function headline(r: DriftResource, showStack: boolean): string {
  if (r.address === null) return `${r.name} (${r.type}) ${HEADLINE[r.status]}`;
  return `${showStack ? `${qualifiedAddress(r)}` : r.address} (${r.type}) ${HEADLINE[r.status]}`;
}

/** `stack/address` (`stack-env/address` with an environment): unique across a combined report. */
export function qualifiedAddress(r: DriftResource): string {
  return r.stack ? `${r.stack}${r.env ? `-${r.env}` : ''}/${r.address}` : String(r.address);
}

/** `Drift: 1 modified, …; 5 in sync; coverage 83.3%.` or `No drift: 5 resources in sync; coverage 100%.` */
export function summaryLine(report: DriftReport): string {
  return `${report.drifted ? 'Drift' : 'No drift'}: ${countsPhrase(report)}.`;
}

/** The counts of a report in words, without the verdict. */
export function countsPhrase(report: DriftReport): string {
  const s = report.summary;
  const coverage = `coverage ${s.coverage}%`;
  if (!report.drifted) return `${s['in-sync']} ${s['in-sync'] === 1 ? 'resource' : 'resources'} in sync; ${coverage}`;
  const parts = (['modified', 'missing', 'failed', 'unmanaged'] as const).filter((k) => s[k] > 0).map((k) => `${s[k]} ${k}`);
  return `${parts.join(', ')}; ${s['in-sync']} in sync; ${coverage}`;
}

/** A field value for people: JSON, masked when sensitive, `(unset)` when absent, long ones cut. */
export function showValue(f: FieldDrift, side: 'expected' | 'actual', max = 120): string {
  const v = f[side];
  if (f.sensitive && v !== null) return SENSITIVE_MASK;
  if (v === null || v === undefined) return '(unset)';
  const text = JSON.stringify(v);
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
