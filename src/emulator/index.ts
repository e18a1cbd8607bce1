import { EmulatorCore } from './engine.js';
import type { EmulatorOptions } from './options.js';
import { Persistence } from './persistence.js';
import { ProjectDirectory } from './projects.js';
import { mountCloudStorage } from './storage/http.js';
import { checkConfig, checkFailRule, checkProjectNumbers, EmulatorServer, emptyStats } from './server.js';

export type { EmulatorOptions, FaultProfile, JobOutcomeProfile, QuotaSettings } from './options.js';

/**
 * A local emulator of the Vertex AI (aiplatform v1) and Notebooks (v1) REST APIs for the kinds
 * of src/kinds, on http://127.0.0.1:PORT/. Admin endpoints: GET /__emulator/stats,
 * POST /__emulator/reset, POST /__emulator/config, POST /__emulator/fail-jobs.
 */
export interface RunningEmulator {
  /** http://127.0.0.1:PORT/ (trailing slash) */
  url: string;
  port: number;
  /** The number the emulator gives a project id in aiplatform names. */
  projectNumber(projectId: string): string;
  /** Stops serving and writes the state to dataDir. */
  close(): Promise<void>;
  configure(opts: Partial<EmulatorOptions>): void;
  /** make a job (custom job / notebook execution job / notebooks execution) end FAILED: by full name or display-name regex */
  failJobs(match: { name?: string; displayNamePattern?: string; message?: string }): void;
  /** Jobs created from now on end as their outcome profile says again (the rules of failJobs are dropped). */
  clearJobFailures(): void;
  stats(): { requests: { total: number; byMethod: Record<string, number>; byPathKind?: Record<string, number>; byStatus?: Record<string, number> } };
  resetStats(): void;
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  const { port, dataDir, projectIdsInNames, projectNumbers, ...runtime } = opts;
  const projects = new ProjectDirectory(projectIdsInNames === true, checkProjectNumbers(projectNumbers));
  const core = new EmulatorCore(checkConfig(runtime), projects);
  if (dataDir) {
    core.persistence = new Persistence(dataDir, () => core.store.snapshot());
    const saved = await core.persistence.load();
    // Data saved before names carried project numbers is renamed on the way in.
    if (saved !== undefined) core.store.restore(saved, (name) => projects.canonical(name));
  }
  const server = new EmulatorServer(core);
  const storage = await mountCloudStorage(server, dataDir);
  const boundPort = await server.listen(port ?? 0);
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${boundPort}/`,
    port: boundPort,
    projectNumber: (id) => projects.numberOf(id),
    close() {
      closing ??= (async () => {
        core.closed = true;
        await server.close();
        await core.persistence?.flush();
        await storage.objects.flush();
      })();
      return closing;
    },
    configure(change) {
      core.configure(checkConfig(change));
    },
    failJobs(match) {
      core.failJobs(checkFailRule(match));
    },
    clearJobFailures() {
      core.clearFailRules();
    },
    stats() {
      return structuredClone(server.stats);
    },
    resetStats() {
      server.stats = emptyStats();
    },
  };
}
