import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ApiClient, type Operation } from '../src/api/client.js';
import { bodyFromProps } from '../src/kinds/body.js';
import { getKind } from '../src/kinds/index.js';
import { recordedInline } from '../src/kinds/time-series-data.js';
import { idOf, parentName } from '../src/kinds/names.js';
import { dependencyOrder, loadStack, resolveReferences } from '../src/manifest/index.js';
import type { Stack } from '../src/manifest/types.js';
import { newStateDoc, openState, type StateDoc } from '../src/state/index.js';

/**
 * Fixtures of the plan tests: manifests written from plain objects, and resources made through
 * the emulator's REST API directly (not through the applier), optionally recorded in a state doc.
 */

export const PROJECT = 'p1';
export const LOCATION = 'us-central1';
export const PARENT = `projects/${PROJECT}/locations/${LOCATION}`;

export interface ResourceSpec {
  name: string;
  type: string;
  props: Record<string, unknown>;
  protected?: boolean;
  ignoreChanges?: string[];
  deletionPolicy?: 'delete' | 'abandon';
  sensitive?: string[];
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `vertexctl-${prefix}-`));
}

/** Writes one manifest file for the stack and loads it. */
export async function stackOf(dir: string, name: string, resources: ResourceSpec[]): Promise<Stack> {
  const file = join(dir, 'stack.yaml');
  writeFileSync(file, manifestText(name, resources));
  return loadStack([file], { environment: {} });
}

export function manifestText(name: string, resources: ResourceSpec[]): string {
  return stringify({
    version: 1,
    name,
    resources: resources.map((r) => ({
      name: r.name,
      type: r.type,
      props: Object.entries(r.props).map(([k, v]) => ({ name: k, value: v, ...(r.sensitive?.includes(k) && { sensitive: true }) })),
      ...(r.protected && { protected: true }),
      ...(r.ignoreChanges && { ignoreChanges: r.ignoreChanges }),
      ...(r.deletionPolicy && { deletionPolicy: r.deletionPolicy }),
    })),
  });
}

const where = { projectsId: PROJECT, locationsId: LOCATION };
const inBoard = { ...where, tensorboardsId: '{{ training.tensorboardsId }}' };

/** One resource of every kind, as a team would write them. */
export function allKinds(): ResourceSpec[] {
  return [
    {
      name: 'training',
      type: 'google.aiplatform.tensorboards',
      props: { ...where, displayName: 'training', description: 'training curves', labels: { team: 'vision' } },
    },
    {
      name: 'baseline',
      type: 'google.aiplatform.experiments',
      props: { ...inBoard, experimentsId: 'baseline', displayName: 'Baseline', source: 'notebook', labels: { tier: 'dev' } },
    },
    {
      name: 'run-a',
      type: 'google.aiplatform.runs',
      props: { ...inBoard, experimentsId: '{{ baseline.experimentsId }}', runsId: 'run-a', displayName: 'lr=0.01', description: 'first' },
    },
    {
      name: 'loss',
      type: 'google.aiplatform.time_series',
      props: {
        ...inBoard,
        experimentsId: '{{ baseline.experimentsId }}',
        runsId: '{{ run-a.runsId }}',
        timeSeriesId: 'loss',
        displayName: 'loss',
        valueType: 'SCALAR',
        pluginName: 'scalars',
        dataPoints: [
          { step: 1, wallTime: '2024-05-01T10:00:00Z', scalar: { value: 2.5 } },
          { step: 2, wallTime: '2024-05-01T12:05:00+02:00', scalar: { value: 1.25 } },
        ],
      },
    },
    {
      name: 'trainer',
      type: 'google.aiplatform.custom_jobs',
      props: {
        ...where,
        displayName: 'trainer',
        labels: { team: 'vision' },
        jobSpec: {
          workerPoolSpecs: [{ machineSpec: { machineType: 'n1-standard-4' }, replicaCount: 1, containerSpec: { imageUri: 'gcr.io/p1/trainer:1' } }],
          scheduling: { timeout: '7200.000s' },
          tensorboard: '{{ training.name }}',
        },
      },
    },
    {
      name: 'nightly-eval',
      type: 'google.aiplatform.notebook_execution_jobs',
      props: {
        ...where,
        notebookExecutionJobsId: 'nightly-eval',
        displayName: 'nightly eval',
        gcsNotebookSource: { uri: 'gs://b/eval.ipynb' },
        gcsOutputUri: 'gs://b/out',
        customEnvironmentSpec: { machineSpec: { machineType: 'n1-standard-4' }, persistentDiskSpec: { diskSizeGb: 100 } },
      },
    },
    {
      name: 'weekly-report',
      type: 'google.notebooks.executions',
      props: {
        ...where,
        executionsId: 'weekly-report',
        description: 'weekly report',
        executionTemplate: {
          scaleTier: 'CUSTOM',
          masterType: 'n1-standard-4',
          inputNotebookFile: 'gs://b/report.ipynb',
          outputNotebookFolder: 'gs://b/reports',
          containerImageUri: 'gcr.io/deeplearning-platform-release/base-cpu',
          labels: { report: 'weekly' },
        },
      },
    },
  ];
}

/** A copy of the specs with one resource's props changed. */
export function withProps<T extends ResourceSpec>(specs: T[], name: string, change: (props: Record<string, unknown>) => void): T[] {
  return specs.map((s) => {
    if (s.name !== name) return s;
    const props = structuredClone(s.props);
    change(props);
    return { ...s, props };
  });
}

export function testClient(url: string, extra: { retries?: number } = {}): ApiClient {
  return new ApiClient({ endpoint: url, retryBaseMs: 5, ...extra });
}

export interface Created {
  name: string;
  props: Record<string, unknown>;
}

/**
 * Creates the stack's resources with plain REST calls, in dependency order, references resolved
 * from what was created; with `owner`, bodies carry the ownership labels (as vertexctl's would).
 */
export async function createDirect(client: ApiClient, stack: Stack, owner = true): Promise<Map<string, Created>> {
  const created = new Map<string, Created>();
  const byAddress = new Map(stack.resources.map((r) => [r.address, r]));
  for (const address of dependencyOrder(stack.resources)) {
    const r = byAddress.get(address)!;
    const lookup = (a: string, field: string) => {
      const c = created.get(a);
      if (!c) return undefined;
      if (field === 'name') return c.name;
      if (field === getKind(byAddress.get(a)!.type).idProp) return idOf(c.name);
      return c.props[field];
    };
    const props = resolveReferences(r.props, lookup).value as Record<string, unknown>;
    const kind = r.kind;
    const parent = parentName(kind, props);
    const body = bodyFromProps(kind, props, owner ? { stack: stack.name, address } : undefined);
    const query = kind.createIdParam ? { [kind.createIdParam]: String(props[kind.idProp]) } : undefined;
    let res = await client.request<Record<string, unknown>>({ api: kind.api, method: 'POST', path: `v1/${parent}/${kind.collection}`, query, body });
    if (kind.create === 'lro') res = (await client.waitOperation(kind.api, res as unknown as Operation)).response!;
    const name = String(res.name);
    if (Array.isArray(props.dataPoints)) await writePoints(client, name, String(props.valueType), props.dataPoints);
    created.set(address, { name, props: { ...props, ...Object.fromEntries(Object.entries(res).filter(([k]) => !(k in props))) } });
  }
  return created;
}

export async function writePoints(client: ApiClient, series: string, valueType: string, points: unknown[]): Promise<void> {
  const run = series.slice(0, series.lastIndexOf('/timeSeries/'));
  await client.request({
    api: 'aiplatform',
    method: 'POST',
    path: `v1/${run}:write`,
    body: { timeSeriesData: [{ tensorboardTimeSeriesId: idOf(series), valueType, values: points }] },
  });
}

/** A state doc recording the created resources as last applied (what an apply would have written). */
export function stateFor(stack: Stack, created: Map<string, Created>): StateDoc {
  const doc = newStateDoc(stack.name);
  doc.serial = 1;
  for (const r of stack.resources) {
    const c = created.get(r.address);
    if (!c) continue;
    const kind = r.kind;
    const props = Object.fromEntries(Object.entries(c.props).filter(([k]) => k in r.props));
    // State keeps a digest of metric points, never the points.
    if (Array.isArray(props.dataPoints)) props.dataPoints = recordedInline(props.dataPoints as Record<string, unknown>[]);
    const outputs = { ...c.props, name: c.name, [kind.idProp]: idOf(c.name) };
    doc.resources[r.address] = { type: r.type, name: c.name, id: idOf(c.name), props, outputs, ...(r.dependsOn.length && { dependsOn: r.dependsOn }) };
  }
  return doc;
}

export async function saveState(dir: string, doc: StateDoc): Promise<void> {
  await openState(dir, doc.stack, doc.env).write(doc);
}

/** Waits until the emulator's jobs reached a terminal state (their state must not matter to plan). */
export function settle(ms = 60): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
