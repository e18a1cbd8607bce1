/**
 * Loading and validating a 5,000-resource stack (10 files, every kind, references, templates,
 * per-environment values, data points): CPU time (process.cpuUsage) and wall time against the
 * target of well under one second of CPU. Cold = first load in the process (includes compiling
 * the schemas); warm = the median of the following loads.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStack } from '../src/manifest/index.js';

const FILES = 10;
const TARGET_CPU_MS = 1000;

/**
 * For comparison: this bench before the loader used precompiled validators and single walks
 * (commit a2ccb14), medians of 4 runs on the 2-core development machine, measured 2026-11-23
 * while it was quiet (it is noisy: the same code measures up to 30% slower at busy times).
 */
const BEFORE = { commit: 'a2ccb14', cold: { cpuMs: 1020, wallMs: 660 }, warm: { cpuMs: 390, wallMs: 320 } };

function parentProps(extra: Record<string, string> = {}): string {
  const props: Record<string, string> = { projectsId: '{{ project }}', locationsId: '{{ region }}', ...extra };
  return Object.entries(props)
    .map(([k, v]) => `      - name: ${k}\n        value: '${v}'\n`)
    .join('');
}

/** 500 resources: 1 tensorboard, 4 experiments, 200 runs, 200 time series, 45 + 25 + 25 jobs. */
function stackFile(f: number): string {
  const out: string[] = [f === 0 ? 'version: 1\nname: bench\nglobals:\n  - name: project\n    value: bench-project\n  - name: region\n    value: us-central1\n  - name: bucket\n    value: \'gs://{{ project }}-bench\'\nresources:\n' : 'version: 1\nresources:\n'];
  const tb = `tb-${f}`;
  out.push(`  - name: ${tb}\n    type: google.aiplatform.tensorboards\n    props:\n${parentProps()}      - name: displayName\n        value: board ${f}\n      - name: labels\n        values:\n          dev: { value: { tier: dev } }\n          default: { value: { tier: prod } }\n`);
  const tbRef = { tensorboardsId: `{{ ${tb}.tensorboardsId }}` };
  for (let e = 0; e < 4; e++) {
    out.push(`  - name: exp-${f}-${e}\n    type: google.aiplatform.experiments\n    props:\n${parentProps(tbRef)}      - name: experimentsId\n        value: exp-${e}\n      - name: displayName\n        value: experiment ${e}\n`);
  }
  for (let r = 0; r < 200; r++) {
    const exp = `exp-${f}-${r % 4}`;
    const runRef = { ...tbRef, experimentsId: `{{ ${exp}.experimentsId }}` };
    out.push(`  - name: run-${f}-${r}\n    type: google.aiplatform.runs\n    props:\n${parentProps(runRef)}      - name: runsId\n        value: run-${r}\n      - name: displayName\n        value: run ${r}\n      - name: labels\n        value: { lr: "0-${r}" }\n`);
    out.push(`  - name: loss-${f}-${r}\n    type: google.aiplatform.time_series\n    props:\n${parentProps({ ...runRef, runsId: `{{ run-${f}-${r}.runsId }}` })}      - name: timeSeriesId\n        value: loss\n      - name: displayName\n        value: loss\n      - name: valueType\n        value: SCALAR\n      - name: dataPoints\n        value:\n          - { step: 1, wallTime: '2024-05-01T10:00:00Z', scalar: { value: 2.3 } }\n          - { step: 2, wallTime: '2024-05-01T10:05:00Z', scalar: { value: 1.7 } }\n          - { step: 3, wallTime: '2024-05-01T10:10:00Z', scalar: { value: 1.2 } }\n`);
  }
  for (let j = 0; j < 45; j++) {
    out.push(`  - name: train-${f}-${j}\n    type: google.aiplatform.custom_jobs\n    props:\n${parentProps()}      - name: displayName\n        value: train ${j}\n      - name: jobSpec\n        value:\n          workerPoolSpecs:\n            - machineSpec: { machineType: n1-standard-4 }\n              replicaCount: '1'\n              containerSpec:\n                imageUri: us-docker.pkg.dev/vertex-ai/training/tf-cpu.2-14.py310:latest\n                args: [--epochs=10, --seed=${j}]\n          baseOutputDirectory: { outputUriPrefix: '{{ bucket }}/train-${j}' }\n          tensorboard: '{{ ${tb}.name }}'\n`);
  }
  for (let j = 0; j < 25; j++) {
    out.push(`  - name: eval-${f}-${j}\n    type: google.aiplatform.notebook_execution_jobs\n    props:\n${parentProps()}      - name: notebookExecutionJobsId\n        value: eval-${f}-${j}\n      - name: displayName\n        value: eval ${j}\n      - name: gcsNotebookSource\n        value: { uri: '{{ bucket }}/eval.ipynb' }\n      - name: gcsOutputUri\n        value: '{{ bucket }}/eval-${j}'\n      - name: executionTimeout\n        value: 3600s\n`);
    out.push(`  - name: report-${f}-${j}\n    type: google.notebooks.executions\n    props:\n${parentProps()}      - name: executionsId\n        value: report-${f}-${j}\n      - name: executionTemplate\n        value:\n          scaleTier: CUSTOM\n          masterType: n1-standard-4\n          inputNotebookFile: '{{ bucket }}/report.ipynb'\n          outputNotebookFolder: '{{ bucket }}/reports'\n          containerImageUri: gcr.io/deeplearning-platform-release/base-cpu\n          jobType: VERTEX_AI\n`);
  }
  return out.join('');
}

async function measure(dir: string): Promise<{ cpuMs: number; wallMs: number; resources: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const stack = await loadStack([dir], { environment: {} });
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000, wallMs, resources: stack.resources.length };
}

const dir = mkdtempSync(join(tmpdir(), 'vertexctl-bench-load-'));
try {
  let bytes = 0;
  for (let f = 0; f < FILES; f++) {
    const text = stackFile(f);
    bytes += Buffer.byteLength(text);
    writeFileSync(join(dir, `part-${String(f).padStart(2, '0')}.yaml`), text);
  }
  const cold = await measure(dir);
  const warm: { cpuMs: number; wallMs: number }[] = [];
  for (let i = 0; i < 5; i++) warm.push(await measure(dir));
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const warmCpu = median(warm.map((w) => w.cpuMs));
  const warmWall = median(warm.map((w) => w.wallMs));
  const verdict = (ms: number): string => (ms < TARGET_CPU_MS ? 'ok' : 'OVER');
  const load = loadavg().map((n) => n.toFixed(1)).join(' ');
  console.log(`load + validate: ${cold.resources} resources in ${FILES} files, ${(bytes / 1024 / 1024).toFixed(1)} MB of YAML`);
  console.log(`(machine: ${cpus().length} cores, load average ${load}; CPU time counts V8's background compiler and GC threads too)\n`);
  console.log('| run            | CPU ms | wall ms | target CPU ms | result |');
  console.log('|----------------|-------:|--------:|--------------:|--------|');
  console.log(`| cold (1st)     | ${cold.cpuMs.toFixed(0).padStart(6)} | ${cold.wallMs.toFixed(0).padStart(7)} | < ${TARGET_CPU_MS} | ${verdict(cold.cpuMs)} |`);
  console.log(`| warm (median)  | ${warmCpu.toFixed(0).padStart(6)} | ${warmWall.toFixed(0).padStart(7)} | < ${TARGET_CPU_MS} | ${verdict(warmCpu)} |`);
  for (const run of ['cold', 'warm'] as const) {
    const { cpuMs, wallMs } = BEFORE[run];
    console.log(`| ${`${run}, before`.padEnd(14)} | ${String(cpuMs).padStart(6)} | ${String(wallMs).padStart(7)} | < ${TARGET_CPU_MS} | ${verdict(cpuMs)} (at ${BEFORE.commit}) |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
