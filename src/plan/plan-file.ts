import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { UserError } from '../core/errors.js';
import { writeFileAtomic } from '../files/write-atomic.js';
import { compile, planFileSchemaDocument } from '../schema/registry.js';
import { schemaIssues } from '../schema/validate.js';
import { canonicalJson } from './normalize.js';
import { publicChange, summarize } from './planner.js';
import { PLAN_FORMAT_VERSION, type Plan, type PlannedStep, type PlanTarget } from './types.js';

/**
 * Plan files (`plan --out FILE`, `apply FILE`, `show FILE`): the Plan's steps and where it goes,
 * with a digest of the content. Reading is strict: the file must match
 * schemas/plan-file.schema.json, every edge must name a step, and the digest must match, or the
 * file is refused in one line naming it (and the step), before anything talks to an API. The
 * public changes and the summary are derived from the steps again, so what is shown is what runs.
 */

/** What a plan file holds: the Plan without its derived parts. */
type PlanFileBody = Omit<Plan, 'changes' | 'summary'> & { target: PlanTarget };

export async function writePlanFile(path: string, plan: Plan & { target: PlanTarget }): Promise<void> {
  const { changes, summary, ...rest } = plan;
  void changes;
  void summary;
  const body: PlanFileBody = rest;
  const file = { ...body, digest: digestOf(body) };
  // Temp file and rename: a reader never sees half a plan. The plan holds prop values (some may
  // be sensitive), so it is readable by its owner only.
  try {
    await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  } catch (err) {
    throw new UserError(`${path}: cannot write the plan file: ${(err as Error).message}`);
  }
}

export async function readPlanFile(path: string): Promise<Plan & { target: PlanTarget }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UserError(`${path}: cannot read the plan file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UserError(`${path}: not a vertexctl plan file (not JSON; truncated?); refusing the plan file`);
  }
  return checkPlanFile(raw, path);
}

/** Whether a file's first bytes look like a plan file (lets `apply` take a plan file or manifests). */
export async function isPlanFile(path: string): Promise<boolean> {
  try {
    const head = (await readFile(path, 'utf8')).slice(0, 200);
    return /^\s*\{\s*"kind"\s*:\s*"vertexctl-plan"/.test(head);
  } catch {
    return false;
  }
}

function digestOf(body: PlanFileBody): string {
  return `sha256:${createHash('sha256').update(canonicalJson(body)).digest('hex')}`;
}

function checkPlanFile(raw: unknown, path: string): Plan & { target: PlanTarget } {
  const refuse = (why: string): never => {
    throw new UserError(`${path}: ${why}; refusing the plan file`);
  };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return refuse('not a vertexctl plan file (not a JSON object)');
  const p = raw as Partial<PlanFileBody & { digest: string }>;
  if (p.kind !== 'vertexctl-plan') return refuse('not a vertexctl plan file (no "kind": "vertexctl-plan")');
  if (p.formatVersion !== PLAN_FORMAT_VERSION) {
    return refuse(`plan format version ${String(p.formatVersion)} is not one this vertexctl reads (${PLAN_FORMAT_VERSION})`);
  }
  const validate = compile(planFileSchemaDocument());
  if (!validate(raw)) {
    const [issue] = schemaIssues(validate.errors ?? [], raw);
    const [top, index, ...rest] = issue.segments;
    const steps = Array.isArray(p.steps) ? p.steps : [];
    if (top === 'steps' && typeof index === 'number') {
      const where = rest.length || issue.field ? ` ${[...rest, ...(issue.field !== undefined ? [issue.field] : [])].join('.')}` : '';
      return refuse(`${stepLabel(steps[index], index)}:${where} ${issue.message}`);
    }
    const where = [...issue.segments, ...(issue.field !== undefined ? [issue.field] : [])].join('.');
    return refuse(`${where ? `${where}: ` : ''}${issue.message}`);
  }
  const { digest, ...body } = raw as PlanFileBody & { digest: string };
  const seen = new Set<string>();
  body.steps.forEach((s, i) => {
    if (seen.has(s.address)) refuse(`${stepLabel(s, i)}: a second step for the same address`);
    seen.add(s.address);
  });
  body.steps.forEach((s, i) => {
    const missing = s.after.find((a) => !seen.has(a));
    if (missing !== undefined) refuse(`${stepLabel(s, i)}: comes after "${missing}", which has no step in the plan`);
  });
  if (digest !== digestOf(body)) refuse('its content does not match its digest (edited after `plan --out` wrote it)');
  return { ...body, changes: body.steps.map(publicChange), summary: summarize(body.steps) };
}

function stepLabel(step: Partial<PlannedStep> | undefined, index: number): string {
  return typeof step?.address === 'string' ? `step ${index + 1} ("${step.address}")` : `step ${index + 1}`;
}
