export type * from './types.js';
export { makePlan, summarize, publicChange, type PlanOptions } from './planner.js';
export { refresh, listCollection, type Listing, type LiveResource, type RefreshResource, type RefreshResult, type RefreshOptions } from './refresh.js';
export { fingerprint, refreshForPlan, checkPlanFresh } from './fingerprint.js';
export { renderPlanText, toPlanJson, useColor } from './render.js';
export { renderPlanMarkdown, type PlanMarkdownOptions } from './render-markdown.js';
export { writePlanFile, readPlanFile, isPlanFile } from './plan-file.js';
export { destroyPlan } from './destroy.js';
export { refreshOnlyPlan, type RefreshOnlyOptions } from './refresh-only.js';
