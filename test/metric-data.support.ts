import protobuf from 'protobufjs';
import { maskedCrc32c } from '../src/kinds/tfevents.js';
import type { ResourceSpec } from './plan-fixtures.js';

/**
 * Helpers of the metric data tests and benchmark: stacks of time series fed from data files, and
 * TensorBoard event files written field by field (wire format), independent of the reader's descriptor.
 */

export const LOCATION = 'us-central1';

/** Tensorboard, one experiment, runs and their series; `dataPoints` of each series as given. */
export function seriesStack(project: string, runs: string[], series: { run: string; id: string; dataPoints: unknown; extra?: Record<string, unknown> }[]): ResourceSpec[] {
  const where = { projectsId: project, locationsId: LOCATION };
  const board = { ...where, tensorboardsId: '{{ board.tensorboardsId }}' };
  return [
    { name: 'board', type: 'google.aiplatform.tensorboards', props: { ...where, displayName: 'board' } },
    { name: 'exp', type: 'google.aiplatform.experiments', props: { ...board, experimentsId: 'exp' } },
    ...runs.map((r) => ({ name: `run-${r}`, type: 'google.aiplatform.runs', props: { ...board, experimentsId: '{{ exp.experimentsId }}', runsId: r, displayName: `run ${r}` } })),
    ...series.map((s) => ({
      name: `${s.run}-${s.id}`,
      type: 'google.aiplatform.time_series',
      props: {
        ...board,
        experimentsId: '{{ exp.experimentsId }}',
        runsId: `{{ run-${s.run}.runsId }}`,
        timeSeriesId: s.id,
        displayName: s.id,
        valueType: 'SCALAR',
        dataPoints: s.dataPoints,
        ...s.extra,
      },
    })),
  ];
}

export function csvOf(points: { step: number; value: number }[]): string {
  return `step,value\n${points.map((p) => `${p.step},${p.value}`).join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// TensorBoard event files (tensorflow/core/util/event.proto, framework/summary.proto, tensor.proto)

const DT_FLOAT = 1;

export type EventSpec =
  | { fileVersion: string; wallTime: number }
  | { step: number; wallTime: number; tag: string; simpleValue: number }
  | { step: number; wallTime: number; tag: string; tensorFloat: number; packed?: boolean };

function summaryValue(spec: Extract<EventSpec, { tag: string }>): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 2).string(spec.tag);
  if ('simpleValue' in spec) w.uint32((2 << 3) | 5).float(spec.simpleValue);
  else {
    // TF2: a rank-0 float tensor, its value as raw content or in float_val; metadata names the plugin.
    const t = protobuf.Writer.create();
    t.uint32((1 << 3) | 0).int32(DT_FLOAT);
    t.uint32((2 << 3) | 2).bytes(new Uint8Array(0));
    if (spec.packed) {
      const f = protobuf.Writer.create();
      f.float(spec.tensorFloat);
      t.uint32((5 << 3) | 2).bytes(f.finish());
    } else {
      const raw = Buffer.alloc(4);
      raw.writeFloatLE(spec.tensorFloat);
      t.uint32((4 << 3) | 2).bytes(raw);
    }
    w.uint32((8 << 3) | 2).bytes(t.finish());
    const plugin = protobuf.Writer.create().uint32((1 << 3) | 2).string('scalars').finish();
    w.uint32((9 << 3) | 2).bytes(protobuf.Writer.create().uint32((1 << 3) | 2).bytes(plugin).finish());
  }
  return w.finish();
}

export function eventBytes(spec: EventSpec): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 1).double(spec.wallTime);
  if ('fileVersion' in spec) w.uint32((3 << 3) | 2).string(spec.fileVersion);
  else {
    w.uint32((2 << 3) | 0).int64(spec.step);
    const summary = protobuf.Writer.create().uint32((1 << 3) | 2).bytes(summaryValue(spec)).finish();
    w.uint32((5 << 3) | 2).bytes(summary);
  }
  return w.finish();
}

/** TFRecord framing: length, masked CRC-32C of the length, data, masked CRC-32C of the data. */
export function frameRecord(data: Uint8Array): Buffer {
  const header = Buffer.alloc(12);
  header.writeBigUInt64LE(BigInt(data.length), 0);
  header.writeUInt32LE(maskedCrc32c(header.subarray(0, 8)), 8);
  const footer = Buffer.alloc(4);
  footer.writeUInt32LE(maskedCrc32c(data), 0);
  return Buffer.concat([header, data, footer]);
}

export function eventFile(events: EventSpec[]): Buffer {
  return Buffer.concat(events.map((e) => frameRecord(eventBytes(e))));
}
