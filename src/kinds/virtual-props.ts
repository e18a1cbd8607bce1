import { readDataPoints, writeDataPoints } from './time-series-data.js';
import type { KindApi, KindDef } from './types.js';

/** A resource whose virtual props are written: its desired props and the live resource. */
export interface VirtualPropTarget {
  props: Record<string, unknown>;
  live: Record<string, unknown>;
}

/**
 * Props that are ours rather than the API body's (KindDef.virtualProps): how refresh reads
 * their live value and how apply writes them, in as few calls as the API allows.
 */
export interface VirtualProp {
  read(client: KindApi, kind: KindDef, name: string): Promise<unknown[]>;
  write(client: KindApi, targets: VirtualPropTarget[]): Promise<void>;
}

export const VIRTUAL_PROPS: Record<string, VirtualProp> = {
  dataPoints: {
    read: readDataPoints,
    async write(client, targets) {
      await writeDataPoints(
        client,
        targets
          .filter((t) => Array.isArray(t.props.dataPoints))
          .map((t) => ({
            series: String(t.live.name),
            valueType: String(t.props.valueType ?? t.live.valueType),
            points: t.props.dataPoints as unknown[],
          })),
      );
    },
  },
};

export function virtualProp(kind: KindDef, prop: string): VirtualProp {
  const handler = VIRTUAL_PROPS[prop];
  if (!handler) throw new Error(`${kind.type}: no handler for virtual prop "${prop}"`);
  return handler;
}
