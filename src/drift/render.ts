import { renderDriftText } from './render-text.js';
import type { DriftReport } from './types.js';

/** The drift report in each output format of `vertexctl drift --format`. */
export const DRIFT_FORMATS = ['text', 'json'] as const;
export type DriftFormat = (typeof DRIFT_FORMATS)[number];

export function renderDrift(report: DriftReport, format: DriftFormat, opts: { color?: boolean } = {}): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'text':
      return renderDriftText(report, { color: !!opts.color });
  }
}

/** The format a file name asks for by its extension, if it names one. */
export function formatOfFile(file: string): DriftFormat | undefined {
  const ext = /\.([a-z]+)$/i.exec(file)?.[1]?.toLowerCase();
  if (ext === 'json') return 'json';
  if (ext === 'txt' || ext === 'text') return 'text';
  return (DRIFT_FORMATS as readonly string[]).includes(ext ?? '') ? (ext as DriftFormat) : undefined;
}
