import { findKind } from '../kinds/index.js';
import { escapeForDisplay } from '../core/display.js';
import { describeFailedJob } from '../kinds/job-status.js';
import { childPath, type PathSegment } from '../core/paths.js';
import { dataProps } from '../kinds/virtual-props.js';
import { SENSITIVE_MASK } from '../manifest/sensitive.js';
import { publicChange, summarize } from './planner.js';
import { PLAN_FORMAT_VERSION, type Action, type Change, type FieldChange, type Plan, type PlanJson, type PlannedStep } from './types.js';

/** Renderings of a plan: terraform-like text for people, the DESIGN.md JSON for machines. */

const KNOWN_AFTER_APPLY = '(known after apply)';

/** The plan JSON contract (DESIGN.md): the public part of each step (sensitive values are masked when planned). */
export function toPlanJson(plan: Pick<Plan, 'steps' | 'mode'>): PlanJson {
  const changes: Change[] = plan.steps.map(publicChange);
  return { formatVersion: PLAN_FORMAT_VERSION, ...(plan.mode && { mode: plan.mode }), changes, summary: summarize(changes) };
}

export interface TextOptions {
  color: boolean;
}

/** Whether output to this stream may be coloured: a terminal, and NO_COLOR not set. */
export function useColor(stream: { isTTY?: boolean }): boolean {
  return !!stream.isTTY && !process.env.NO_COLOR;
}

const SYMBOL: Record<Action, string> = { create: '+', update: '~', replace: '-/+', delete: '-', record: '#', adopt: '<=', 'no-op': '=' };
const ANSI = { green: 32, yellow: 33, red: 31, magenta: 35, dim: 2, bold: 1 } as const;
const COLOR: Record<Action, keyof typeof ANSI> = {
  create: 'green',
  update: 'yellow',
  replace: 'magenta',
  delete: 'red',
  record: 'yellow',
  adopt: 'green',
  'no-op': 'dim',
};

export function renderPlanText(plan: Pick<Plan, 'steps' | 'mode'>, opts: TextOptions): string {
  const paint = (c: keyof typeof ANSI, s: string) => (opts.color ? `\u001b[${ANSI[c]}m${s}\u001b[0m` : s);
  if (plan.mode === 'refresh-only') return renderRefreshOnly(plan, paint);
  const lines: string[] = [];
  const changed = plan.steps.filter((s) => s.action !== 'no-op');
  if (changed.length) {
    lines.push('vertexctl will perform the following actions:', '');
    for (const step of changed) lines.push(...renderStep(step, paint), '');
  }
  // Jobs that ended badly stay as they are (nothing to change), but never silently.
  const failedJobs = plan.steps.filter((s) => s.action === 'no-op' && s.job?.outcome === 'failed');
  if (failedJobs.length) {
    for (const step of failedJobs) {
      lines.push(`  ${paint('red', '!')} ${escapeForDisplay(step.address)} (${step.type}): ${escapeForDisplay(describeFailedJob(step.name ?? step.address, step.job!, step.address))}`);
    }
    lines.push('');
  }
  const sum = summarize(plan.steps);
  if (!changed.length) lines.push(paint('bold', 'No changes. Live resources match the manifests.'));
  else {
    // State-only actions are counted when there are some (the first four counts are always shown).
    const stateOnly = [sum.adopt ? `${sum.adopt} to adopt` : '', sum.record ? `${sum.record} to record` : ''].filter(Boolean);
    lines.push(
      `${paint('bold', 'Plan:')} ${sum.create} to create, ${sum.update} to update, ${sum.replace} to replace, ${sum.delete} to destroy${stateOnly.map((x) => `, ${x}`).join('')}.`,
    );
  }
  return `${lines.join('\n')}\n`;
}

type Paint = (c: keyof typeof ANSI, s: string) => string;

/** A refresh-only plan is its own kind of plan, worded as Terraform words it. */
function renderRefreshOnly(plan: Pick<Plan, 'steps'>, paint: Paint): string {
  const records = plan.steps.filter((s) => s.action === 'record');
  if (!records.length) {
    return `${paint('bold', 'No changes.')} The live resources still match the state; nothing changed outside vertexctl, nothing to record.\n`;
  }
  const lines = ['Changes made outside vertexctl since the last apply:', ''];
  for (const step of records) lines.push(...renderStep(step, paint), '');
  lines.push(
    'This is a refresh-only plan: applying it records these values in state and changes nothing in the cloud.',
    'It does not change the manifests: plan and drift still show where the live resources differ from them.',
    '',
    `${paint('bold', 'Refresh-only plan:')} ${records.length} to record in state.`,
  );
  return `${lines.join('\n')}\n`;
}

/** How a step's headline reads when its reason code says more than its action. */
const HEADLINE_BY_REASON: Partial<Record<string, string>> = {
  changed_outside: 'has changed outside vertexctl',
  deleted_outside: 'has been deleted outside vertexctl',
};

const HEADLINE: Record<Action, string> = {
  create: 'will be created',
  update: 'will be updated in-place',
  replace: 'must be replaced',
  delete: 'will be destroyed',
  record: 'changes in state only',
  adopt: 'exists and will be recorded in state',
  'no-op': 'is unchanged',
};

function renderStep(step: PlannedStep, paint: Paint): string[] {
  const sym = paint(COLOR[step.action], SYMBOL[step.action].padStart(3));
  const byReason = step.reasonCode && HEADLINE_BY_REASON[step.reasonCode];
  // Those headlines say what the reason says.
  const reason = step.reason && !byReason ? ` (${escapeForDisplay(step.reason)})` : '';
  const order = step.order ? `, ${step.order}` : '';
  const headline = byReason || HEADLINE[step.action];
  const out = [`${sym} ${paint('bold', escapeForDisplay(step.address))} (${escapeForDisplay(step.type)}) ${headline}${reason}${order}`];
  out.push(`      name: ${step.name === undefined ? KNOWN_AFTER_APPLY : escapeForDisplay(step.name)}`);
  if (step.job) out.push(`      job: ${step.job.state}${step.job.error ? ` (${escapeForDisplay(step.job.error)})` : ''}`);
  if (step.updateMask?.length) out.push(`      updateMask: ${step.updateMask.join(',')}`);
  const kind = findKind(step.type);
  const data = new Map(kind ? dataProps(kind) : []);
  for (const f of step.fields ?? []) {
    // Virtual data (metric points) is written, not patched: its handler says how much, never item by item.
    const handler = data.get(f.path);
    if (handler && !f.sensitive && f.after !== undefined) {
      const forces = f.forcesReplace && step.action === 'replace' ? paint('magenta', '  # forces replacement') : '';
      out.push(`      ${paint(step.action === 'create' ? 'green' : 'yellow', step.action === 'create' ? '+' : '~')} ${f.path}: ${handler.describe(f.after)}${forces}`);
    } else out.push(...renderField(f, step.action, paint));
  }
  return out;
}

function renderField(f: FieldChange, action: Action, paint: Paint): string[] {
  const forces = f.forcesReplace && action === 'replace' ? paint('magenta', '  # forces replacement') : '';
  const line = (sym: string, path: string, text: string) => `      ${sym} ${escapeForDisplay(path)}: ${text}${forces}`;
  // Sensitive values were masked when planned; they are shown bare, like "(known after apply)".
  const text = (v: unknown) => (f.sensitive ? SENSITIVE_MASK : show(v));
  const after = () => (f.unknown ? KNOWN_AFTER_APPLY : text(f.after));
  if (f.before === undefined) {
    if (f.unknown || f.sensitive) return [line(paint('green', '+'), f.path, after())];
    // A new value: objects are listed leaf by leaf, as people write them.
    return leaves(f.after, f.path).map(([p, v]) => line(paint('green', '+'), p, show(v)));
  }
  if (f.after === undefined && !f.unknown) return [line(paint('red', '-'), f.path, text(f.before))];
  return [line(paint('yellow', '~'), f.path, `${text(f.before)} → ${after()}`)];
}

/** Short lists and objects are spelled out leaf by leaf; long lists are counted. */
const MAX_LISTED_ITEMS = 3;

function leaves(value: unknown, path: string): [string, unknown][] {
  const segs: PathSegment[] = [];
  const out: [string, unknown][] = [];
  const walk = (v: unknown) => {
    const here = () => segs.reduce<string>((p, seg) => childPath(p, seg), path);
    if (Array.isArray(v) && v.length > 0 && v.length <= MAX_LISTED_ITEMS && v.some(isStructured)) {
      v.forEach((item, i) => {
        segs.push(i);
        walk(item);
        segs.pop();
      });
    } else if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
      for (const [k, child] of Object.entries(v)) {
        segs.push(k);
        walk(child);
        segs.pop();
      }
    } else out.push([here(), v]);
  };
  walk(value);
  return out;
}

function isStructured(v: unknown): boolean {
  return v !== null && typeof v === 'object';
}

function show(v: unknown): string {
  if (Array.isArray(v) && v.length > MAX_LISTED_ITEMS) return `[${v.length} items]`;
  // JSON escapes C0 controls; the bidi and invisible characters it leaves are escaped too.
  const text = escapeForDisplay(JSON.stringify(v) ?? String(v));
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
