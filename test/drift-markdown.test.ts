import { describe, expect, it } from 'vitest';
import { GITHUB_COMMENT_LIMIT } from '../src/core/markdown.js';
import { assembleReport, renderDriftMarkdown, type DriftResource } from '../src/drift/index.js';

/** The Markdown drift report: its tables, masking of sensitive values, and truncation below GitHub's limit. */

const base = { stack: 'vision', type: 'google.aiplatform.tensorboards' };
const board = (i: number) => `projects/p/locations/us-central1/tensorboards/${i}`;

function sample(): DriftResource[] {
  return [
    { ...base, address: 'training', name: board(1), status: 'modified', fields: [{ path: 'displayName', expected: 'vision-training', actual: 'renamed | by hand' }] },
    {
      ...base,
      address: 'secret-job',
      type: 'google.aiplatform.custom_jobs',
      name: 'projects/p/locations/us-central1/customJobs/7',
      status: 'modified',
      fields: [{ path: 'jobSpec', expected: '(sensitive)', actual: '(sensitive)', sensitive: true }],
    },
    { ...base, address: 'run-b', type: 'google.aiplatform.runs', name: `${board(1)}/experiments/e/runs/b`, status: 'missing', reason: 'recorded in state, but no longer exists' },
    { ...base, address: 'eval', type: 'google.aiplatform.notebook_execution_jobs', name: 'projects/p/locations/us-central1/notebookExecutionJobs/eval', status: 'failed', reason: 'JOB_STATE_FAILED: <b>boom</b>' },
    { address: null, stack: null, type: 'google.aiplatform.tensorboards', name: board(9), status: 'unmanaged' },
    { ...base, address: 'baseline', type: 'google.aiplatform.experiments', name: `${board(1)}/experiments/e`, status: 'in-sync' },
  ];
}

describe('renderDriftMarkdown', () => {
  it('has the summary line, a table per status, and field differences in collapsible diffs', () => {
    const md = renderDriftMarkdown(assembleReport(sample()));
    expect(md).toContain('**Drift detected:** 2 modified, 1 missing, 1 failed, 1 unmanaged; 1 in sync; coverage 80%.');
    expect(md).toContain('| Modified | Missing | Failed | Unmanaged | In sync | Coverage |\n| ---: | ---: | ---: | ---: | ---: | ---: |\n| 2 | 1 | 1 | 1 | 1 | 80% |');
    expect(md).toContain(
      [
        '### 🟡 Modified (2)',
        '',
        '| Address | Type | Name | Fields |',
        '| --- | --- | --- | --- |',
        `| \`training\` | \`google.aiplatform.tensorboards\` | \`${board(1)}\` | displayName |`,
      ].join('\n'),
    );
    expect(md).toContain(`### 🔴 Missing (1)\n\n| Address | Type | Name | Reason |\n| --- | --- | --- | --- |\n| \`run-b\` | \`google.aiplatform.runs\``);
    // A reason is text in a cell: its HTML is escaped, never rendered.
    expect(md).toContain('| JOB_STATE_FAILED: &lt;b&gt;boom&lt;/b&gt; |');
    expect(md).toContain(`### 🟣 Unmanaged (1)\n\n| Type | Name |\n| --- | --- |\n| \`google.aiplatform.tensorboards\` | \`${board(9)}\` |`);
    expect(md).toContain('<details><summary><code>training</code>: 1 field</summary>\n\n```diff\n- displayName: "renamed | by hand"\n+ displayName: "vision-training"\n```\n\n</details>');
    expect(md).toContain('<details><summary>🟢 In sync (1)</summary>');
    expect(md).not.toContain('NOTE');
  });

  it('masks sensitive values, whatever the report carries', () => {
    const leaky = sample();
    leaky[1].fields = [{ path: 'jobSpec.env', expected: 'hunter2', actual: 'p@ssw0rd', sensitive: true }];
    const md = renderDriftMarkdown(assembleReport(leaky));
    expect(md).toContain('- jobSpec.env: (sensitive)\n+ jobSpec.env: (sensitive)');
    expect(md).not.toMatch(/hunter2|p@ssw0rd/);
  });

  it('a report too long for a comment is cut between rows, below the limit, with a note saying what is left out', () => {
    const many: DriftResource[] = [];
    for (let i = 0; i < 3000; i++) {
      many.push({ ...base, address: `board-${i}`, name: board(i), status: 'modified', fields: [{ path: 'description', expected: 'x'.repeat(40), actual: `changed ${i}` }] });
    }
    for (let i = 0; i < 500; i++) many.push({ address: null, stack: null, type: base.type, name: board(10_000 + i), status: 'unmanaged' });
    const report = assembleReport(many);
    const md = renderDriftMarkdown(report);
    expect(md.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
    expect(md.length).toBeGreaterThan(60_000);
    expect(md).toContain('**Drift detected:** 3000 modified, 500 unmanaged; 0 in sync; coverage 85.7%.');
    const shownRows = md.split('\n').filter((l) => /^\| `board-\d+` \|/.test(l)).length;
    expect(shownRows).toBeGreaterThan(100);
    expect(shownRows).toBeLessThan(3000);
    const note = md.trimEnd().split('\n').slice(-2).join('\n');
    expect(note).toBe(
      `> [!NOTE]\n> Truncated to stay below GitHub's 65,536-character limit: ${3000 - shownRows + 500} resources, 3000 field differences not shown. The \`--format json\` and \`--format html\` reports have everything.`,
    );
    // Rows are whole: every table line ends its row.
    for (const line of md.split('\n').filter((l) => l.startsWith('| `board-'))) expect(line.endsWith('|')).toBe(true);
    // A smaller limit is honoured too.
    expect(renderDriftMarkdown(report, { limit: 5_000 }).length).toBeLessThanOrEqual(5_000);
  });
});
