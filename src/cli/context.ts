import { join } from 'node:path';
import { ApiClient } from '../api/client.js';
import type { RunningEmulator } from '../emulator/index.js';
import { stateKind } from '../state/index.js';
import type { GlobalOptions } from './options.js';

/** What a command that talks to the API needs: a client, and where it points. */
export interface ApiContext {
  client: ApiClient;
  /** The endpoint every call goes to; undefined for Google's own endpoints. */
  endpoint?: string;
  /** Closes the client's connections and stops an embedded emulator (its data is saved). */
  close(): Promise<void>;
}

/** Where `--emulator` keeps its data: beside the local state (`state/emulator-data`). */
export function emulatorDataDir(opts: Pick<GlobalOptions, 'state'>): string {
  const stateDir = stateKind(opts.state) === 'local' ? opts.state : 'state';
  return join(stateDir, 'emulator-data');
}

let embedded: Promise<RunningEmulator> | undefined;

/** The `--emulator` of this process, started on first use: the API client and gs:// state share it. */
export function embeddedEmulator(opts: Pick<GlobalOptions, 'state'>): Promise<RunningEmulator> {
  // loaded only by the commands that start it
  embedded ??= import('../emulator/index.js').then(({ startEmulator }) => startEmulator({ port: 0, dataDir: emulatorDataDir(opts), quiet: true }));
  return embedded;
}

/** Stops the embedded emulator, if one runs (its data is saved). */
export async function closeEmbeddedEmulator(): Promise<void> {
  const running = embedded;
  embedded = undefined;
  if (running) await (await running).close();
}

/**
 * The API client for a command: `--emulator` starts the embedded emulator in this process,
 * `--endpoint` (or VERTEXCTL_ENDPOINT) sends every call to that URL without credentials, and
 * otherwise calls go to Google with Application Default Credentials.
 */
export async function openContext(opts: GlobalOptions): Promise<ApiContext> {
  const debug = opts.debug ? (line: string) => process.stderr.write(`[api] ${line}\n`) : undefined;
  const clientOptions = { maxInFlightPerHost: opts.parallelism, debug, quotas: opts.quota };
  if (opts.emulator) {
    const emulator = await embeddedEmulator(opts);
    const client = new ApiClient({ ...clientOptions, endpoint: emulator.url });
    return {
      client,
      endpoint: emulator.url,
      async close() {
        client.close();
        await closeEmbeddedEmulator();
      },
    };
  }
  const client = new ApiClient({
    ...clientOptions,
    ...(opts.endpoint && { endpoint: opts.endpoint }),
    ...(opts.impersonateServiceAccount && { impersonate: opts.impersonateServiceAccount }),
  });
  return {
    client,
    endpoint: opts.endpoint,
    async close() {
      client.close();
    },
  };
}
