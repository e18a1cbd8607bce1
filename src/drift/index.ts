export type * from './types.js';
export { DRIFT_FORMAT_VERSION, DRIFT_STATUSES } from './types.js';
export { detectDrift, assembleReport, type StackInput, type DriftOptions } from './detect.js';
export { IgnoreRules, IGNORE_FILE, type IgnoreSource } from './ignore.js';
export { renderDriftText, summaryLine, showValue } from './render-text.js';
export { renderDrift, formatOfFile, DRIFT_FORMATS, type DriftFormat } from './render.js';
export { renderDriftMarkdown, type MarkdownOptions } from './render-markdown.js';
export { renderDriftHtml, type HtmlOptions } from './render-html.js';
