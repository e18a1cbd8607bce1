import { readFile } from 'node:fs/promises';
import { UserError } from '../core/errors.js';
import { writeFileAtomic } from '../files/write-atomic.js';
import { PLAN_FORMAT_VERSION, type Plan } from './types.js';

/** Plan files (`plan --out FILE`, `apply FILE`): the Plan value as JSON. */

export async function writePlanFile(path: string, plan: Plan): Promise<void> {
  // Temp file and rename: a reader never sees half a plan. The plan holds prop values (some may
  // be sensitive), so it is readable by its owner only.
  try {
    await writeFileAtomic(path, `${JSON.stringify(plan, null, 2)}\n`, { mode: 0o600 });
  } catch (err) {
    throw new UserError(`${path}: cannot write the plan file: ${(err as Error).message}`);
  }
}

export async function readPlanFile(path: string): Promise<Plan> {
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
    throw new UserError(`${path}: not a vertexctl plan file (not JSON)`);
  }
  return checkPlan(raw, path);
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

function checkPlan(raw: unknown, path: string): Plan {
  const fail = (why: string): never => {
    throw new UserError(`${path}: not a vertexctl plan file (${why})`);
  };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return fail('not a JSON object');
  const p = raw as Partial<Plan>;
  if (p.kind !== 'vertexctl-plan') return fail('no "kind": "vertexctl-plan"');
  if (p.formatVersion !== PLAN_FORMAT_VERSION) {
    throw new UserError(`${path}: plan format version ${String(p.formatVersion)} is not one this vertexctl reads (${PLAN_FORMAT_VERSION})`);
  }
  if (typeof p.stack !== 'string' || !Array.isArray(p.steps) || !p.state || typeof p.state.serial !== 'number' || !p.fingerprints) {
    return fail('stack, steps, state or fingerprints missing');
  }
  return p as Plan;
}
