import { renderDriftHtml } from './render-html.js';
import { renderDriftMarkdown } from './render-markdown.js';
import { renderDriftText } from './render-text.js';
import { maskSecrets } from '../core/secrets.js';
import type { DriftReport, DriftResource } from './types.js';

/** The drift report in each output format of `vertexctl drift --format`. */
export const DRIFT_FORMATS = ['text', 'json', 'markdown', 'html'] as const;
export type DriftFormat = (typeof DRIFT_FORMATS)[number];

export function renderDrift(full: DriftReport, format: DriftFormat, opts: { color?: boolean; generatedAt?: Date } = {}): string {
  const report = { ...full, resources: full.resources.map(masked) };
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'html':
      return renderDriftHtml(report, { generatedAt: opts.generatedAt });
    case 'markdown':
      return renderDriftMarkdown(report);
    case 'text':
      return renderDriftText(report, { color: !!opts.color });
  }
}

/** The format a file name asks for by its extension, if it names one. */
export function formatOfFile(file: string): DriftFormat | undefined {
  const ext = /\.([a-z]+)$/i.exec(file)?.[1]?.toLowerCase();
  if (ext === 'json') return 'json';
  if (ext === 'txt' || ext === 'text') return 'text';
  if (ext === 'md' || ext === 'markdown') return 'markdown';
  if (ext === 'htm' || ext === 'html') return 'html';
  return (DRIFT_FORMATS as readonly string[]).includes(ext ?? '') ? (ext as DriftFormat) : undefined;
}

/**
 * Values of sensitive props are masked field by field when planned; this also masks them where
 * they turn up in other text (a job's error quoting one, a field not marked), in every format.
 */
function masked(r: DriftResource): DriftResource {
  return {
    ...r,
    ...(r.reason !== undefined && { reason: maskSecrets(r.reason) }),
    ...(r.fields && { fields: r.fields.map((f) => ({ ...f, expected: maskValue(f.expected), actual: maskValue(f.actual) })) }),
  };
}

function maskValue(v: unknown): unknown {
  if (typeof v === 'string') return maskSecrets(v);
  if (Array.isArray(v)) return v.map(maskValue);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskValue(x)]));
  return v;
}
