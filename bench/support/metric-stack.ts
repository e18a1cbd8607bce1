/**
 * The metric-data benchmark's stack and phases, shared by bench/metric-data.ts (its own table)
 * and bench/speed.ts (one row of the speed table): 100 time series × 10,000 points in data
 * files, and each phase (apply, then the no-op plan) in a process of its own so its peak memory
 * is its own (bench/support/metric-phase.ts).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

export const RUNS = 10;
export const TAGS = 10;
export const POINTS = 10_000;
export const LATENCY_MS = 20;
export const PARALLELISM = 10;
export type Format = 'jsonl' | 'csv';

const here = dirname(fileURLToPath(import.meta.url));
const phaseScript = join(here, 'metric-phase.ts');

export function writeStack(dir: string, project: string, format: Format): void {
  const where = { projectsId: project, locationsId: 'us-central1' };
  const board = { ...where, tensorboardsId: '{{ board.tensorboardsId }}' };
  const props = (p: Record<string, unknown>) => Object.entries(p).map(([name, value]) => ({ name, value }));
  const resources: unknown[] = [
    { name: 'board', type: 'google.aiplatform.tensorboards', props: props({ ...where, displayName: 'board' }) },
    { name: 'exp', type: 'google.aiplatform.experiments', props: props({ ...board, experimentsId: 'exp' }) },
  ];
  mkdirSync(join(dir, 'data'), { recursive: true });
  for (let r = 0; r < RUNS; r++) {
    resources.push({ name: `run-${r}`, type: 'google.aiplatform.runs', props: props({ ...board, experimentsId: '{{ exp.experimentsId }}', runsId: `run-${r}`, displayName: `run ${r}` }) });
    for (let t = 0; t < TAGS; t++) {
      const file = `data/run-${r}-tag-${t}.${format}`;
      const lines: string[] = format === 'csv' ? ['step,value'] : [];
      for (let s = 0; s < POINTS; s++) {
        const value = Math.round(1e6 / (s + 1 + r + t)) / 1e6;
        lines.push(format === 'csv' ? `${s},${value}` : `{"step":${s},"value":${value}}`);
      }
      writeFileSync(join(dir, file), `${lines.join('\n')}\n`);
      resources.push({
        name: `run-${r}-tag-${t}`,
        type: 'google.aiplatform.time_series',
        props: props({ ...board, experimentsId: '{{ exp.experimentsId }}', runsId: `{{ run-${r}.runsId }}`, timeSeriesId: `tag-${t}`, displayName: `tag ${t}`, valueType: 'SCALAR', dataPoints: { file } }),
      });
    }
  }
  writeFileSync(join(dir, 'stack.yaml'), stringify({ version: 1, name: project, resources }));
}

export interface PhaseResult {
  wallMs: number;
  cpuMs: number;
  changes: number;
  failed: number;
  peakRssMb: number;
}

/** Runs a phase in a child process; the emulator in this process keeps serving meanwhile. */
export async function runPhase(phase: 'apply' | 'plan', dir: string, endpoint: string): Promise<PhaseResult> {
  const child = spawn(process.execPath, [...process.execArgv.filter((a) => a.startsWith('--cpu-prof')), '--import', 'tsx', phaseScript, phase, dir, join(dir, 'state'), endpoint, String(PARALLELISM)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  if (code !== 0) throw new Error(`${phase} failed: ${stderr}`);
  return JSON.parse(stdout.trim().split('\n').pop()!) as PhaseResult;
}

