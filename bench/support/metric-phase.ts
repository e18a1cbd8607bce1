/**
 * One phase of the metric data benchmark in a process of its own, so its peak memory is its own:
 * `apply` (load, plan, apply, as `vertexctl apply --auto-approve` does) or `plan` (load and
 * plan). Prints one JSON line: wall time, CPU time, changes planned and peak RSS.
 *
 * Usage: metric-phase.ts apply|plan STACK_DIR STATE_DIR ENDPOINT PARALLELISM
 */
import { ApiClient } from '../../src/api/client.js';
import { executePlan } from '../../src/apply/executor.js';
import { loadStack } from '../../src/manifest/index.js';
import { makePlan } from '../../src/plan/index.js';
import { StateStore, openState } from '../../src/state/index.js';

const [phase, stackDir, stateDir, endpoint, parallelismArg] = process.argv.slice(2);
const parallelism = Number(parallelismArg);
const client = new ApiClient({ endpoint, maxInFlightPerHost: parallelism });
const start = performance.now();
const cpuStart = process.cpuUsage();
const stack = await loadStack([stackDir], { environment: {} });
const store = await StateStore.open(openState(stateDir, stack.name), stack.name);
const plan = await makePlan(stack, { client, stateDoc: store.doc, refresh: true });
const changes = plan.steps.filter((s) => s.action !== 'no-op').length;
let failed = 0;
if (phase === 'apply') {
  const summary = await executePlan(plan, { client, store, waitJobs: false, live: new Map() }, { parallelism, stepTimeoutMs: 600_000, onEvent: () => undefined });
  failed = summary.failed.length + summary.skipped.length;
}
const wallMs = performance.now() - start;
client.close();
// maxRSS is in kilobytes.
const cpu = process.cpuUsage(cpuStart);
process.stdout.write(`${JSON.stringify({ wallMs, cpuMs: (cpu.user + cpu.system) / 1000, changes, failed, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
