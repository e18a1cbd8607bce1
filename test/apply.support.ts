import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiClient } from '../src/api/client.js';
import { KINDS } from '../src/kinds/index.js';
import type { KindDef } from '../src/kinds/types.js';
import { loadStack } from '../src/manifest/index.js';
import { makePlan } from '../src/plan/index.js';
import type { Plan } from '../src/plan/types.js';
import { openState } from '../src/state/index.js';

/** Helpers of the apply, crash and lock tests: the CLI as a child process, plans, and live inventories. */

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = join(ROOT, 'src/cli/main.ts');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const scratch: string[] = [];

/** A fresh temporary directory, removed by removeScratchDirs() (call it in afterAll). */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `vertexctl-${prefix}-`));
  scratch.push(dir);
  return dir;
}

export function removeScratchDirs(): void {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Starts `vertexctl ARGS` (stdin a pipe, so never a terminal). */
export function spawnCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', VERTEXCTL_ENDPOINT: '', VERTEXCTL_STATE: '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export function finished(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((done) => child.on('close', (code, signal) => done({ code, signal, stdout, stderr })));
}

export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const child = spawnCli(args, env);
  child.stdin!.end();
  return finished(child);
}

/** The plan a fresh `vertexctl plan` would print, made in this process. */
export async function planNow(paths: string[], stateDir: string, client: ApiClient): Promise<Plan> {
  const stack = await loadStack(paths, { environment: {} });
  const stateDoc = await openState(stateDir, stack.name, stack.env).read();
  return makePlan(stack, { client, stateDoc, refresh: true });
}

export function changesOf(plan: Plan): string[] {
  return plan.steps.filter((s) => s.action !== 'no-op').map((s) => `${s.action} ${s.address}`);
}

export interface LiveItem {
  kind: KindDef;
  name: string;
  body: Record<string, unknown>;
}

/** Every live resource of a project and location, walking the tensorboard tree, by full name. */
export async function inventory(client: ApiClient, project: string, location: string): Promise<Map<string, LiveItem>> {
  const out = new Map<string, LiveItem>();
  const walk = async (kind: KindDef, parent: string) => {
    const items = client.list<Record<string, unknown>>({ api: kind.api, path: `v1/${parent}/${kind.collection}`, itemsField: kind.listItemsField, query: kind.listQuery });
    for await (const body of items) {
      const name = String(body.name);
      out.set(name, { kind, name, body });
      for (const child of KINDS.filter((k) => k.parentType === kind.type)) await walk(child, name);
    }
  };
  for (const kind of KINDS.filter((k) => !k.parentType)) await walk(kind, `projects/${project}/locations/${location}`);
  return out;
}

/** Resolves once `check` holds (polled every few ms); rejects after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
