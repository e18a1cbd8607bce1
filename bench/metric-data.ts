/**
 * Metric data as desired state at scale: 1,000,000 points (100 time series × 10,000 points, in
 * 10 runs of one experiment) from data files, synced into the emulator at 20 ms latency per
 * request. Each phase runs in a process of its own (bench/support/metric-phase.ts) so its peak
 * memory is measured alone: the first apply (everything new), then the no-op plan after it.
 * Printed beside the targets of issue 13, and the figures before it (inline points kept in state).
 * The emulator runs in this process, so its CPU time during a phase is this process's: on a
 * machine with fewer than two free cores, the wall time includes waiting for the emulator.
 * `node --cpu-prof --import tsx bench/metric-data.ts` profiles this process and every phase.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../src/emulator/index.js';
import { LATENCY_MS, PARALLELISM, POINTS, RUNS, TAGS, runPhase, writeStack, type Format } from './support/metric-stack.js';

const FORMATS = (process.env.BENCH_FORMATS?.split(',') ?? ['jsonl', 'csv']) as readonly Format[];

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

const emulator = await startEmulator({ port: 0, operationDelayMs: 1, quiet: true });
const root = mkdtempSync(join(tmpdir(), 'vertexctl-bench-metric-'));
const rows: string[] = [];
const row = (cells: string[]) => rows.push(`| ${cells.join(' | ')} |`);
try {
  for (const format of FORMATS) {
    const project = `bench-metric-${format}`;
    const dir = join(root, project);
    writeStack(dir, project, format);
    emulator.configure({ latencyMs: LATENCY_MS });

    emulator.resetStats();
    let cpu = process.cpuUsage();
    const apply = await runPhase('apply', dir, emulator.url);
    const applyEmulatorMs = cpuMs(process.cpuUsage(cpu));
    const applyStats = emulator.stats().requests;
    const writes = (applyStats.byPathKind?.['experiments.write'] ?? 0) + (applyStats.byPathKind?.['runs.write'] ?? 0);
    if (apply.failed) throw new Error(`apply left ${apply.failed} steps failed or skipped`);
    const stateBytes = statSync(join(dir, 'state', `${project}.json`)).size;

    emulator.resetStats();
    cpu = process.cpuUsage();
    const plan = await runPhase('plan', dir, emulator.url);
    const planEmulatorMs = cpuMs(process.cpuUsage(cpu));
    const planStats = emulator.stats().requests;
    if (plan.changes) throw new Error(`the plan after apply has ${plan.changes} changes`);

    const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    const mb = (n: number) => `${n.toFixed(0)} MB`;
    row([`apply (${format})`, sec(apply.wallMs), sec(apply.cpuMs), sec(applyEmulatorMs), `${applyStats.total} (${writes} writes)`, mb(apply.peakRssMb), 'under 5 s, 300 MB', '24 s, 1.39 GB']);
    row([`no-op plan (${format})`, sec(plan.wallMs), sec(plan.cpuMs), sec(planEmulatorMs), `${planStats.total} (${planStats.byPathKind?.['timeSeries.exportTensorboardTimeSeries'] ?? 0} point reads)`, mb(plan.peakRssMb), 'under 1 s, 200 MB', '']);
    row([`state file (${format})`, '', '', '', '', `${(stateBytes / 1024).toFixed(0)} KB`, 'under 1 MB', '169 MB']);
  }
  console.log(
    `metric data: ${RUNS * TAGS} series × ${POINTS.toLocaleString('en-US')} points = ${(RUNS * TAGS * POINTS).toLocaleString('en-US')} points from data files, ` +
      `emulator latency ${LATENCY_MS} ms, --parallelism ${PARALLELISM}; each phase in its own process (peak RSS includes tsx)\n`,
  );
  console.log('| phase | wall | CPU (vertexctl) | CPU (emulator) | API requests | peak RSS / size | target | before (inline points in state) |');
  console.log('|---|---:|---:|---:|---:|---:|---|---|');
  for (const r of rows) console.log(r);
} finally {
  await emulator.close();
  rmSync(root, { recursive: true, force: true });
}
