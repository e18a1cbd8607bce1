import { createHash } from 'node:crypto';
import { escapeHtml } from '../core/markdown.js';
import { countsPhrase, qualifiedAddress, showValue } from './render-text.js';
import { DRIFT_STATUSES, type DriftReport, type DriftResource, type DriftStatus, type FieldDrift } from './types.js';

/**
 * The drift report as one self-contained web page: the counts, a table that can be filtered by
 * status and searched, and highlighted field differences. No external script, style, font or
 * image (its Content-Security-Policy forbids them), so it works offline and as a CI artifact;
 * without JavaScript every row shows; printed, the controls are left out.
 */

const LABEL: Record<DriftStatus, string> = { modified: 'Modified', missing: 'Missing', failed: 'Failed', unmanaged: 'Unmanaged', 'in-sync': 'In sync' };
/** Longest value shown; the JSON report has them whole. */
const MAX_VALUE = 10_000;

export interface HtmlOptions {
  title?: string;
  /** When the report was made, shown in the header (omitted when not given). */
  generatedAt?: Date;
}

const STYLE = `
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --bg: #fff; --line: #d1d9e0; --head: #f6f8fa;
  --modified: #9a6700; --missing: #cf222e; --failed: #cf222e; --unmanaged: #8250df; --in-sync: #1a7f37;
  --del-bg: #ffebe9; --del-fg: #82071e; --ins-bg: #dafbe1; --ins-fg: #116329; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --line: #3d444d; --head: #151b23;
  --modified: #d29922; --missing: #f85149; --failed: #f85149; --unmanaged: #ab7df8; --in-sync: #3fb950;
  --del-bg: #490202; --del-fg: #ffdcd7; --ins-bg: #04260f; --ins-fg: #aff5b4; } }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 22px; margin: 0 0 4px; }
.verdict { margin: 0 0 16px; color: var(--muted); }
.verdict strong { color: var(--fg); }
.cards { display: flex; flex-wrap: wrap; gap: 8px; margin-bottom: 16px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; min-width: 110px; background: var(--head); color: inherit; font: inherit; text-align: left; }
button.card { cursor: pointer; }
button.card:hover, button.card:focus-visible { border-color: var(--fg); }
.card .n { display: block; font-size: 22px; font-weight: 600; }
.card.modified .n { color: var(--modified); } .card.missing .n { color: var(--missing); } .card.failed .n { color: var(--failed); }
.card.unmanaged .n { color: var(--unmanaged); } .card.in-sync .n { color: var(--in-sync); }
.controls { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; margin-bottom: 12px; }
.controls label { white-space: nowrap; }
.controls input[type=search] { padding: 5px 8px; min-width: 260px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: inherit; font: inherit; }
.no-js .controls { display: none; }
#shown { color: var(--muted); }
table { width: 100%; border-collapse: collapse; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: var(--head); position: sticky; top: 0; }
td.name, td.fields { overflow-wrap: anywhere; }
code { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.status { font-weight: 600; white-space: nowrap; }
tr.modified .status { color: var(--modified); } tr.missing .status { color: var(--missing); } tr.failed .status { color: var(--failed); }
tr.unmanaged .status { color: var(--unmanaged); } tr.in-sync .status { color: var(--in-sync); }
.reason { color: var(--muted); }
.field { margin: 2px 0; }
.field .path { font-weight: 600; }
del, ins { text-decoration: none; border-radius: 3px; padding: 0 3px; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
del { background: var(--del-bg); color: var(--del-fg); }
del::before { content: "− "; } ins::before { content: "+ "; }
ins { background: var(--ins-bg); color: var(--ins-fg); }
.empty { color: var(--muted); text-align: center; padding: 24px; }
[hidden] { display: none !important; }
@media print {
  body { padding: 0; font-size: 11px; }
  .controls, button.card { border: 0; }
  .controls { display: none; }
  th { position: static; }
  tr { break-inside: avoid; }
  del { text-decoration: line-through; } ins { text-decoration: underline; }
  del, ins { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`;

const SCRIPT = `
(function () {
  document.body.classList.remove('no-js');
  var rows = Array.prototype.slice.call(document.querySelectorAll('#report tbody tr[data-status]'));
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[name=status]'));
  var search = document.getElementById('search');
  var shown = document.getElementById('shown');
  var empty = document.getElementById('none-shown');
  function update() {
    var on = {};
    boxes.forEach(function (b) { on[b.value] = b.checked; });
    var q = search.value.trim().toLowerCase();
    var n = 0;
    rows.forEach(function (r) {
      var visible = on[r.getAttribute('data-status')] && (q === '' || r.getAttribute('data-search').indexOf(q) >= 0);
      r.hidden = !visible;
      if (visible) n++;
    });
    shown.textContent = n + ' of ' + rows.length + ' shown';
    if (empty) empty.hidden = n > 0 || rows.length === 0;
  }
  boxes.forEach(function (b) { b.addEventListener('change', update); });
  search.addEventListener('input', update);
  Array.prototype.forEach.call(document.querySelectorAll('button.card[data-only]'), function (card) {
    card.addEventListener('click', function () {
      var only = card.getAttribute('data-only');
      boxes.forEach(function (b) { b.checked = only === 'all' || b.value === only; });
      update();
    });
  });
  update();
})();
`;

const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

export function renderDriftHtml(report: DriftReport, opts: HtmlOptions = {}): string {
  const title = opts.title ?? 'vertexctl drift report';
  const s = report.summary;
  const multiStack = new Set(report.resources.map((r) => r.stack).filter((x) => x !== null)).size > 1;
  const csp = `default-src 'none'; style-src ${hash(STYLE)}; script-src ${hash(SCRIPT)}`;
  const when = opts.generatedAt ? ` · ${escapeHtml(opts.generatedAt.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}` : '';
  const cards = [
    ...DRIFT_STATUSES.map(
      (st) => `<button type="button" class="card ${st}" data-only="${st}" title="Show only ${LABEL[st].toLowerCase()}"><span class="n">${s[st]}</span>${LABEL[st]}</button>`,
    ),
    `<button type="button" class="card" data-only="all" title="Show every status"><span class="n">${s.coverage}%</span>Coverage</button>`,
  ];
  const checks = DRIFT_STATUSES.map((st) => `<label><input type="checkbox" name="status" value="${st}" checked> ${LABEL[st]}</label>`);
  // What drifted first, in the report's order within each status.
  const order = (r: DriftResource) => DRIFT_STATUSES.indexOf(r.status);
  const rows = [...report.resources].sort((a, b) => order(a) - order(b)).map((r) => resourceRow(r, multiStack));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body class="no-js">
<header>
<h1>${escapeHtml(title)}</h1>
<p class="verdict"><strong>${report.drifted ? 'Drift detected' : 'No drift'}:</strong> ${escapeHtml(countsPhrase(report))}.${when}</p>
</header>
<div class="cards">
${cards.join('\n')}
</div>
<div class="controls" role="search">
${checks.join('\n')}
<input type="search" id="search" placeholder="Search addresses, names, fields…" aria-label="Search">
<span id="shown" aria-live="polite"></span>
</div>
<table id="report">
<thead><tr><th>Status</th><th>Address</th><th>Type</th><th>Name</th><th>Details</th></tr></thead>
<tbody>
${rows.length ? rows.join('\n') : '<tr><td colspan="5" class="empty">The stacks have no resources.</td></tr>'}
<tr id="none-shown" hidden><td colspan="5" class="empty">No resource matches the filter.</td></tr>
</tbody>
</table>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function resourceRow(r: DriftResource, multiStack: boolean): string {
  const address = r.address === null ? '<span class="reason">unmanaged</span>' : `<code>${escapeHtml(multiStack ? qualifiedAddress(r) : r.address)}</code>`;
  const details = [
    ...(r.reason ? [`<div class="reason">${escapeHtml(r.reason)}</div>`] : []),
    ...(r.fields ?? []).map(fieldDiff),
  ];
  const searchable = [r.address, r.stack, r.type, r.name, r.status, r.reason, ...(r.fields ?? []).map((f) => f.path)].filter(Boolean).join(' ').toLowerCase();
  return [
    `<tr class="${r.status}" data-status="${r.status}" data-search="${escapeHtml(searchable)}">`,
    `<td class="status">${LABEL[r.status]}</td>`,
    `<td>${address}</td>`,
    `<td><code>${escapeHtml(r.type)}</code></td>`,
    `<td class="name">${r.name ? `<code>${escapeHtml(r.name)}</code>` : ''}</td>`,
    `<td class="fields">${details.join('')}</td>`,
    '</tr>',
  ].join('');
}

function fieldDiff(f: FieldDrift): string {
  const actual = escapeHtml(showValue(f, 'actual', MAX_VALUE));
  const expected = escapeHtml(showValue(f, 'expected', MAX_VALUE));
  return `<div class="field"><code class="path">${escapeHtml(f.path)}</code> <del title="live">${actual}</del> <ins title="manifest">${expected}</ins></div>`;
}
