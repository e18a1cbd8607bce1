import {
  describePointsChange,
  needsLivePoints,
  pendingPoints,
  planPoints,
  preparePoints,
  readLivePoints,
  recordedPoints,
  writePoints,
  type PlannedPoints,
  type PointsChange,
  type PreparedPoints,
} from './time-series-data.js';
import type { KindApi, KindDef } from './types.js';

/** A resource whose virtual props are written: its desired props (as planned) and the live resource. */
export interface VirtualPropTarget {
  props: Record<string, unknown>;
  live: Record<string, unknown>;
}

/**
 * Props that are ours rather than the API body's (KindDef.virtualProps) and carry data written
 * with calls of their own (a time series' metric points). The planner and applier go through
 * these functions only; what the data is and how it is compared stays here.
 */
export interface VirtualProp {
  /**
   * Checks the manifest's value (data files included) and works out what plan compares. Throws
   * DataSourceError for bad data. `recorded`: what state keeps of the last write.
   */
  prepare(value: unknown, ctx: { manifestFile: string; recorded: unknown; props: Record<string, unknown> }): Promise<unknown>;
  /** Whether refresh must read the live value: it may differ from what state vouches for. */
  needsLive(prepared: unknown, recorded: unknown): boolean;
  read(client: KindApi, kind: KindDef, name: string): Promise<unknown>;
  /**
   * What the step carries to apply (`value`, in place of the prop), the change to show
   * (undefined: nothing to do), and a reason when only recreating the resource gets there.
   * `recordOnly`: the live value is as desired, only state's record of it is out of date.
   * `fresh`: the resource is created or recreated; `liveRead`: refresh was asked to read `live`.
   */
  plan(
    prepared: unknown,
    ctx: { live?: unknown; fresh: boolean; liveRead: boolean; props: Record<string, unknown> },
  ): Promise<{ value: unknown; change?: unknown; recreate?: string; recordOnly?: boolean }>;
  /** Writes the planned values; returns the number of write calls. */
  write(client: KindApi, targets: VirtualPropTarget[], opts: { parallelism: number }): Promise<number>;
  /** What state keeps of a planned value once it is written. */
  recorded(planned: unknown): unknown;
  /** The recorded value marked as being written, stored before the write starts. */
  pending(recorded: unknown): unknown;
  /** A planned change in words, for the plan text. */
  describe(change: unknown): string;
}

export const VIRTUAL_PROPS: Record<string, VirtualProp> = {
  dataPoints: {
    prepare: (value, ctx) => preparePoints(value, { manifestFile: ctx.manifestFile, recorded: ctx.recorded, valueType: ctx.props.valueType }),
    needsLive: (prepared, recorded) => needsLivePoints(prepared as PreparedPoints, recorded),
    read: (client, _kind, name) => readLivePoints(client, name),
    plan: (prepared, ctx) =>
      planPoints(prepared as PreparedPoints, {
        live: ctx.live as Map<number, Record<string, unknown>> | undefined,
        fresh: ctx.fresh,
        liveRead: ctx.liveRead,
        replaceOnDataRemoval: ctx.props.replaceOnDataRemoval === true,
      }),
    write: (client, targets, opts) =>
      writePoints(
        client,
        targets.map((t) => ({
          series: String(t.live.name),
          valueType: String(t.props.valueType ?? t.live.valueType),
          planned: t.props.dataPoints as PlannedPoints,
        })),
        opts,
      ),
    recorded: recordedPoints,
    pending: pendingPoints,
    describe: (change) => describePointsChange(change as PointsChange),
  },
};

/** The kind's virtual props that carry data (the others, like replaceOnDataRemoval, are settings read by those). */
export function dataProps(kind: KindDef): readonly (readonly [string, VirtualProp])[] {
  let props = dataPropsOf.get(kind);
  if (!props) dataPropsOf.set(kind, (props = kind.virtualProps.filter((p) => VIRTUAL_PROPS[p]).map((p) => [p, VIRTUAL_PROPS[p]] as const)));
  return props;
}

// Asked for every resource of every plan: worked out once per kind.
const dataPropsOf = new WeakMap<KindDef, (readonly [string, VirtualProp])[]>();

/**
 * The props as state keeps them: data props reduced to what `recorded` keeps. Props with no data
 * to reduce are returned as they are, not copied: state freezes the entries it keeps, so they
 * are never edited (and a create's finished entry shares them with its intent, frozen once).
 */
export function recordedProps(kind: KindDef, props: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const [p, handler] of dataProps(kind)) {
    if (props[p] === undefined) continue;
    out ??= { ...props };
    out[p] = handler.recorded(props[p]);
  }
  return out ?? props;
}
