import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Type } from 'protobufjs';

/**
 * TensorBoard event files (`events.out.tfevents.*`): TFRecord framing, each record an `Event`
 * message. Only what scalar metrics need is decoded; the rest of each message is skipped.
 */

/**
 * The part of tensorflow/core/util/event.proto, summary.proto, tensor.proto and
 * tensor_shape.proto that scalars are read from (same field numbers; unknown fields are skipped).
 */
const DESCRIPTOR = {
  nested: {
    Event: {
      fields: {
        wallTime: { type: 'double', id: 1 },
        step: { type: 'int64', id: 2 },
        fileVersion: { type: 'string', id: 3 },
        summary: { type: 'Summary', id: 5 },
      },
    },
    Summary: {
      fields: { value: { rule: 'repeated', type: 'SummaryValue', id: 1 } },
    },
    SummaryValue: {
      fields: {
        tag: { type: 'string', id: 1 },
        simpleValue: { type: 'float', id: 2 },
        tensor: { type: 'TensorProto', id: 8 },
        metadata: { type: 'SummaryMetadata', id: 9 },
      },
    },
    SummaryMetadata: {
      fields: { pluginData: { type: 'PluginData', id: 1 } },
    },
    PluginData: {
      fields: { pluginName: { type: 'string', id: 1 } },
    },
    TensorProto: {
      fields: {
        dtype: { type: 'int32', id: 1 },
        tensorShape: { type: 'TensorShapeProto', id: 2 },
        tensorContent: { type: 'bytes', id: 4 },
        floatVal: { rule: 'repeated', type: 'float', id: 5 },
        doubleVal: { rule: 'repeated', type: 'double', id: 6 },
        intVal: { rule: 'repeated', type: 'int32', id: 7 },
        int64Val: { rule: 'repeated', type: 'int64', id: 10 },
      },
    },
    TensorShapeProto: {
      fields: { dim: { rule: 'repeated', type: 'TensorShapeDim', id: 2 } },
    },
    TensorShapeDim: {
      fields: { size: { type: 'int64', id: 1 } },
    },
  },
};

// protobufjs is loaded when the first event file is read, not by every command
const require = createRequire(import.meta.url);
let eventType: Type | undefined;
const EventType = (): Type => (eventType ??= (require('protobufjs') as typeof import('protobufjs')).Root.fromJSON(DESCRIPTOR).lookupType('Event'));

type Int64 = number | { toNumber(): number };

interface TensorProto {
  dtype?: number;
  tensorShape?: { dim?: { size?: Int64 }[] };
  tensorContent?: Uint8Array;
  floatVal?: number[];
  doubleVal?: number[];
  intVal?: number[];
  int64Val?: Int64[];
}

interface SummaryValue {
  tag?: string;
  simpleValue?: number;
  tensor?: TensorProto;
}

interface EventMessage {
  wallTime?: number;
  step?: Int64;
  summary?: { value?: SummaryValue[] };
}

// tensorflow/core/framework/types.proto
const DT_FLOAT = 1;
const DT_DOUBLE = 2;
const DT_INT32 = 3;
const DT_INT64 = 9;

/** A record that is not what an event file holds; `record` counts from 1. */
export class EventFileError extends Error {
  constructor(
    readonly record: number,
    message: string,
  ) {
    super(message);
  }
}

/** One scalar value found in an event file. */
export interface TaggedScalar {
  tag: string;
  step: number;
  value: number;
  /** Seconds since the epoch, as the writer recorded it. */
  wallTime?: number;
  /** The record it came from, counting from 1. */
  record: number;
}

/** Reads the scalars of one event file, record by record, checking each record's CRC-32C. */
export async function* readEventFile(path: string): AsyncGenerator<TaggedScalar> {
  let record = 0;
  for await (const data of readRecords(path)) {
    record++;
    let event: EventMessage;
    try {
      event = EventType().toObject(EventType().decode(data), { defaults: false }) as EventMessage;
    } catch (err) {
      throw new EventFileError(record, `not an Event message (${(err as Error).message})`);
    }
    for (const v of event.summary?.value ?? []) {
      const value = v.simpleValue !== undefined ? v.simpleValue : v.tensor ? scalarOfTensor(v.tensor, record, v.tag ?? '') : undefined;
      if (value === undefined || v.tag === undefined) continue;
      yield { tag: v.tag, step: toNumber(event.step ?? 0), value, wallTime: event.wallTime, record };
    }
  }
}

function toNumber(n: Int64): number {
  return typeof n === 'number' ? n : n.toNumber();
}

/** The value of a scalar tensor (TF2's summaries), or undefined for a tensor that is no number. */
function scalarOfTensor(t: TensorProto, record: number, tag: string): number | undefined {
  const dims = t.tensorShape?.dim ?? [];
  const size = dims.reduce((n, d) => n * toNumber(d.size ?? 0), 1);
  const numeric = [DT_FLOAT, DT_DOUBLE, DT_INT32, DT_INT64].includes(t.dtype ?? 0);
  if (!numeric) return undefined;
  if (size !== 1) throw new EventFileError(record, `tag "${tag}" holds a tensor of shape [${dims.map((d) => toNumber(d.size ?? 0)).join(', ')}], not a scalar`);
  const content = t.tensorContent;
  if (content && content.length) {
    const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
    const width = t.dtype === DT_DOUBLE || t.dtype === DT_INT64 ? 8 : 4;
    if (content.length < width) throw new EventFileError(record, `tag "${tag}": tensor content is ${content.length} bytes, too short for its type`);
    if (t.dtype === DT_FLOAT) return view.getFloat32(0, true);
    if (t.dtype === DT_DOUBLE) return view.getFloat64(0, true);
    if (t.dtype === DT_INT32) return view.getInt32(0, true);
    return Number(view.getBigInt64(0, true));
  }
  const list = t.floatVal?.length ? t.floatVal : t.doubleVal?.length ? t.doubleVal : t.intVal?.length ? t.intVal : t.int64Val?.map(toNumber);
  if (!list?.length) throw new EventFileError(record, `tag "${tag}": scalar tensor without a value`);
  return list[0];
}

// ---------------------------------------------------------------------------------------------
// TFRecord framing: uint64 length, uint32 masked CRC-32C of the length, data, uint32 masked CRC-32C of the data

const READ_CHUNK = 1 << 20;

/** The data of each record, read through a buffer of about 1 MB (a record larger than that is read whole). */
async function* readRecords(path: string): AsyncGenerator<Uint8Array> {
  const file = await open(path, 'r');
  try {
    let buf = Buffer.alloc(0);
    let eof = false;
    const fill = async (need: number): Promise<boolean> => {
      while (buf.length < need && !eof) {
        const chunk = Buffer.alloc(Math.max(READ_CHUNK, need - buf.length));
        const { bytesRead } = await file.read(chunk, 0, chunk.length, null);
        if (bytesRead === 0) eof = true;
        buf = buf.length ? Buffer.concat([buf, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      }
      return buf.length >= need;
    };
    for (let record = 1; ; record++) {
      if (!(await fill(12))) {
        if (buf.length) throw new EventFileError(record, `truncated: ${buf.length} bytes where a record header of 12 was expected`);
        return;
      }
      const length = buf.readBigUInt64LE(0);
      if (maskedCrc32c(buf.subarray(0, 8)) !== buf.readUInt32LE(8)) throw new EventFileError(record, 'corrupt: the CRC-32C of the record length does not match');
      if (length > BigInt(1 << 30)) throw new EventFileError(record, `corrupt: record length ${length} is not plausible`);
      const total = 12 + Number(length) + 4;
      if (!(await fill(total))) throw new EventFileError(record, `truncated: the record says ${length} bytes, the file ends first`);
      const data = buf.subarray(12, 12 + Number(length));
      if (maskedCrc32c(data) !== buf.readUInt32LE(12 + Number(length))) throw new EventFileError(record, 'corrupt: the CRC-32C of the record data does not match');
      yield data;
      buf = buf.subarray(total);
    }
  } finally {
    await file.close();
  }
}

/** CRC-32C (Castagnoli), reflected polynomial 0x82F63B78: the checksum TFRecord uses. */
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = CRC32C_TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** TFRecord stores CRCs masked, so that a CRC over data holding CRCs stays well distributed. */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data);
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}
